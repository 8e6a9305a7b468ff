"""Texts of the status message a ``/video`` reply shows while its job moves through the queue."""

from __future__ import annotations


def queued(job_id: int, position: int, queue_length: int) -> str:
    if position <= 1:
        return f"⏳ Job #{job_id} is queued and up next."
    return f"⏳ Job #{job_id} is queued: position {position} of {queue_length}."


def rendering(job_id: int, attempt: int, step: int = 0, steps: int = 0) -> str:
    retry = f" (attempt {attempt})" if attempt > 1 else ""
    if steps:
        filled = round(10 * step / steps)
        bar = "▰" * filled + "▱" * (10 - filled)
        return f"🎬 Job #{job_id} is rendering{retry}: {bar} step {step} of {steps}"
    return f"🎬 Job #{job_id} is rendering{retry}…"


def requeued(job_id: int, reason: str) -> str:
    return f"⏳ Job #{job_id} is back in the queue ({reason}); it will be tried again shortly."


def delivered(job_id: int, jump_url: str) -> str:
    return f"✅ Job #{job_id} is done: {jump_url}"


def cancelled(job_id: int, by: str) -> str:
    return f"🚫 Job #{job_id} was cancelled by {by}."


def failed(job_id: int, reason: str) -> str:
    return f"❌ Job #{job_id} failed: {reason}"
