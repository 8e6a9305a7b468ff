"""The status cards of waiting jobs: their place in the queue and expected times, kept current.

Every ``REFRESH_EVERY`` seconds, each queued job whose interaction token is still valid gets its card
recomputed, and edited only if the text changed. Jobs sent back to the queue after a fault keep the card
that says why.
"""

from __future__ import annotations

import asyncio
import logging

import discord

from bot.discord_app import status
from bot.discord_app.status_message import TOKEN_USABLE_FOR, refresh_status
from bot.queue_estimate import ModelQueue, QueueEstimator
from bot.store.base import utcnow
from bot.store.jobs import JobRecord, JobStore
from bot.store.schema import JobState
from generation.explained import first_line

REFRESH_EVERY = 3.0

log = logging.getLogger(__name__)


class QueueCards:
    def __init__(self, jobs: JobStore, estimator: QueueEstimator, every: float = REFRESH_EVERY) -> None:
        self._jobs = jobs
        self._estimator = estimator
        self._every = every
        self._shown: dict[int, str] = {}  # job id -> the text its card shows

    async def text(
        self, job: JobRecord, position: int, queue_length: int, queue: ModelQueue | None = None
    ) -> str:
        """The card of a job at ``position``, with its expected times (from ``queue``, when read already)."""
        try:
            estimate = await self._estimator.estimate(job, position, queue)
        except Exception as exc:  # the estimate is a courtesy: the card goes out without it
            log.warning("job %d: no estimate (%s)", job.id, first_line(exc))
            estimate = None
        return status.queued(job.id, position, queue_length, estimate, job.locale)

    def shown(self, job_id: int, text: str) -> None:
        """The card of ``job_id`` was set to ``text`` elsewhere (when it was queued)."""
        self._shown[job_id] = text

    async def run(self, client: discord.Client) -> None:
        """Refresh the cards until cancelled; a failed round (the database away) waits for the next."""
        while True:
            await asyncio.sleep(self._every)
            try:
                await self.refresh(client)
            except Exception as exc:
                log.warning("queue cards not refreshed: %s", first_line(exc))

    async def refresh(self, client: discord.Client) -> None:
        jobs = [
            job for job in await self._jobs.fresh_queued(utcnow() - TOKEN_USABLE_FOR) if job.attempts == 0
        ]
        for stale in self._shown.keys() - {job.id for job in jobs}:
            del self._shown[stale]
        queues: dict[str, ModelQueue] = {}  # each model's queue, read once a round
        for job in jobs:
            position, length = await self._jobs.position(job.id)
            if position == 0:
                continue
            if job.model not in queues:
                queues[job.model] = await self._estimator.model_queue(job.model)
            text = await self.text(job, position, length, queues[job.model])
            if self._shown.get(job.id) == text:
                continue
            # Read again just before editing: a job that started meanwhile has the worker's card now...
            current = await self._jobs.get(job.id)
            if current is None or current.state != JobState.QUEUED:
                continue
            if not await refresh_status(client, job, text):
                continue
            self._shown[job.id] = text
            # ...and after: if it left the queue while this edit was on its way, the edit may have
            # covered the card its worker or canceller set. Put that card back.
            after = await self._jobs.get(job.id)
            settled_text = status.settled(after) if after is not None else None
            if settled_text is not None:
                await refresh_status(client, job, settled_text)
