"""Texts of the status message a ``/video`` reply shows while its job moves through the queue."""

from __future__ import annotations

import math
from datetime import datetime

from bot.i18n import tr
from bot.queue_estimate import Estimate
from bot.store.jobs import JobRecord
from bot.store.schema import JobState

# Expected times are shown to this many seconds, so that a card is edited only when they really move.
ETA_GRANULARITY = 10


def queued(
    job_id: int, position: int, queue_length: int, estimate: Estimate | None = None, locale: object = None
) -> str:
    if position <= 1:
        text = tr(locale, "⏳ Job #{job} is queued and up next.", job=job_id)
    else:
        text = tr(
            locale,
            "⏳ Job #{job} is queued: position {position} of {length}.",
            job=job_id,
            position=position,
            length=queue_length,
        )
    if estimate is not None and estimate.download is not None:
        if estimate.download.held_up is not None:
            text += "\n" + tr(locale, "⏬ The model's download is held up; the bot keeps trying.")
        elif estimate.download.total <= 0:  # its files are being listed: no share to tell yet
            text += "\n" + tr(locale, "⏬ The model is downloading…")
        else:
            text += "\n" + tr(
                locale, "⏬ The model is downloading ({percent}%).", percent=estimate.download.percent
            )
    elif estimate is not None and estimate.eta is not None:
        start, ready = _relative(estimate.eta.start), _relative(estimate.eta.ready)
        text += "\n" + tr(
            locale, "Expected to start {start} and to be ready {ready}.", start=start, ready=ready
        )
    elif estimate is not None and estimate.unmeasured:
        text += "\n" + tr(locale, "First clip on this model: timing…")
    if estimate is not None and estimate.workers == 0:
        text += "\n" + tr(
            locale, "No worker is serving this model right now; the job will start as soon as one is."
        )
    return text


def _relative(moment: datetime) -> str:
    """A Discord timestamp each member's client shows as "in 2 minutes", in their own language."""
    seconds = math.ceil(moment.timestamp() / ETA_GRANULARITY) * ETA_GRANULARITY  # never shown as past
    return f"<t:{seconds}:R>"


def rendering(
    job_id: int,
    attempt: int,
    step: int = 0,
    steps: int = 0,
    shot: int = 0,
    shots: int = 0,
    locale: object = None,
) -> str:
    text = tr(locale, "🎬 Job #{job} is rendering", job=job_id)
    if attempt > 1:
        text += " " + tr(locale, "(attempt {attempt})", attempt=attempt)
    if not steps:
        return text + "…"
    filled = round(10 * step / steps)
    bar = "▰" * filled + "▱" * (10 - filled)
    story = tr(locale, "shot {shot} of {shots}", shot=shot, shots=shots) + ", " if shot and shots else ""
    progress = f"{story}{bar} " + tr(locale, "step {step} of {steps}", step=step, steps=steps)
    return tr(locale, "{status}: {progress}", status=text, progress=progress)


def requeued(job_id: int, reason: str, locale: object = None) -> str:
    return tr(
        locale,
        "⏳ Job #{job} is back in the queue ({reason}); it will be tried again shortly.",
        job=job_id,
        reason=reason,
    )


def delivered(job_id: int, jump_url: str, locale: object = None) -> str:
    return tr(locale, "✅ Job #{job} is done: {link}", job=job_id, link=jump_url)


def cancelled(job_id: int, by_moderator: bool | None = None, locale: object = None) -> str:
    """``by_moderator``: None when who cancelled it is not known."""
    if by_moderator is None:
        return tr(locale, "🚫 Job #{job} was cancelled.", job=job_id)
    if by_moderator:
        return tr(locale, "🚫 Job #{job} was cancelled by a moderator.", job=job_id)
    return tr(locale, "🚫 Job #{job} was cancelled by its requester.", job=job_id)


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
        return rendering(job.id, job.attempts, locale=job.locale)
    if job.state is JobState.DELIVERED and (link := clip_link(job)) is not None:
        return delivered(job.id, link, job.locale)
    if job.state is JobState.FAILED:
        return failed(job.id, job.error or tr(job.locale, "see the notice sent to its member"), job.locale)
    if job.state is JobState.CANCELLED:
        return cancelled(job.id, locale=job.locale)
    return None


def failed(job_id: int, reason: str, locale: object = None) -> str:
    return tr(locale, "❌ Job #{job} failed: {reason}", job=job_id, reason=reason)
