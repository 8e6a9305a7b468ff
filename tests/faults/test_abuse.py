"""A hostile member against the bot: image churn to fill the disk, huge images from a banned member, a
burst of huge images. Cheap checks come first, images do not outlive their jobs, and churn is counted."""

from __future__ import annotations

import asyncio
import io
from collections.abc import Callable
from pathlib import Path

from PIL import Image
from sqlalchemy import func, select

from bot.store.engine import create_engine
from bot.store.moderation import ModerationStore
from bot.store.schema import JobImage
from standins.bot_process import bot_env, bot_process
from standins.discord import DiscordStandIn
from standins.discord.replies import private_reply, text
from tests.acceptance.support import MEMBER, job, job_exists, wait_until

GUILD = 800000000000000001


def _png(width: int, height: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 40, 40)).save(out, format="PNG")
    return out.getvalue()


async def _stored_images(url: str) -> int:
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            return int(await conn.scalar(select(func.count()).select_from(JobImage)) or 0)
    finally:
        await engine.dispose()


async def test_submitting_and_cancelling_image_jobs_is_counted_and_leaves_nothing_stored(
    tiny_models: Callable[[str], Path], sqlite_url: str, tmp_path: Path
) -> None:
    image_model = tiny_models("svd")
    async with DiscordStandIn() as discord:
        env = bot_env(
            discord,
            image_model,
            sqlite_url,
            VIDEOBOT_LIMITS__PER_HOUR="2",
            VIDEOBOT_LIMITS__PER_DAY="2",
            # No worker: every job is cancelled before it starts, the case that used to count for nothing.
            VIDEOBOT_WORKER__EMBEDDED="false",
        )
        png = _png(320, 200)
        async with bot_process(discord, env, tmp_path):
            answers = []
            for n in range(3):
                payload = discord.slash_command(
                    "video", MEMBER, prompt=f"churn {n}", files={"image": ("a.png", png)}
                )
                await discord.interact(payload)
                if n < 2:
                    await wait_until(lambda n=n: job_exists(sqlite_url, n + 1), 30, f"job {n + 1} queued")
                    cancel = discord.slash_command("cancel", MEMBER, job=n + 1)
                    await discord.interact(cancel)
                    await discord.wait_for(private_reply(cancel["token"]), 15, "cancel answer")
                    assert await _stored_images(sqlite_url) == 0, "a cancelled job's image was kept"
                else:
                    answers.append(await discord.wait_for(private_reply(payload["token"]), 15, "refusal"))
            assert "in the last hour" in text(answers[0])
        for n in (1, 2):
            assert (await job(sqlite_url, n)).interaction_token is None


async def test_a_banned_member_s_image_is_never_downloaded(
    tiny_models: Callable[[str], Path], sqlite_url: str, tmp_path: Path
) -> None:
    image_model = tiny_models("svd")
    async with DiscordStandIn() as discord:
        async with bot_process(discord, bot_env(discord, image_model, sqlite_url), tmp_path):
            engine = create_engine(sqlite_url)
            try:
                await ModerationStore(engine).ban(GUILD, MEMBER, "spam", moderator_id=1)
            finally:
                await engine.dispose()
            payload = discord.slash_command(
                "video", MEMBER, prompt="x", files={"image": ("big.png", _png(7000, 5000))}
            )
            await discord.interact(payload)
            reply = await discord.wait_for(private_reply(payload["token"]), 15, "refusal")
            assert "stopped you" in text(reply)
        assert discord.attachment_downloads == []


async def test_a_burst_of_huge_images_is_decoded_one_at_a_time(
    tiny_models: Callable[[str], Path], sqlite_url: str, tmp_path: Path
) -> None:
    """Eight members each attach a 35-megapixel PNG at once. Decoding them all together took the bot to
    gigabytes; one at a time, its peak memory stays within one image's worth above its baseline."""
    image_model = tiny_models("svd")
    big = _png(7000, 5000)
    async with DiscordStandIn() as discord:
        env = bot_env(discord, image_model, sqlite_url, VIDEOBOT_WORKER__EMBEDDED="false")
        async with bot_process(discord, env, tmp_path) as proc:
            baseline = _peak_rss_mb(proc.pid)
            payloads = [
                discord.slash_command("video", MEMBER + n, prompt="x", files={"image": ("b.png", big)})
                for n in range(8)
            ]
            await asyncio.gather(*(discord.interact(p) for p in payloads))
            for p in payloads:
                await discord.wait_for(lambda r, t=p["token"]: r.route == "webhook_edit" and t in r.path, 120)
            peak = _peak_rss_mb(proc.pid)
        # A 35-megapixel RGB image is 105 MB decoded; eight at once would add well over 800 MB.
        assert peak - baseline < 600, f"peak {peak:.0f} MB over a {baseline:.0f} MB baseline"


def _peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmHWM in /proc")
