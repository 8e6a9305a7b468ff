"""The job queue: every query on the jobs table lives here.

Each public method is one transaction. Claiming takes the oldest claimable job with
``FOR UPDATE SKIP LOCKED`` on PostgreSQL; on SQLite every transaction begins IMMEDIATE (see engine.py),
which serialises claims.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.store.schema import Job, JobState


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class NewJob:
    guild_id: int
    channel_id: int
    user_id: int
    application_id: int
    interaction_id: int
    interaction_token: str
    prompt: str
    seed: int
    model: str
    max_bytes: int
    negative_prompt: str | None = None
    options: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class JobRecord:
    id: int
    guild_id: int
    channel_id: int
    user_id: int
    application_id: int
    interaction_id: int
    interaction_token: str | None
    prompt: str
    negative_prompt: str | None
    options: dict[str, Any]
    seed: int
    model: str
    max_bytes: int
    state: JobState
    attempts: int
    worker_id: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    error: str | None
    status_message_id: int | None
    result_message_id: int | None

    @classmethod
    def from_row(cls, row: Job) -> JobRecord:
        values = {f.name: getattr(row, f.name) for f in fields(cls)}
        values["state"] = JobState(row.state)
        values["options"] = dict(row.options or {})
        return cls(**values)


@dataclass(frozen=True)
class Submitted:
    job: JobRecord
    position: int  # 1 = next to run
    duplicate: bool = False  # the same interaction was already queued (Discord redelivered it)


class JobStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self._sessions = async_sessionmaker(engine, expire_on_commit=False)

    @asynccontextmanager
    async def _transaction(self) -> AsyncIterator[AsyncSession]:
        async with self._sessions() as session, session.begin():
            yield session

    async def submit(self, new: NewJob) -> Submitted:
        now = utcnow()
        try:
            async with self._transaction() as session:
                row = Job(
                    **{f.name: getattr(new, f.name) for f in fields(new)},
                    state=JobState.QUEUED,
                    attempts=0,
                    created_at=now,
                )
                session.add(row)
                await session.flush()
                position = await self._position(session, row.id)
                return Submitted(JobRecord.from_row(row), position)
        except IntegrityError:
            existing = await self.by_interaction(new.interaction_id)
            if existing is None:
                raise
            return Submitted(existing, await self.position(existing.id), duplicate=True)

    async def get(self, job_id: int) -> JobRecord | None:
        async with self._transaction() as session:
            row = await session.get(Job, job_id)
            return JobRecord.from_row(row) if row else None

    async def by_interaction(self, interaction_id: int) -> JobRecord | None:
        async with self._transaction() as session:
            row = (
                await session.execute(select(Job).where(Job.interaction_id == interaction_id))
            ).scalar_one_or_none()
            return JobRecord.from_row(row) if row else None

    async def position(self, job_id: int) -> int:
        """1-based place among queued jobs; 0 when the job is no longer queued."""
        async with self._transaction() as session:
            return await self._position(session, job_id)

    @staticmethod
    async def _position(session: AsyncSession, job_id: int) -> int:
        state = (await session.execute(select(Job.state).where(Job.id == job_id))).scalar_one_or_none()
        if state != JobState.QUEUED:
            return 0
        ahead = await session.scalar(
            select(func.count()).select_from(Job).where(Job.state == JobState.QUEUED, Job.id < job_id)
        )
        return int(ahead or 0) + 1

    async def queue_length(self) -> int:
        async with self._transaction() as session:
            count = await session.scalar(
                select(func.count()).select_from(Job).where(Job.state == JobState.QUEUED)
            )
            return int(count or 0)

    async def set_status_message(self, job_id: int, message_id: int) -> None:
        async with self._transaction() as session:
            await session.execute(update(Job).where(Job.id == job_id).values(status_message_id=message_id))

    async def claim(
        self, worker_id: str, lease_seconds: float, max_attempts: int, models: frozenset[str] | None = None
    ) -> JobRecord | None:
        """Take the oldest queued job, or a running one whose worker stopped renewing its lease."""
        now = utcnow()
        claimable = or_(
            Job.state == JobState.QUEUED,
            and_(Job.state == JobState.RUNNING, Job.lease_expires_at < now, Job.attempts < max_attempts),
        )
        query = select(Job).where(claimable)
        if models is not None:
            query = query.where(Job.model.in_(models))
        query = query.order_by(Job.id).limit(1).with_for_update(skip_locked=True)
        async with self._transaction() as session:
            row = (await session.execute(query)).scalar_one_or_none()
            if row is None:
                return None
            row.state = JobState.RUNNING
            row.worker_id = worker_id
            row.attempts += 1
            row.started_at = now
            row.lease_expires_at = now + timedelta(seconds=lease_seconds)
            row.error = None
            return JobRecord.from_row(row)

    async def abandoned(self, max_attempts: int) -> list[JobRecord]:
        """Mark failed the running jobs whose lease expired after their last allowed attempt."""
        now = utcnow()
        async with self._transaction() as session:
            rows = (
                (
                    await session.execute(
                        select(Job)
                        .where(
                            Job.state == JobState.RUNNING,
                            Job.lease_expires_at < now,
                            Job.attempts >= max_attempts,
                        )
                        .with_for_update(skip_locked=True)
                    )
                )
                .scalars()
                .all()
            )
            for row in rows:
                row.state = JobState.FAILED
                row.finished_at = now
                row.error = f"the worker stopped during each of {row.attempts} attempts"
            return [JobRecord.from_row(row) for row in rows]

    async def renew_lease(self, job_id: int, worker_id: str, lease_seconds: float) -> bool:
        """Extend this worker's lease; False means the job is no longer this worker's to finish."""
        async with self._transaction() as session:
            result = await session.execute(
                update(Job)
                .where(Job.id == job_id, Job.worker_id == worker_id, Job.state == JobState.RUNNING)
                .values(lease_expires_at=utcnow() + timedelta(seconds=lease_seconds))
            )
            return bool(result.rowcount)  # type: ignore[attr-defined]

    async def release(self, job_id: int, worker_id: str) -> bool:
        """Put a job this worker is giving up (it is shutting down) back in the queue, attempt uncounted."""
        async with self._transaction() as session:
            result = await session.execute(
                update(Job)
                .where(Job.id == job_id, Job.worker_id == worker_id, Job.state == JobState.RUNNING)
                .values(
                    state=JobState.QUEUED,
                    worker_id=None,
                    lease_expires_at=None,
                    started_at=None,
                    attempts=Job.attempts - 1,
                )
            )
            return bool(result.rowcount)  # type: ignore[attr-defined]

    async def mark_delivered(self, job_id: int, worker_id: str, result_message_id: int) -> bool:
        return await self._finish(
            job_id, worker_id, JobState.DELIVERED, result_message_id=result_message_id, interaction_token=None
        )

    async def mark_failed(self, job_id: int, worker_id: str, error: str) -> bool:
        return await self._finish(job_id, worker_id, JobState.FAILED, error=error, interaction_token=None)

    async def _finish(self, job_id: int, worker_id: str, state: JobState, **values: Any) -> bool:
        async with self._transaction() as session:
            result = await session.execute(
                update(Job)
                .where(Job.id == job_id, Job.worker_id == worker_id, Job.state == JobState.RUNNING)
                .values(state=state, finished_at=utcnow(), lease_expires_at=None, **values)
            )
            return bool(result.rowcount)  # type: ignore[attr-defined]
