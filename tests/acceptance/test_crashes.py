"""Bot processes killed with SIGKILL mid-generation and mid-delivery: each clip is posted exactly once."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

from bot.store.engine import create_engine
from bot.store.jobs import JobStore
from bot.store.schema import JobState
from standins.bot_process import bot_env, bot_process
from standins.discord import DiscordStandIn
from tests.acceptance.support import MEMBER, SLOW_RENDER

# Leases expire quickly so a killed worker's job is taken up again within the test.
FAST_RECOVERY = {"VIDEOBOT_WORKER__LEASE_SECONDS": "10", "VIDEOBOT_WORKER__POLL_INTERVAL": "0.5"}


async def _job(url: str, job_id: int) -> tuple[JobState, int, int | None]:
    engine = create_engine(url)
    try:
        job = await JobStore(engine).get(job_id)
        assert job is not None
        return job.state, job.attempts, job.result_message_id
    finally:
        await engine.dispose()


def _clips(discord: DiscordStandIn) -> list[dict[str, object]]:
    return [m for m in discord.channel_messages() if m["attachments"]]


async def test_killed_mid_generation_the_job_is_rendered_again_and_posted_once(
    tiny_wan: Path, sqlite_url: str, tmp_path: Path
) -> None:
    async with DiscordStandIn() as discord:
        slow = bot_env(discord, tiny_wan, sqlite_url, **SLOW_RENDER, **FAST_RECOVERY)
        async with bot_process(discord, slow, tmp_path) as proc:
            await discord.interact(discord.slash_command("video", MEMBER, prompt="a cat", seed=3))
            await discord.wait_for(
                lambda r: r.route == "webhook_edit" and "rendering" in (r.json or {}).get("content", ""), 30
            )
            proc.send_signal(signal.SIGKILL)
            await proc.wait()
        assert not _clips(discord)

        async with bot_process(discord, bot_env(discord, tiny_wan, sqlite_url, **FAST_RECOVERY), tmp_path):
            posted = await discord.wait_for(
                lambda r: r.route == "channel_message", 60, "clip after the crash"
            )
            await asyncio.sleep(1.5)
        (clip,) = _clips(discord)
        assert clip["id"] == posted.response["id"]
        assert await _job(sqlite_url, 1) == (JobState.DELIVERED, 2, int(posted.response["id"]))


async def test_killed_mid_delivery_the_clip_is_not_posted_twice(
    tiny_wan: Path, database_url: str, tmp_path: Path
) -> None:
    async with DiscordStandIn(nonce_window=0) as discord:
        env = bot_env(discord, tiny_wan, database_url, **FAST_RECOVERY)
        # Discord has created the message but the bot is killed before it hears back.
        discord.hold["channel_message"] = 5
        async with bot_process(discord, env, tmp_path) as proc:
            await discord.interact(discord.slash_command("video", MEMBER, prompt="a cat", seed=4))
            for _ in range(300):
                if _clips(discord):
                    break
                await asyncio.sleep(0.1)
            assert _clips(discord), "the clip was never posted"
            proc.send_signal(signal.SIGKILL)
            await proc.wait()
        discord.hold.clear()
        state, attempts, _ = await _job(database_url, 1)
        assert (state, attempts) == (JobState.RUNNING, 1)

        async with bot_process(discord, env, tmp_path):
            for _ in range(300):
                if (await _job(database_url, 1))[0] is JobState.DELIVERED:
                    break
                await asyncio.sleep(0.1)
        (clip,) = _clips(discord)
        assert await _job(database_url, 1) == (JobState.DELIVERED, 2, int(str(clip["id"])))
        assert "already posted" in (tmp_path / "bot.log").read_text()
