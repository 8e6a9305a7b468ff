"""Run the unmodified bot (``python -m bot``) as a process against the Discord stand-in: for the acceptance
and fault tests, and for the benchmarks."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

from standins.discord import DiscordStandIn

# The repository: its config.toml is the one the bot process reads.
ROOT = Path(__file__).resolve().parents[1]


def bot_env(standin: DiscordStandIn, model: Path, database_url: str, **overrides: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VIDEOBOT_") and k != "DISCORD_TOKEN"}
    env.update(
        DISCORD_TOKEN=standin.token,
        VIDEOBOT_CONFIG=str(ROOT / "config.toml"),
        VIDEOBOT_DISCORD__API_BASE=standin.api_base,
        VIDEOBOT_DISCORD__GATEWAY_URL=standin.gateway_url,
        VIDEOBOT_GENERATION__MODEL=str(model),
        VIDEOBOT_GENERATION__DEVICE="cpu",
        VIDEOBOT_DATABASE__URL=database_url,
        VIDEOBOT_WORKER__POLL_INTERVAL="0.5",
        PYTHONUNBUFFERED="1",
    )
    env.update(overrides)
    return env


@contextlib.asynccontextmanager
async def bot_process(
    standin: DiscordStandIn,
    env: dict[str, str],
    workdir: Path,
    *args: str,
    wrapper: Sequence[str] = (),
) -> AsyncIterator[asyncio.subprocess.Process]:
    """Start the bot, wait until it has identified on the gateway, stop it with SIGTERM afterwards.

    ``wrapper`` is a command the bot runs under (e.g. one that mounts a small disk for it first).
    """
    log_path = workdir / "bot.log"
    standin.identified.clear()
    with log_path.open("ab") as log:
        proc = await asyncio.create_subprocess_exec(
            *wrapper, sys.executable, "-m", "bot", *args, env=env, cwd=workdir, stdout=log, stderr=log
        )
        try:
            if "worker" not in args:
                wait = asyncio.create_task(standin.wait_connected(90))
                exited = asyncio.create_task(proc.wait())
                await asyncio.wait([wait, exited], return_when=asyncio.FIRST_COMPLETED)
                if exited.done():
                    wait.cancel()
                    raise RuntimeError(
                        f"the bot exited with {proc.returncode}:\n{log_path.read_text()[-4000:]}"
                    )
                exited.cancel()
                await wait
            yield proc
        except BaseException:
            print(f"--- bot log ({log_path}) ---\n{log_path.read_text()[-6000:]}")
            raise
        finally:
            if proc.returncode is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    await asyncio.wait_for(proc.wait(), 40)
                except TimeoutError:
                    proc.kill()
                    await proc.wait()
