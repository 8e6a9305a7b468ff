"""Texts of the status message a ``/video`` reply shows while its job moves through the queue."""

from __future__ import annotations

from datetime import datetime

from bot.queue_estimate import Estimate

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
    seconds = round(moment.timestamp() / ETA_GRANULARITY) * ETA_GRANULARITY
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


def cancelled(job_id: int, by: str) -> str:
    return f"🚫 Job #{job_id} was cancelled by {by}."


def failed(job_id: int, reason: str) -> str:
    return f"❌ Job #{job_id} failed: {reason}"
