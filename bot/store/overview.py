"""What the queue, the workers and recent failures look like now: for ``python -m bot status`` and the
metrics endpoint. Read-only."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from bot.model_downloads import DownloadState, states_from_json
from bot.store.base import StoreBase, utcnow
from bot.store.schema import PENDING_STATES, Job, JobState, WorkerRow
from bot.store.workers import STALE_AFTER


@dataclass(frozen=True)
class PendingCount:
    """Jobs of one model in one server that are queued, or rendering."""

    model: str
    guild_id: int
    state: JobState
    jobs: int


@dataclass(frozen=True)
class WorkerSeen:
    name: str
    models: list[str]
    started_at: datetime
    last_seen_at: datetime
    live: bool  # refreshed its advertisement recently enough to count as running
    downloads: dict[str, DownloadState]  # the models it is still downloading


@dataclass(frozen=True)
class Failure:
    job_id: int
    guild_id: int
    model: str
    finished_at: datetime | None
    reason: str


@dataclass(frozen=True)
class Overview:
    pending: list[PendingCount]
    totals: dict[JobState, int]  # every job the database holds, by state
    workers: list[WorkerSeen]
    failures: list[Failure]  # the latest first


class OverviewStore(StoreBase):
    async def ping(self) -> None:
        """Raises unless the database answers."""
        async with self.engine.connect() as connection:
            await connection.execute(select(1))

    async def overview(self, failures: int = 10) -> Overview:
        async with self._transaction() as session:
            pending = (
                await session.execute(
                    select(Job.model, Job.guild_id, Job.state, func.count())
                    .where(Job.state.in_(PENDING_STATES))
                    .group_by(Job.model, Job.guild_id, Job.state)
                    .order_by(Job.model, Job.guild_id, Job.state)
                )
            ).all()
            totals = (await session.execute(select(Job.state, func.count()).group_by(Job.state))).all()
            workers = (await session.scalars(select(WorkerRow).order_by(WorkerRow.name))).all()
            failed = (
                await session.scalars(
                    select(Job)
                    .where(Job.state == JobState.FAILED)
                    .order_by(Job.finished_at.desc(), Job.id.desc())
                    .limit(failures)
                )
            ).all()
        fresh = utcnow() - STALE_AFTER
        return Overview(
            pending=[PendingCount(model, guild, JobState(state), n) for model, guild, state, n in pending],
            totals={JobState(state): n for state, n in totals},
            workers=[
                WorkerSeen(
                    w.name,
                    list(w.models),
                    w.started_at,
                    w.last_seen_at,
                    w.last_seen_at > fresh,
                    states_from_json(w.downloads),
                )
                for w in workers
            ],
            failures=[Failure(j.id, j.guild_id, j.model, j.finished_at, j.error or "") for j in failed],
        )
