"""Time from INTERACTION_CREATE to the bot's defer callback, and to its "queued" status message.

Runs the unmodified bot process (tiny model, embedded worker) against the local Discord stand-in and
sends /video interactions one after another.

    python -m bench.interaction_latency [--count 200] [--database sqlite|postgres]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import statistics
import sys
import tempfile
import time
from pathlib import Path

from generation.tiny import make_tiny
from standins.bot_process import bot_env, bot_process
from standins.discord import DiscordStandIn
from standins.postgres import POSTGRES_ADMIN, temporary_database


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def measure(count: int, database_url: str | None, workdir: Path) -> dict[str, list[float]]:
    model = make_tiny(workdir / "tiny", "wan")
    url = database_url or f"sqlite+aiosqlite:///{workdir / 'bench.db'}"
    defer_ms: list[float] = []
    status_ms: list[float] = []
    async with DiscordStandIn() as discord, bot_process(discord, bot_env(discord, model, url), workdir):
        for i in range(count + 5):
            payload = discord.slash_command("video", 100000000000000000 + i, prompt=f"a cat number {i}")
            token = payload["token"]
            sent = await discord.interact(payload)
            defer = await discord.wait_for(lambda r, t=token: r.route == "callback" and t in r.path, 10)
            status = await discord.wait_for(lambda r, t=token: r.route == "webhook_edit" and t in r.path, 10)
            if i >= 5:  # the first few warm up the client's HTTP connections
                defer_ms.append((defer.at - sent) * 1000)
                status_ms.append((status.at - sent) * 1000)
    return {"defer": defer_ms, "queued status": status_ms}


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--postgres", default=POSTGRES_ADMIN, help="server to create a scratch database on")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, contextlib.ExitStack() as stack:
        url = stack.enter_context(temporary_database(args.postgres)) if args.database == "postgres" else None
        started = time.perf_counter()
        results = asyncio.run(measure(args.count, url, Path(tmp)))
    print(
        f"/video interactions: {args.count}, database: {args.database}, {time.perf_counter() - started:.0f}s"
    )
    columns = ("p50 ms", "p90 ms", "p99 ms", "max ms", "mean ms")
    print(f"{'from INTERACTION_CREATE to':28} " + " ".join(f"{c:>8}" for c in columns))
    for name, values in results.items():
        row = [_percentile(values, q) for q in (0.5, 0.9, 0.99)] + [max(values), statistics.fmean(values)]
        print(f"{name:28} " + " ".join(f"{v:8.1f}" for v in row))
    return 0


if __name__ == "__main__":
    sys.exit(main())
