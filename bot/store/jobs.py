"""The job queue: every SQL statement on jobs, fair-queue counters and limits lives here.

Each public method is one transaction. On SQLite every transaction begins IMMEDIATE (see engine.py), which
serialises writers. On PostgreSQL a submission takes a transaction-scoped advisory lock on its server, so
the limit check and the insert are one atomic step, and claims lock the fair-queue rows they advance and
take jobs with ``FOR UPDATE SKIP LOCKED``.

Scheduling is round-robin: the server served least recently goes next, within it the member served least
recently, and each member's jobs run in the order they were submitted.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.blocklist import blocked_term_in
from bot.limits import (
    DAY,
    HOUR,
    WINDOWS,
    LimitLayer,
    Limits,
    Refusal,
    Usage,
    effective_limits,
    first_exceeded,
)
from bot.store.base import StoreBase, retry_on_conflict
from bot.store.notify import NOTIFY_SQL
from bot.store.schema import (
    EPOCH,
    Ban,
    BlockedTerm,
    FairGuild,
    FairMember,
    Job,
    JobImage,
    JobState,
    LimitOverride,
)


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
    # The first frame (PNG) for image-to-video; stored beside the job, not in it.
    image_png: bytes | None = None


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
    delivery_started_at: datetime | None
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
    queue_length: int
    duplicate: bool = False  # the same interaction was already queued (Discord redelivered it)


class CancelOutcome(enum.Enum):
    CANCELLED_QUEUED = "cancelled_queued"
    CANCELLED_RUNNING = "cancelled_running"
    NOT_FOUND = "not_found"
    NOT_YOURS = "not_yours"
    ALREADY_FINISHED = "already_finished"


@dataclass(frozen=True)
class Cancelled:
    outcome: CancelOutcome
    job: JobRecord | None = None


PENDING = (JobState.QUEUED, JobState.RUNNING)


class JobStore(StoreBase):
    # -- submitting ---------------------------------------------------------------------------------
    async def submit(
        self, new: NewJob, defaults: Limits | None = None, role_ids: Sequence[int] = ()
    ) -> Submitted | Refusal:
        """Queue a job unless it would exceed a limit; the check and the insert are one atomic step."""
        now = utcnow()
        try:
            async with self._transaction() as session:
                await self._lock_guild(session, new.guild_id)
                existing = (
                    await session.execute(select(Job).where(Job.interaction_id == new.interaction_id))
                ).scalar_one_or_none()
                if existing is not None:
                    position, length = await self._position(session, existing)
                    return Submitted(JobRecord.from_row(existing), position, length, duplicate=True)
                refusal = await self._moderation_refusal(session, new)
                if refusal is not None:
                    return refusal
                if defaults is not None:
                    limits = await self._limits(session, new.guild_id, new.user_id, role_ids, defaults)
                    usage = await self._usage(session, new.guild_id, new.user_id, now)
                    exceeded = first_exceeded(limits, usage)
                    if exceeded is not None:
                        return Refusal(
                            exceeded,
                            getattr(limits, exceeded),
                            await self._frees_at(session, new, exceeded, limits, usage, now),
                        )
                row = Job(
                    **{f.name: getattr(new, f.name) for f in fields(new) if f.name != "image_png"},
                    state=JobState.QUEUED,
                    attempts=0,
                    created_at=now,
                )
                session.add(row)
                await session.flush()
                if new.image_png is not None:
                    session.add(JobImage(job_id=row.id, png=new.image_png))
                await self._count_queued(session, row.model, row.guild_id, row.user_id, +1)
                await self._notify(session, row.model)
                position, length = await self._position(session, row)
                return Submitted(JobRecord.from_row(row), position, length)
        except IntegrityError:
            existing_record = await self.by_interaction(new.interaction_id)
            if existing_record is None:
                raise
            position, length = await self.position(existing_record.id)
            return Submitted(existing_record, position, length, duplicate=True)

    @staticmethod
    async def _moderation_refusal(session: AsyncSession, new: NewJob) -> Refusal | None:
        ban = await session.get(Ban, (new.guild_id, new.user_id))
        if ban is not None:
            return Refusal("banned", 0, None, detail=ban.reason)
        terms = (
            await session.execute(select(BlockedTerm.term).where(BlockedTerm.guild_id == new.guild_id))
        ).scalars()
        term = blocked_term_in([new.prompt, new.negative_prompt or ""], terms)
        return Refusal("blocked_term", 0, None, detail=term) if term is not None else None

    async def purge(self, guild_id: int, user_id: int | None = None) -> list[JobRecord]:
        """Cancel the queued jobs of a server (or of one member there); running jobs finish."""
        async with self._transaction() as session:
            query = select(Job).where(Job.guild_id == guild_id, Job.state == JobState.QUEUED)
            if user_id is not None:
                query = query.where(Job.user_id == user_id)
            rows = (await session.execute(query.with_for_update())).scalars().all()
            now = utcnow()
            for row in rows:
                row.state = JobState.CANCELLED
                row.finished_at = now
                await self._count_queued(session, row.model, row.guild_id, row.user_id, -1)
            return [JobRecord.from_row(row) for row in rows]

    async def _notify(self, session: AsyncSession, model: str) -> None:
        if self._postgres:  # delivered when the transaction commits
            await session.execute(text(NOTIFY_SQL), {"model": model})

    async def _lock_guild(self, session: AsyncSession, guild_id: int) -> None:
        if self._postgres:
            # Serialises submissions per server, so concurrent ones cannot all pass the same limit check.
            await session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": guild_id})

    async def _limits(
        self, session: AsyncSession, guild_id: int, user_id: int, role_ids: Sequence[int], defaults: Limits
    ) -> Limits:
        rows = (
            (await session.execute(select(LimitOverride).where(LimitOverride.guild_id == guild_id)))
            .scalars()
            .all()
        )
        guild = member = None
        roles: list[LimitLayer] = []
        wanted_roles = set(role_ids)
        for row in rows:
            layer = _layer(row)
            if row.scope == "guild":
                guild = layer
            elif row.scope == "role" and row.target_id in wanted_roles:
                roles.append(layer)
            elif row.scope == "user" and row.target_id == user_id:
                member = layer
        return effective_limits(defaults, guild, roles, member)

    @staticmethod
    def _counted() -> Any:
        """Jobs that use up a window: all accepted ones but those cancelled before they ever ran."""
        return ~((Job.state == JobState.CANCELLED) & Job.started_at.is_(None))

    async def _usage(self, session: AsyncSession, guild_id: int, user_id: int, now: datetime) -> Usage:
        mine = (Job.guild_id == guild_id) & (Job.user_id == user_id)

        async def count(*where: Any) -> int:
            return int(await session.scalar(select(func.count()).select_from(Job).where(*where)) or 0)

        return Usage(
            pending=await count(mine, Job.state.in_(PENDING)),
            last_hour=await count(mine, Job.created_at > now - HOUR, self._counted()),
            last_day=await count(mine, Job.created_at > now - DAY, self._counted()),
            guild_last_day=await count(Job.guild_id == guild_id, Job.created_at > now - DAY, self._counted()),
        )

    async def _frees_at(
        self, session: AsyncSession, new: NewJob, limit: str, limits: Limits, usage: Usage, now: datetime
    ) -> datetime | None:
        if limit not in WINDOWS:
            return None  # max_pending frees when one of the member's jobs finishes
        window = WINDOWS[limit]
        used = {"per_hour": usage.last_hour, "per_day": usage.last_day, "guild_per_day": usage.guild_last_day}
        scope = Job.guild_id == new.guild_id
        if limit != "guild_per_day":
            scope = scope & (Job.user_id == new.user_id)
        # One more job fits once enough of the counted ones have left the window.
        oldest_to_leave = await session.scalar(
            select(Job.created_at)
            .where(scope, Job.created_at > now - window, self._counted())
            .order_by(Job.created_at)
            .offset(used[limit] - getattr(limits, limit))
            .limit(1)
        )
        return oldest_to_leave + window if oldest_to_leave else None

    async def _count_queued(
        self, session: AsyncSession, model: str, guild_id: int, user_id: int, delta: int
    ) -> None:
        """Keep the fair-queue counters in step with the number of queued jobs."""
        insert = postgresql.insert if self._postgres else sqlite.insert
        for table, key in (
            (FairGuild, {"model": model, "guild_id": guild_id}),
            (FairMember, {"model": model, "guild_id": guild_id, "user_id": user_id}),
        ):
            statement = insert(table).values(**key, queued=max(delta, 0), last_served_at=EPOCH)
            await session.execute(
                statement.on_conflict_do_update(
                    index_elements=list(key), set_={"queued": table.queued + delta}
                )
            )

    # -- limit overrides ----------------------------------------------------------------------------
    async def set_limits(self, guild_id: int, scope: str, target_id: int, layer: LimitLayer) -> LimitLayer:
        """Merge ``layer``'s set fields into the override for (scope, target); return the result."""
        async with self._transaction() as session:
            row = await session.get(LimitOverride, (guild_id, scope, target_id))
            if row is None:
                row = LimitOverride(guild_id=guild_id, scope=scope, target_id=target_id)
                session.add(row)
            for f in fields(layer):
                if (value := getattr(layer, f.name)) is not None:
                    setattr(row, f.name, value)
            return _layer(row)

    async def reset_limits(self, guild_id: int, scope: str, target_id: int) -> bool:
        async with self._transaction() as session:
            row = await session.get(LimitOverride, (guild_id, scope, target_id))
            if row is None:
                return False
            await session.delete(row)
            return True

    async def limit_overrides(self, guild_id: int) -> list[tuple[str, int, LimitLayer]]:
        async with self._transaction() as session:
            rows = (
                (await session.execute(select(LimitOverride).where(LimitOverride.guild_id == guild_id)))
                .scalars()
                .all()
            )
            return [(row.scope, row.target_id, _layer(row)) for row in rows]

    async def effective_limits(
        self, guild_id: int, user_id: int, role_ids: Sequence[int], defaults: Limits
    ) -> Limits:
        async with self._transaction() as session:
            return await self._limits(session, guild_id, user_id, role_ids, defaults)

    # -- reading ------------------------------------------------------------------------------------
    async def image(self, job_id: int) -> bytes | None:
        async with self._transaction() as session:
            row = await session.get(JobImage, job_id)
            return row.png if row else None

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

    async def position(self, job_id: int) -> tuple[int, int]:
        """(place in the queue, 1 = next; 0 when no longer queued) and the length of its model's queue."""
        async with self._transaction() as session:
            row = await session.get(Job, job_id)
            return await self._position(session, row) if row else (0, 0)

    async def queue_length(self, model: str) -> int:
        async with self._transaction() as session:
            total = await session.scalar(
                select(func.sum(FairGuild.queued)).where(FairGuild.model == model, FairGuild.queued > 0)
            )
            return int(total or 0)

    async def latest_pending(self, guild_id: int, user_id: int) -> JobRecord | None:
        async with self._transaction() as session:
            row = (
                await session.execute(
                    select(Job)
                    .where(Job.guild_id == guild_id, Job.user_id == user_id, Job.state.in_(PENDING))
                    .order_by(Job.id.desc())
                    .limit(1)
                )
            ).scalar_one_or_none()
            return JobRecord.from_row(row) if row else None

    async def member_jobs(self, guild_id: int, user_id: int) -> list[tuple[JobRecord, int]]:
        """A member's pending jobs in this server, each with its queue position (0 while running)."""
        async with self._transaction() as session:
            rows = (
                (
                    await session.execute(
                        select(Job)
                        .where(Job.guild_id == guild_id, Job.user_id == user_id, Job.state.in_(PENDING))
                        .order_by(Job.id)
                    )
                )
                .scalars()
                .all()
            )
            return [(JobRecord.from_row(row), (await self._position(session, row))[0]) for row in rows]

    async def _position(self, session: AsyncSession, job: Job) -> tuple[int, int]:
        """Exact place under round-robin scheduling if nothing else were submitted."""
        guild_rows = (
            await session.execute(
                select(FairGuild.guild_id, FairGuild.queued)
                .where(FairGuild.model == job.model, FairGuild.queued > 0)
                .order_by(FairGuild.last_served_at, FairGuild.guild_id)
            )
        ).all()
        length = sum(q for _, q in guild_rows)
        if job.state != JobState.QUEUED:
            return 0, length
        # This is the member's k-th queued job.
        k = int(
            await session.scalar(
                select(func.count())
                .select_from(Job)
                .where(
                    Job.model == job.model,
                    Job.guild_id == job.guild_id,
                    Job.user_id == job.user_id,
                    Job.state == JobState.QUEUED,
                    Job.id <= job.id,
                )
            )
            or 0
        )
        member_rows = (
            await session.execute(
                select(FairMember.user_id, FairMember.queued)
                .where(
                    FairMember.model == job.model, FairMember.guild_id == job.guild_id, FairMember.queued > 0
                )
                .order_by(FairMember.last_served_at, FairMember.user_id)
            )
        ).all()
        return round_robin_position(member_rows, job.user_id, k, guild_rows, job.guild_id), length

    # -- claiming -----------------------------------------------------------------------------------
    async def claim(
        self, worker_id: str, lease_seconds: float, max_attempts: int, models: frozenset[str] | None = None
    ) -> JobRecord | None:
        """Take the next job: first one whose worker stopped renewing its lease, else the fair next one.

        Concurrent claims lock the fair-queue counters; one the database aborts for a deadlock is run again.
        """
        return await retry_on_conflict(lambda: self._claim(worker_id, lease_seconds, max_attempts, models))

    async def _claim(
        self, worker_id: str, lease_seconds: float, max_attempts: int, models: frozenset[str] | None
    ) -> JobRecord | None:
        now = utcnow()
        async with self._transaction() as session:
            expired = select(Job).where(
                Job.state == JobState.RUNNING, Job.lease_expires_at < now, Job.attempts < max_attempts
            )
            if models is not None:
                expired = expired.where(Job.model.in_(models))
            row = (
                await session.execute(
                    expired.order_by(Job.lease_expires_at).limit(1).with_for_update(skip_locked=True)
                )
            ).scalar_one_or_none()
            if row is None:
                row = await self._next_fair(session, models, now)
                if row is None:
                    return None
            row.state = JobState.RUNNING
            row.worker_id = worker_id
            row.attempts += 1
            row.started_at = now
            row.lease_expires_at = now + timedelta(seconds=lease_seconds)
            row.error = None
            return JobRecord.from_row(row)

    async def _next_fair(
        self, session: AsyncSession, models: frozenset[str] | None, now: datetime
    ) -> Job | None:
        guilds = select(FairGuild).where(FairGuild.queued > 0)
        if models is not None:
            guilds = guilds.where(FairGuild.model.in_(models))
        guild = (
            await session.execute(
                guilds.order_by(FairGuild.last_served_at, FairGuild.guild_id).limit(1).with_for_update()
            )
        ).scalar_one_or_none()
        if guild is None:
            return None
        member = (
            await session.execute(
                select(FairMember)
                .where(
                    FairMember.model == guild.model,
                    FairMember.guild_id == guild.guild_id,
                    FairMember.queued > 0,
                )
                .order_by(FairMember.last_served_at, FairMember.user_id)
                .limit(1)
                .with_for_update()
            )
        ).scalar_one_or_none()
        if member is None:
            return None
        row = (
            await session.execute(
                select(Job)
                .where(
                    Job.model == member.model,
                    Job.guild_id == member.guild_id,
                    Job.user_id == member.user_id,
                    Job.state == JobState.QUEUED,
                )
                .order_by(Job.id)
                .limit(1)
                .with_for_update(skip_locked=True)
            )
        ).scalar_one_or_none()
        if row is None:
            return None
        guild.queued -= 1
        member.queued -= 1
        guild.last_served_at = member.last_served_at = now
        return row

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

    # -- while running ------------------------------------------------------------------------------
    async def set_status_message(self, job_id: int, message_id: int) -> None:
        async with self._transaction() as session:
            await session.execute(update(Job).where(Job.id == job_id).values(status_message_id=message_id))

    async def renew_lease(self, job_id: int, worker_id: str, lease_seconds: float) -> bool:
        """Extend this worker's lease; False means the job is no longer this worker's to finish."""
        async with self._transaction() as session:
            result = await session.execute(
                update(Job)
                .where(Job.id == job_id, Job.worker_id == worker_id, Job.state == JobState.RUNNING)
                .values(lease_expires_at=utcnow() + timedelta(seconds=lease_seconds))
            )
            return bool(result.rowcount)  # type: ignore[attr-defined]

    async def still_mine(self, job_id: int, worker_id: str) -> bool:
        """Whether the job is still running under this worker (not cancelled, not taken over)."""
        async with self._transaction() as session:
            row = (
                await session.execute(select(Job.state, Job.worker_id).where(Job.id == job_id))
            ).one_or_none()
            return row is not None and row.state == JobState.RUNNING and row.worker_id == worker_id

    async def begin_delivery(self, job_id: int, worker_id: str) -> bool:
        """Record that posting starts now; False if the job is no longer this worker's (cancelled)."""
        async with self._transaction() as session:
            result = await session.execute(
                update(Job)
                .where(Job.id == job_id, Job.worker_id == worker_id, Job.state == JobState.RUNNING)
                .values(delivery_started_at=utcnow())
            )
            return bool(result.rowcount)  # type: ignore[attr-defined]

    async def release(self, job_id: int, worker_id: str) -> bool:
        """Put a job this worker is giving up (it is shutting down) back in the queue, attempt uncounted."""
        async with self._transaction() as session:
            row = (
                await session.execute(
                    select(Job)
                    .where(Job.id == job_id, Job.worker_id == worker_id, Job.state == JobState.RUNNING)
                    .with_for_update()
                )
            ).scalar_one_or_none()
            if row is None:
                return False
            row.state = JobState.QUEUED
            row.worker_id = None
            row.lease_expires_at = None
            row.started_at = None
            row.attempts -= 1
            await self._count_queued(session, row.model, row.guild_id, row.user_id, +1)
            await self._notify(session, row.model)
            return True

    async def cancel(self, job_id: int, guild_id: int, user_id: int, moderator: bool = False) -> Cancelled:
        """Cancel a job in this server: one's own, or anyone's for a moderator."""
        async with self._transaction() as session:
            row = (
                await session.execute(select(Job).where(Job.id == job_id).with_for_update())
            ).scalar_one_or_none()
            if row is None or row.guild_id != guild_id:
                return Cancelled(CancelOutcome.NOT_FOUND)
            if row.user_id != user_id and not moderator:
                return Cancelled(CancelOutcome.NOT_YOURS)
            if row.state not in PENDING:
                return Cancelled(CancelOutcome.ALREADY_FINISHED, JobRecord.from_row(row))
            was_queued = row.state == JobState.QUEUED
            row.state = JobState.CANCELLED
            row.finished_at = utcnow()
            row.lease_expires_at = None
            if was_queued:
                await self._count_queued(session, row.model, row.guild_id, row.user_id, -1)
            outcome = CancelOutcome.CANCELLED_QUEUED if was_queued else CancelOutcome.CANCELLED_RUNNING
            return Cancelled(outcome, JobRecord.from_row(row))

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


def _layer(row: LimitOverride) -> LimitLayer:
    return LimitLayer(
        max_pending=row.max_pending,
        per_hour=row.per_hour,
        per_day=row.per_day,
        guild_per_day=row.guild_per_day,
    )


def round_robin_position(
    members: Sequence[tuple[int, int]],
    user_id: int,
    k: int,
    guilds: Sequence[tuple[int, int]],
    guild_id: int,
) -> int:
    """Place of a member's k-th queued job under round-robin over servers, then over members.

    ``members`` are (user, queued) of the job's server and ``guilds`` (server, queued), each in the order
    they will next be served. The member's own k - 1 earlier jobs run first; a member ahead in the order
    gets up to k turns before this job, one behind up to k - 1; the same holds between servers for the
    server's turn that runs this job.
    """
    ahead_in_guild = k - 1
    seen = False
    for member, queued in members:
        if member == user_id:
            seen = True
            continue
        ahead_in_guild += min(queued, k - 1 if seen else k)
    turn = ahead_in_guild + 1
    ahead_elsewhere = 0
    seen = False
    for guild, queued in guilds:
        if guild == guild_id:
            seen = True
            continue
        ahead_elsewhere += min(queued, turn - 1 if seen else turn)
    return ahead_in_guild + ahead_elsewhere + 1
