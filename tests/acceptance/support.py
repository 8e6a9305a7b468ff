"""What the acceptance and fault-injection tests share: who is who in the stand-in's server, the render
settings that make a job slow enough to act on, and reading a job's outcome from the outside, as a member
would see it (the stand-in's messages) and as the owner would (the database).

The bot process itself is started by ``standins.bot_process`` (shared with the benchmarks)."""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from bot.i18n import catalogs, tr
from bot.store.engine import create_engine
from bot.store.jobs import JobRecord, JobStore
from bot.store.schema import FINAL_STATES
from standins.discord import DiscordStandIn
from tests.conftest import ffprobe

# The repository (for config.toml and ``python -m bench...``).
ROOT = Path(__file__).resolve().parents[2]

# Members of the stand-in's one server; each test says which of them hold Manage Server
# (``standins.discord.payloads.ALL_PERMISSIONS``) on the interaction itself.
MEMBER = 123456789012345678
OTHER_MEMBER = 223456789012345678
MODERATOR = 323456789012345678

# The tiny Wan as a Hugging Face Hub repository, served by ``standins.hub.HubStandIn``. Its directory's
# videobot.json is not among the pipeline's files, so a bot loading it from the Hub is given its sizes.
HUB_REPO = "tiny-org/tiny-wan"
# huggingface_hub writes a download to disk in chunks of this size: an interruption keeps whole chunks.
WRITTEN_IN = 10 * 1024 * 1024
HUB_RENDER = {
    "VIDEOBOT_GENERATION__WIDTH": "64",
    "VIDEOBOT_GENERATION__HEIGHT": "64",
    "VIDEOBOT_GENERATION__NUM_FRAMES": "9",
    "VIDEOBOT_GENERATION__FPS": "8",
    "VIDEOBOT_GENERATION__STEPS": "4",
}

# A render of the tiny model that takes far longer than any test waits: 500 steps on larger frames.
SLOW_RENDER = {
    "VIDEOBOT_GENERATION__STEPS": "500",
    "VIDEOBOT_GENERATION__WIDTH": "256",
    "VIDEOBOT_GENERATION__HEIGHT": "256",
    "VIDEOBOT_GENERATION__NUM_FRAMES": "33",
}


async def job(url: str, job_id: int = 1) -> JobRecord:
    engine = create_engine(url)
    try:
        record = await JobStore(engine).get(job_id)
        assert record is not None, f"job {job_id} does not exist"
        return record
    finally:
        await engine.dispose()


async def wait_until(
    check: Callable[[], bool | Awaitable[bool]], timeout: float, what: str, every: float = 0.2
) -> None:
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if inspect.isawaitable(result):
            result = await result
        if result:
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} did not happen within {timeout:.0f}s")
        await asyncio.sleep(every)


async def notice_settled(url: str, job_id: int = 1) -> bool:
    """The job has ended and no failure notice is still owed for it."""
    record = await job(url, job_id)
    return record.state in FINAL_STATES and record.notice_due_at is None


async def job_exists(url: str, job_id: int = 1) -> bool:
    try:
        await job(url, job_id)
    except AssertionError:
        return False
    return True


def clip_posts(discord: DiscordStandIn, job_id: int = 1) -> list[dict[str, Any]]:
    """Messages that exist now carrying this job's clip: in the channel, as follow-ups, or in DMs."""
    titles = {tr(language, "Job #{job}", job=job_id) for language in catalogs()}  # in the server's language
    return [
        m
        for m in discord.messages.values()
        if m["attachments"] and any(e.get("title") in titles for e in m.get("embeds") or [])
    ]


def failure_notices(discord: DiscordStandIn, job_id: int = 1) -> list[dict[str, Any]]:
    """Messages telling a member that this job failed (status messages aside)."""
    return [m for m in discord.messages.values() if f"(job #{job_id}) failed" in (m.get("content") or "")]


def status_text(discord: DiscordStandIn, payload: dict[str, Any]) -> str:
    """What the ``/video`` reply (the job's status message) says now."""
    message = discord.original_response(payload["token"])
    return str(message["content"]) if message else ""


def has_buttons(discord: DiscordStandIn, payload: dict[str, Any]) -> bool:
    message = discord.original_response(payload["token"])
    return bool(message and message.get("components"))


def posted_video(discord: DiscordStandIn, job_id: int, workdir: Path) -> dict[str, Any]:
    """The video stream of the clip posted for ``job_id``, as ffprobe describes it."""
    (message,) = clip_posts(discord, job_id)
    path = workdir / f"posted-{job_id}.mp4"
    path.write_bytes(discord.posted_files[message["attachments"][0]["id"]])
    (video,) = ffprobe(path)["streams"]
    return dict(video)


def button_ids(message: dict[str, Any]) -> dict[str, str]:
    """The message's buttons: label -> custom id."""
    return {b["label"]: b["custom_id"] for row in message.get("components") or [] for b in row["components"]}
