"""The owner's machine failing the bot: the database away for a few seconds, a full disk, a model
disabled while jobs wait for it. The process stays up, and members are told the truth."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from bot.store.schema import JobState
from standins.bot_process import bot_env, bot_process
from standins.discord import DiscordStandIn
from standins.tcp_proxy import TcpProxy
from tests.acceptance.support import (
    MEMBER,
    clip_posts,
    failure_notices,
    job,
    notice_settled,
    status_text,
    wait_until,
)

# A render of a few seconds, so that an outage can begin while it runs.
SHORT_RENDER = {"VIDEOBOT_GENERATION__STEPS": "40", "VIDEOBOT_GENERATION__NUM_FRAMES": "17"}


@pytest.mark.postgres
async def test_a_database_outage_during_a_render_is_waited_out(
    tiny_wan: Path, postgres_url: str, tmp_path: Path
) -> None:
    target = make_url(postgres_url)
    async with (
        TcpProxy(target.host or "127.0.0.1", target.port or 5432) as proxy,
        DiscordStandIn() as discord,
    ):
        env = bot_env(discord, tiny_wan, proxy.url_for(postgres_url), **SHORT_RENDER)
        async with bot_process(discord, env, tmp_path) as proc:
            payload = discord.slash_command("video", MEMBER, prompt="a cat", seed=1)
            await discord.interact(payload)
            await discord.wait_for(
                lambda r: r.route == "webhook_edit" and "rendering" in (r.json or {}).get("content", ""), 60
            )
            await proxy.outage(5)
            await wait_until(lambda: bool(clip_posts(discord)), 120, "the clip after the outage")
            await wait_until(lambda: status_text(discord, payload).startswith("✅"), 30, "status done")
            assert proc.returncode is None, "the bot exited during the outage"
        assert (await job(postgres_url)).state is JobState.DELIVERED
        assert len(clip_posts(discord)) == 1 and not failure_notices(discord)
        log = (tmp_path / "bot.log").read_text()
        # One line when the database went away, not a traceback per heartbeat.
        assert log.count("Traceback") <= 1, log[-3000:]
        assert "video model" not in log


def _small_disk_wrapper(directory: Path, size: str) -> list[str]:
    """Run the bot in its own mount namespace with ``directory`` on a tiny tmpfs: a really full disk."""
    if shutil.which("unshare") is None:
        pytest.skip("unshare (util-linux) is needed to give the bot a small disk")
    directory.mkdir(parents=True, exist_ok=True)
    script = 'mount -t tmpfs -o size="$1" tmpfs "$0" && shift && exec "$@"'
    return ["unshare", "--user", "--map-root-user", "--mount", "sh", "-c", script, str(directory), size]


async def test_a_full_clip_disk_is_retried_and_then_reported_as_a_full_disk(
    tiny_wan: Path, sqlite_url: str, tmp_path: Path
) -> None:
    async with DiscordStandIn() as discord:
        env = bot_env(discord, tiny_wan, sqlite_url, VIDEOBOT_WORKER__MAX_ATTEMPTS="2")
        wrapper = _small_disk_wrapper(tmp_path / "data" / "clips", "256k")
        async with bot_process(discord, env, tmp_path, wrapper=wrapper):
            payload = discord.slash_command("video", MEMBER, prompt="a cat", seed=2)
            await discord.interact(payload)
            await discord.wait_for(
                lambda r: (
                    r.route == "webhook_edit" and "back in the queue" in (r.json or {}).get("content", "")
                ),
                60,
                "the job sent back to wait for space",
            )
            await wait_until(lambda: status_text(discord, payload).startswith("❌"), 60, "the final failure")
        failed = await job(sqlite_url)
        assert failed.state is JobState.FAILED and failed.attempts == 2
        assert "disk is full" in (failed.error or "") and "model" not in (failed.error or "")
        (notice,) = failure_notices(discord)
        assert "disk is full" in notice["content"]


async def test_jobs_for_a_model_no_longer_enabled_end_with_a_notice(
    tiny_models: Callable[[str], Path], sqlite_url: str, tmp_path: Path
) -> None:
    wan, ltx = tiny_models("wan"), tiny_models("ltx")
    async with DiscordStandIn() as discord:
        both = bot_env(
            discord,
            wan,
            sqlite_url,
            VIDEOBOT_GENERATION__MODELS=f'["{ltx}"]',
            VIDEOBOT_WORKER__MODELS=f'["{wan}"]',  # only the first model is served
        )
        async with bot_process(discord, both, tmp_path):
            payload = discord.slash_command("video", MEMBER, prompt="a cat", model=ltx.name)
            await discord.interact(payload)
            await wait_until(lambda: "queued" in status_text(discord, payload), 30, "queued")
        assert (await job(sqlite_url)).state is JobState.QUEUED
        async with bot_process(discord, bot_env(discord, wan, sqlite_url), tmp_path):
            await wait_until(lambda: bool(failure_notices(discord)), 30, "the member told")
            await wait_until(lambda: notice_settled(sqlite_url), 15, "the notice recorded as sent")
        ended = await job(sqlite_url)
        assert ended.state is JobState.FAILED
        assert "no longer offered" in (ended.error or "")
        assert "no longer offered" in status_text(discord, payload)
