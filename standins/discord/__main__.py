"""Serve the Discord stand-in on a port and send one ``/video`` to whichever bot connects.

    python -m standins.discord --port 8765 --prompt "a cat eating spaghetti" -o /tmp/clip.mp4

Then start the unmodified bot pointed at it:

    DISCORD_TOKEN=x VIDEOBOT_DISCORD__API_BASE=http://127.0.0.1:8765/api/v10 \\
    VIDEOBOT_DISCORD__GATEWAY_URL=ws://127.0.0.1:8765/gateway python -m bot
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from standins.discord import DiscordStandIn


async def serve(port: int, prompt: str, output: Path, timeout: float) -> int:
    async with DiscordStandIn() as discord:
        await discord.stop()  # restart on the requested port
        await discord.start(port)
        print(f"stand-in on {discord.api_base} and {discord.gateway_url}; waiting for a bot", flush=True)
        await discord.wait_connected(timeout)
        print(f"bot connected; registered commands: {[c['name'] for c in discord.commands]}", flush=True)
        sent = await discord.interact(discord.slash_command("video", 123456789012345678, prompt=prompt))
        defer = await discord.wait_for(lambda r: r.route == "callback", 10, "defer")
        print(f"defer callback {defer.json} after {(defer.at - sent) * 1000:.1f} ms", flush=True)
        posted = await discord.wait_for(lambda r: r.route == "channel_message", timeout, "clip")
        print(
            f"posted: {posted.json.get('content')!r} allowed_mentions={posted.json.get('allowed_mentions')}"
        )
        for filename, data in posted.files.values():
            output.write_bytes(data)
            print(
                f"saved {filename} ({len(data)} bytes) to {output}; {posted.at - sent:.1f}s after the command"
            )
        await asyncio.sleep(2)  # let the bot's final status edit arrive
        for rec in discord.of_route("webhook_edit"):
            print(f"status message: {rec.json.get('content')!r}")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--prompt", default="a cat eating spaghetti")
    parser.add_argument("-o", "--output", type=Path, default=Path("clip.mp4"))
    parser.add_argument("--timeout", type=float, default=600)
    args = parser.parse_args()
    return asyncio.run(serve(args.port, args.prompt, args.output, args.timeout))


if __name__ == "__main__":
    sys.exit(main())
