"""Texts of the status message a ``/video`` reply shows while its job moves through the queue."""

from __future__ import annotations

import math
from datetime import datetime

from bot.queue_estimate import Estimate
from bot.store.jobs import JobRecord
from bot.store.schema import JobState

# Expected times are shown to this many seconds, so that a card is edited only when they really move.
ETA_GRANULARITY = 10


def queued(job_id: int, position: int, queue_length: int, estimate: Estimate | None = None) -> str:
    if position <= 1:
        text = f"⏳ Job #{job_id} is queued and up next."
    else:
        text = f"⏳ Job #{job_id} is queued: position {position} of {queue_length}."
    if estimate is not None and estimate.eta is not None:
        start, ready = _relative(estimate.eta.start), _relative(estimate.eta.ready)
        text += f"\nExpected to start {start} and to be ready {ready}."
    elif estimate is not None and estimate.unmeasured:
        text += "\nFirst clip on this model: timing…"
    if estimate is not None and estimate.workers == 0:
        text += "\nNo worker is serving this model right now; the job will start as soon as one is."
    return text


def _relative(moment: datetime) -> str:
    """A Discord timestamp each member's client shows as "in 2 minutes", in their own language."""
    seconds = math.ceil(moment.timestamp() / ETA_GRANULARITY) * ETA_GRANULARITY  # never shown as past
    return f"<t:{seconds}:R>"


def rendering(job_id: int, attempt: int, step: int = 0, steps: int = 0, shot: int = 0, shots: int = 0) -> str:
    retry = f" (attempt {attempt})" if attempt > 1 else ""
    story = f" shot {shot} of {shots}," if shot and shots else ""
    if steps:
        filled = round(10 * step / steps)
        bar = "▰" * filled + "▱" * (10 - filled)
        return f"🎬 Job #{job_id} is rendering{retry}:{story} {bar} step {step} of {steps}"
    return f"🎬 Job #{job_id} is rendering{retry}…"


def requeued(job_id: int, reason: str) -> str:
    return f"⏳ Job #{job_id} is back in the queue ({reason}); it will be tried again shortly."


def delivered(job_id: int, jump_url: str) -> str:
    return f"✅ Job #{job_id} is done: {jump_url}"


def cancelled(job_id: int, by: str | None = None) -> str:
    return f"🚫 Job #{job_id} was cancelled by {by}." if by else f"🚫 Job #{job_id} was cancelled."


def clip_link(job: JobRecord) -> str | None:
    """The jump link to the job's posted clip: in its server's channel, or in the member's DMs."""
    if job.result_message_id is None:
        return None
    channel = job.result_channel_id or job.channel_id
    where = job.guild_id if channel == job.channel_id else "@me"
    return f"https://discord.com/channels/{where}/{channel}/{job.result_message_id}"


def settled(job: JobRecord) -> str | None:
    """The card of a job that has left the queue, rebuilt from the database (when a late edit may have
    covered the one its worker or canceller made); None while it is still queued."""
    if job.state is JobState.RUNNING:
        return rendering(job.id, job.attempts)
    if job.state is JobState.DELIVERED and (link := clip_link(job)) is not None:
        return delivered(job.id, link)
    if job.state is JobState.FAILED:
        return failed(job.id, job.error or "see the notice sent to its member")
    if job.state is JobState.CANCELLED:
        return cancelled(job.id)
    return None


def failed(job_id: int, reason: str) -> str:
    return f"❌ Job #{job_id} failed: {reason}"
