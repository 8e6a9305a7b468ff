"""The job queue: submitting, claiming and ending jobs, and the fair-queue counters. What a submission is
checked against (bans, blocked terms, limits, the member's use of them) is in admission.py.

Each public method is one transaction. On SQLite every transaction begins IMMEDIATE (see engine.py), which
serialises writers. On PostgreSQL a submission takes a transaction-scoped advisory lock on its server, so
the admission check (admission.py: bans and blocked terms, limit overrides, usage) and the insert are one
atomic step, and claims lock the fair-queue rows they advance and take jobs with ``FOR UPDATE SKIP LOCKED``.

Scheduling is round-robin: the server served least recently goes next, within it the member served least
recently, and each member's jobs run in the order they were submitted (``bot.queue_order`` says where a
job stands).
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, delete, func, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot import queue_order
from bot.job_options import InvalidOptionsError, JobOptions
from bot.limits import LimitPolicy, Limits, Refusal
from bot.store import admission as admission_checks
from bot.store.base import Audit, StoreBase, add_audit, affected, retry_on_conflict, utcnow
from bot.store.notify import NOTIFY_SQL
from bot.store.schema import (
    EPOCH,
    FINAL_STATES,
    PENDING_STATES,
    FairGuild,
    FairMember,
    Job,
    JobImage,
    JobState,
)


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
    options: JobOptions = field(default_factory=JobOptions)
    # The first frame (PNG) for image-to-video; stored beside the job, not in it.
    image_png: bytes | None = None
    parent_job_id: int | None = None  # the job whose clip this one re-rolls
    locale: str | None = None  # the language of its channel posts


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
    options: JobOptions
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
    with_image: bool = False
    notice_due_at: datetime | None = None
    parent_job_id: int | None = None
    result_channel_id: int | None = None
    clip_seconds: float | None = None
    locale: str | None = None
    # Why the stored options cannot be read (written by another version, or by hand); the job is then
    # failed when claimed, while it can still be listed, cancelled and told about.
    options_error: str | None = None

    @classmethod
    def from_row(cls, row: Job) -> JobRecord:
        values = {f.name: getattr(row, f.name) for f in fields(cls) if f.name != "options_error"}
        values["state"] = JobState(row.state)
        try:
            values["options"] = JobOptions.from_json(row.options)
        except InvalidOptionsError as exc:
            values["options"], values["options_error"] = JobOptions(), str(exc)
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
    CANCELLED_POSTING = "cancelled_posting"  # the clip is being posted: it is removed once it lands
    NOT_FOUND = "not_found"
    NOT_YOURS = "not_yours"
    ALREADY_FINISHED = "already_finished"


@dataclass(frozen=True)
class Cancelled:
    outcome: CancelOutcome
    job: JobRecord | None = None


# Discord keeps an interaction token valid for 15 minutes; after that it is only a secret to lose.
TOKEN_LIFETIME = timedelta(minutes=15)
# How long a sender has to tell a member why their job ended before another sender tries again.
NOTICE_LEASE = timedelta(minutes=2)
# How long an undeliverable notice is tried again (the member's DMs closed, the channel gone...).
NOTICE_PATIENCE = timedelta(days=1)


@dataclass(frozen=True)
class Swept:
    tokens: int
    images: int
    prompts: int


class JobStore(StoreBase):
    def __init__(self, engine: Any, keep_files: timedelta = timedelta(0)) -> None:
        super().__init__(engine)
        # How long a job's image outlives the job (0: deleted as the job ends).
        self._keep_files = keep_files

    # -- submitting ---------------------------------------------------------------------------------
    async def admission(
        self, new: NewJob, limits: Limits | LimitPolicy | None = None, role_ids: Sequence[int] = ()
    ) -> Refusal | None:
        """Would ``new`` be refused (ban, blocked term, limit)? The cheap check before costly work such as
        downloading an image; ``submit`` checks again, atomically, when it queues."""
        async with self._transaction() as session:
            return await admission_checks.refusal(session, new, _policy(limits), role_ids, utcnow())

    async def submit(
        self, new: NewJob, defaults: Limits | LimitPolicy | None = None, role_ids: Sequence[int] = ()
    ) -> Submitted | Refusal:
        """Queue a job unless it would exceed a limit; the check and the insert are one atomic step."""
        now = utcnow()
        try:
            async with self._transaction() as session:
                await self._lock_guild(session, new.guild_id)
                existing = await _by_interaction(session, new.interaction_id)
                if existing is not None:
                    position, length = await self._position(session, existing)
                    return Submitted(JobRecord.from_row(existing), position, length, duplicate=True)
                refusal = await admission_checks.refusal(session, new, _policy(defaults), role_ids, now)
                if refusal is not None:
                    return refusal
                row = Job(
                    **{
                        f.name: getattr(new, f.name)
                        for f in fields(new)
                        if f.name not in ("image_png", "options")
                    },
                    options=new.options.to_json(),
                    state=JobState.QUEUED,
                    attempts=0,
                    created_at=now,
                    with_image=new.image_png is not None,
                    cost=new.options.cost,
                )
                session.add(row)
                await session.flush()
                if new.image_png is not None:
                    session.add(JobImage(job_id=row.id, png=new.image_png))
                await self._count_queued(session, row, +1)
                await self._notify(session, row.model)
                position, length = await self._position(session, row)
                return Submitted(JobRecord.from_row(row), position, length)
        except IntegrityError:
            existing_record = await self.by_interaction(new.interaction_id)
            if existing_record is None:
                raise
            position, length = await self.position(existing_record.id)
            return Submitted(existing_record, position, length, duplicate=True)

    async def purge(self, guild_id: int, user_id: int | None = None) -> list[JobRecord]:
        """Cancel the queued jobs of a server (or of one member there); running jobs finish.

        The records returned still carry their interaction tokens, for the caller to update their status
        messages; the stored rows no longer do.
        """
        async with self._transaction() as session:
            query = select(Job).where(Job.guild_id == guild_id, Job.state == JobState.QUEUED)
            if user_id is not None:
                query = query.where(Job.user_id == user_id)
            rows = (await session.scalars(query.with_for_update())).all()
            records = [JobRecord.from_row(row) for row in rows]
            for row in rows:
                await self._count_queued(session, row, -1)
                await self._end(session, row, JobState.CANCELLED)
            return records

    async def _end(self, session: AsyncSession, row: Job, state: JobState, notice: bool = False) -> None:
        """Give a job its final state: its token is dropped unless a notice is still owed (the notice may
        need it), and its image goes unless the owner keeps files for a while."""
        now = utcnow()
        row.state = state
        row.finished_at = now
        row.lease_expires_at = None
        row.notice_due_at = now + NOTICE_LEASE if notice else None
        if not notice:
            row.interaction_token = None
        if not self._keep_files:
            await session.execute(delete(JobImage).where(JobImage.job_id == row.id))

    async def _notify(self, session: AsyncSession, model: str) -> None:
        if self._postgres:  # delivered when the transaction commits
            await session.execute(text(NOTIFY_SQL), {"model": model})

    async def _lock_guild(self, session: AsyncSession, guild_id: int) -> None:
        if self._postgres:
            # Serialises submissions per server, so concurrent ones cannot all pass the same limit check.
            await session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": guild_id})

    async def _count_queued(self, session: AsyncSession, row: Job, delta: int) -> None:
        """Keep the fair-queue counters in step with the number of queued jobs."""
        await self._add_queued(session, FairGuild, {"model": row.model, "guild_id": row.guild_id}, delta)
        member = {"model": row.model, "guild_id": row.guild_id, "user_id": row.user_id}
        await self._add_queued(session, FairMember, member, delta)

    async def _add_queued(
        self,
        session: AsyncSession,
        table: type[FairGuild] | type[FairMember],
        key: dict[str, Any],
        delta: int,
    ) -> None:
        insert = postgresql.insert if self._postgres else sqlite.insert
        statement = insert(table).values(**key, queued=max(delta, 0), last_served_at=EPOCH)
        await session.execute(
            statement.on_conflict_do_update(index_elements=list(key), set_={"queued": table.queued + delta})
        )

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
            row = await _by_interaction(session, interaction_id)
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

    async def model_queue(self, model: str) -> tuple[list[JobRecord], list[JobRecord]]:
        """The model's queued jobs and those running now."""
        async with self._transaction() as session:
            rows = await session.scalars(
                select(Job).where(Job.model == model, Job.state.in_(PENDING_STATES)).order_by(Job.id)
            )
            jobs = [JobRecord.from_row(row) for row in rows]
        queued = [job for job in jobs if job.state == JobState.QUEUED]
        return queued, [job for job in jobs if job.state != JobState.QUEUED]

    async def fresh_queued(self, since: datetime) -> list[JobRecord]:
        """Queued jobs submitted since ``since`` whose status message and interaction token are known."""
        async with self._transaction() as session:
            rows = await session.scalars(
                select(Job)
                .where(
                    Job.state == JobState.QUEUED,
                    Job.created_at >= since,
                    Job.status_message_id.is_not(None),
                    Job.interaction_token.is_not(None),
                )
                .order_by(Job.id)
            )
            return [JobRecord.from_row(row) for row in rows]

    async def latest_pending(self, guild_id: int, user_id: int) -> JobRecord | None:
        async with self._transaction() as session:
            row = (
                await session.scalars(_pending_of(guild_id, user_id).order_by(Job.id.desc()).limit(1))
            ).one_or_none()
            return JobRecord.from_row(row) if row else None

    async def delivered_clips(self, guild_id: int, user_id: int, limit: int = 10) -> list[JobRecord]:
        """A member's latest clips posted from this server, newest first."""
        async with self._transaction() as session:
            rows = await session.scalars(
                select(Job)
                .where(Job.guild_id == guild_id, Job.user_id == user_id, Job.state == JobState.DELIVERED)
                .order_by(Job.finished_at.desc(), Job.id.desc())
                .limit(limit)
            )
            return [JobRecord.from_row(row) for row in rows]

    async def member_jobs(self, guild_id: int, user_id: int) -> list[tuple[JobRecord, int]]:
        """A member's pending jobs in this server, each with its queue position (0 while running)."""
        async with self._transaction() as session:
            rows = (await session.scalars(_pending_of(guild_id, user_id).order_by(Job.id))).all()
            return [(JobRecord.from_row(row), (await self._position(session, row))[0]) for row in rows]

    @staticmethod
    async def _position(session: AsyncSession, job: Job) -> tuple[int, int]:
        """Exact place under round-robin scheduling if nothing else were submitted."""
        guilds = [
            (guild.guild_id, guild.queued)
            for guild in await session.scalars(_guild_turns(FairGuild.model == job.model))
        ]
        length = sum(queued for _, queued in guilds)
        if job.state != JobState.QUEUED:
            return 0, length
        # This is the member's k-th queued job.
        k = await session.scalar(
            select(func.count())
            .select_from(Job)
            .where(*_queued_of(job.model, job.guild_id, job.user_id), Job.id <= job.id)
        )
        members = [
            (member.user_id, member.queued)
            for member in await session.scalars(_member_turns(job.model, job.guild_id))
        ]
        return queue_order.position(members, job.user_id, int(k or 0), guilds, job.guild_id), length

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
            # A job whose last allowed attempt began posting is taken up once more, only to look for that
            # post: it may be there, and then the job is delivered, not failed.
            expired = select(Job).where(*_lease_lapsed(now), ~_out_of_attempts(max_attempts))
            if models is not None:
                expired = expired.where(Job.model.in_(models))
            row = (
                await session.scalars(
                    expired.order_by(Job.lease_expires_at).limit(1).with_for_update(skip_locked=True)
                )
            ).one_or_none()
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

    @staticmethod
    async def _next_fair(session: AsyncSession, models: frozenset[str] | None, now: datetime) -> Job | None:
        """The fair next job (see ``_guild_turns``): its server's and member's turns are taken, now."""
        in_models = () if models is None else (FairGuild.model.in_(models),)
        guild = (await session.scalars(_guild_turns(*in_models).limit(1).with_for_update())).one_or_none()
        if guild is None:
            return None
        member = (
            await session.scalars(_member_turns(guild.model, guild.guild_id).limit(1).with_for_update())
        ).one_or_none()
        if member is None:
            return None
        row = (
            await session.scalars(
                select(Job)
                .where(*_queued_of(member.model, member.guild_id, member.user_id))
                .order_by(Job.id)
                .limit(1)
                .with_for_update(skip_locked=True)
            )
        ).one_or_none()
        if row is None:
            return None
        guild.queued -= 1
        member.queued -= 1
        guild.last_served_at = member.last_served_at = now
        return row

    async def abandoned(self, max_attempts: int) -> list[JobRecord]:
        """Mark failed the running jobs whose lease expired after their last allowed attempt, when that
        attempt never began posting (those are claimed once more, to look for the post). Each is owed a
        notice."""
        now = utcnow()
        async with self._transaction() as session:
            rows = (
                await session.scalars(
                    select(Job)
                    .where(*_lease_lapsed(now), _out_of_attempts(max_attempts))
                    .with_for_update(skip_locked=True)
                )
            ).all()
            for row in rows:
                row.error = f"the worker stopped during each of {row.attempts} attempts"
                await self._end(session, row, JobState.FAILED, notice=True)
            return [JobRecord.from_row(row) for row in rows]

    async def recover(self, worker_id: str) -> list[int]:
        """A worker starting under the identity it had before a crash takes back at once the jobs its
        previous life held, instead of waiting for their leases to run out. Only safe because no other
        live process can hold the same identity (see ``bot.worker_identity``)."""
        async with self._transaction() as session:
            rows = (
                await session.scalars(
                    select(Job)
                    .where(Job.state == JobState.RUNNING, Job.worker_id == worker_id)
                    .with_for_update()
                )
            ).all()
            now = utcnow()
            for row in rows:
                row.lease_expires_at = now - timedelta(seconds=1)
            return [row.id for row in rows]

    async def disabled_models(
        self, enabled: frozenset[str], live_workers: Sequence[str] = ()
    ) -> list[JobRecord]:
        """Fail the jobs whose model the owner no longer offers, each owing its member a notice: those
        queued, and those left running by a worker that is gone (one still alive finishes its job)."""
        async with self._transaction() as session:
            stuck = (Job.state == JobState.QUEUED) | (
                (Job.state == JobState.RUNNING) & Job.worker_id.not_in(list(live_workers))
            )
            rows = (
                await session.scalars(
                    select(Job).where(stuck, Job.model.not_in(enabled)).with_for_update(skip_locked=True)
                )
            ).all()
            for row in rows:
                if row.state == JobState.QUEUED:
                    await self._count_queued(session, row, -1)
                row.error = "the model it asked for is no longer offered on this server"
                await self._end(session, row, JobState.FAILED, notice=True)
                row.notice_due_at = row.finished_at  # nobody is telling them yet: due at once
            return [JobRecord.from_row(row) for row in rows]

    async def rename_model(self, old: str, new: str) -> int:
        """Jobs recorded under a model's former name (a local model was known by its path before it was
        known by its directory's name) are its jobs still: move them, and their fair-queue turns."""
        async with self._transaction() as session:
            moved = await session.execute(
                update(Job).where(Job.model == old, Job.state.in_(PENDING_STATES)).values(model=new)
            )
            for guild in (await session.scalars(select(FairGuild).where(FairGuild.model == old))).all():
                key = {"model": new, "guild_id": guild.guild_id}
                await self._add_queued(session, FairGuild, key, guild.queued)
                await session.delete(guild)
            for member in (await session.scalars(select(FairMember).where(FairMember.model == old))).all():
                key = {"model": new, "guild_id": member.guild_id, "user_id": member.user_id}
                await self._add_queued(session, FairMember, key, member.queued)
                await session.delete(member)
            return affected(moved)

    # -- while running ------------------------------------------------------------------------------
    async def set_status_message(self, job_id: int, message_id: int) -> None:
        async with self._transaction() as session:
            await session.execute(update(Job).where(Job.id == job_id).values(status_message_id=message_id))

    async def renew_lease(self, job_id: int, worker_id: str, lease_seconds: float) -> bool:
        """Extend this worker's lease; False means the job is no longer this worker's to finish."""
        expires = utcnow() + timedelta(seconds=lease_seconds)
        return await self._update_held(job_id, worker_id, lease_expires_at=expires)

    async def still_mine(self, job_id: int, worker_id: str) -> bool:
        """Whether the job is still running under this worker (not cancelled, not taken over)."""
        async with self._transaction() as session:
            found = await session.scalar(
                select(func.count()).select_from(Job).where(*_held_by(job_id, worker_id))
            )
            return bool(found)

    async def begin_delivery(self, job_id: int, worker_id: str) -> datetime | None:
        """Record that posting starts now, and return that time (what a retry looks for posts after);
        None if the job is no longer this worker's (cancelled)."""
        now = utcnow()
        return now if await self._update_held(job_id, worker_id, delivery_started_at=now) else None

    async def forget_delivery(self, job_id: int, worker_id: str) -> None:
        """An earlier attempt's post was looked for and not found: this attempt renders afresh."""
        await self._update_held(job_id, worker_id, delivery_started_at=None)

    async def _update_held(self, job_id: int, worker_id: str, **values: Any) -> bool:
        """Set ``values`` on the job if this worker still holds it; whether it did."""
        async with self._transaction() as session:
            result = await session.execute(update(Job).where(*_held_by(job_id, worker_id)).values(**values))
            return bool(affected(result))

    async def release(
        self, job_id: int, worker_id: str, count_attempt: bool = False, error: str | None = None
    ) -> bool:
        """Put a job this worker is giving up back in the queue: uncounted when it is shutting down, counted
        when the attempt met a fault worth trying again later (a full disk)."""
        async with self._transaction() as session:
            row = await _held(session, job_id, worker_id)
            if row is None:
                return False
            row.state = JobState.QUEUED
            row.worker_id = None
            row.lease_expires_at = None
            if not count_attempt:
                row.started_at = None
                row.attempts -= 1
            row.error = error
            await self._count_queued(session, row, +1)
            await self._notify(session, row.model)
            return True

    async def cancel(self, job_id: int, guild_id: int, user_id: int, moderator: bool = False) -> Cancelled:
        """Cancel a job in this server: one's own, or anyone's for a moderator.

        The record returned carries the job as it was (its token included, for the caller's status edit).
        A job whose clip is being posted is cancelled too: its worker removes the post once it lands.
        """
        async with self._transaction() as session:
            row = (await session.scalars(select(Job).where(Job.id == job_id).with_for_update())).one_or_none()
            if row is None or row.guild_id != guild_id:
                return Cancelled(CancelOutcome.NOT_FOUND)
            if row.user_id != user_id and not moderator:
                return Cancelled(CancelOutcome.NOT_YOURS)
            record = JobRecord.from_row(row)
            if row.state not in PENDING_STATES:
                return Cancelled(CancelOutcome.ALREADY_FINISHED, record)
            if row.state == JobState.QUEUED:
                await self._count_queued(session, row, -1)
                outcome = CancelOutcome.CANCELLED_QUEUED
            elif row.delivery_started_at is not None:
                outcome = CancelOutcome.CANCELLED_POSTING
            else:
                outcome = CancelOutcome.CANCELLED_RUNNING
            await self._end(session, row, JobState.CANCELLED)
            if row.user_id != user_id:
                # A moderator's cancel of a member's clip is in the audit log, with the cancel itself.
                add_audit(session, Audit(guild_id, user_id, "cancel", f"job #{job_id}", row.user_id))
            return Cancelled(outcome, record)

    async def mark_delivered(
        self,
        job_id: int,
        worker_id: str,
        result_message_id: int,
        result_channel_id: int | None = None,
        clip_seconds: float | None = None,
    ) -> bool:
        return await self._finish(
            job_id,
            worker_id,
            JobState.DELIVERED,
            result_message_id=result_message_id,
            result_channel_id=result_channel_id,
            clip_seconds=clip_seconds,
        )

    async def mark_failed(self, job_id: int, worker_id: str, error: str) -> bool:
        """Fail the job; the member is owed a notice until ``notice_sent``."""
        return await self._finish(job_id, worker_id, JobState.FAILED, error=error)

    async def _finish(self, job_id: int, worker_id: str, state: JobState, **values: Any) -> bool:
        async with self._transaction() as session:
            row = await _held(session, job_id, worker_id)
            if row is None:
                return False
            for name, value in values.items():
                setattr(row, name, value)
            await self._end(session, row, state, notice=state is JobState.FAILED)
            return True

    # -- notices ------------------------------------------------------------------------------------
    async def due_notices(self, limit: int = 20) -> list[JobRecord]:
        """Take the jobs whose members are still owed a notice, pushing each one's due time forward so that
        no other sender takes it while this one tries."""
        now = utcnow()
        async with self._transaction() as session:
            rows = (
                await session.scalars(
                    select(Job)
                    .where(Job.notice_due_at.is_not(None), Job.notice_due_at <= now)
                    .order_by(Job.notice_due_at)
                    .limit(limit)
                    .with_for_update(skip_locked=True)
                )
            ).all()
            owed = []
            for row in rows:
                if row.finished_at is not None and row.finished_at < now - NOTICE_PATIENCE:
                    row.notice_due_at = None  # nobody could be told for a day: the log says why
                    continue
                row.notice_due_at = now + NOTICE_LEASE
                owed.append(JobRecord.from_row(row))
            return owed

    async def notice_sent(self, job_id: int) -> None:
        """The member has been told: nothing more is owed, and the token is no longer needed."""
        async with self._transaction() as session:
            await session.execute(
                update(Job).where(Job.id == job_id).values(notice_due_at=None, interaction_token=None)
            )

    # -- retention ----------------------------------------------------------------------------------
    async def sweep(self, prompt_days: int) -> Swept:
        """Forget what is no longer needed: interaction tokens past Discord's 15 minutes, images of ended
        jobs past the file retention, and prompts of jobs that ended more than ``prompt_days`` ago."""
        now = utcnow()
        ended = Job.state.in_([s.value for s in FINAL_STATES])
        async with self._transaction() as session:
            tokens = await session.execute(
                update(Job)
                .where(Job.interaction_token.is_not(None), Job.created_at < now - TOKEN_LIFETIME)
                .values(interaction_token=None)
            )
            old_images = select(Job.id).where(ended, Job.finished_at < now - self._keep_files)
            images = await session.execute(delete(JobImage).where(JobImage.job_id.in_(old_images)))
            prompts = await session.execute(
                update(Job)
                .where(ended, Job.finished_at < now - timedelta(days=prompt_days), Job.prompt != "")
                .values(prompt="", negative_prompt=None)
            )
            return Swept(tokens=affected(tokens), images=affected(images), prompts=affected(prompts))

    async def ended_before(self, job_ids: Sequence[int], before: datetime) -> set[int]:
        """Which of these jobs ended before ``before``, or no longer exist (their files may go)."""
        if not job_ids:
            return set()
        async with self._transaction() as session:
            rows = await session.execute(
                select(Job.id, Job.state, Job.finished_at).where(Job.id.in_(list(job_ids)))
            )
            alive = set()
            for job_id, state, finished_at in rows.all():
                if state not in FINAL_STATES or (finished_at is not None and finished_at >= before):
                    alive.add(job_id)
            return set(job_ids) - alive


def _policy(limits: Limits | LimitPolicy | None) -> LimitPolicy | None:
    return None if limits is None else LimitPolicy.of(limits)


async def _by_interaction(session: AsyncSession, interaction_id: int) -> Job | None:
    return (await session.scalars(select(Job).where(Job.interaction_id == interaction_id))).one_or_none()


def _pending_of(guild_id: int, user_id: int) -> Select[Job]:
    """A member's jobs in a server that are queued or running."""
    return select(Job).where(Job.guild_id == guild_id, Job.user_id == user_id, Job.state.in_(PENDING_STATES))


def _held_by(job_id: int, worker_id: str) -> tuple[ColumnElement[bool], ...]:
    """The job is running under this worker: not cancelled, not finished, not taken over."""
    return (Job.id == job_id, Job.worker_id == worker_id, Job.state == JobState.RUNNING)


async def _held(session: AsyncSession, job_id: int, worker_id: str) -> Job | None:
    """The job, locked, if this worker still holds it (see ``_held_by``)."""
    return (
        await session.scalars(select(Job).where(*_held_by(job_id, worker_id)).with_for_update())
    ).one_or_none()


def _lease_lapsed(now: datetime) -> tuple[ColumnElement[bool], ...]:
    """The job is running, but its worker stopped renewing the lease: it crashed or hung."""
    return (Job.state == JobState.RUNNING, Job.lease_expires_at < now)


def _out_of_attempts(max_attempts: int) -> ColumnElement[bool]:
    """The job has had its last attempt, and that attempt never began posting: there is no post to look
    for, and nothing left to try."""
    return (Job.attempts >= max_attempts) & Job.delivery_started_at.is_(None)


def _queued_of(model: str, guild_id: int, user_id: int) -> tuple[ColumnElement[bool], ...]:
    """A member's queued jobs for a model in a server: they run in the order of their ids."""
    return (
        Job.model == model,
        Job.guild_id == guild_id,
        Job.user_id == user_id,
        Job.state == JobState.QUEUED,
    )


def _guild_turns(*where: ColumnElement[bool]) -> Select[FairGuild]:
    """Servers with jobs queued, the next to be served first: the one served least recently."""
    return (
        select(FairGuild)
        .where(FairGuild.queued > 0, *where)
        .order_by(FairGuild.last_served_at, FairGuild.guild_id)
    )


def _member_turns(model: str, guild_id: int) -> Select[FairMember]:
    """A server's members with jobs queued for a model, the next to be served first."""
    return (
        select(FairMember)
        .where(FairMember.model == model, FairMember.guild_id == guild_id, FairMember.queued > 0)
        .order_by(FairMember.last_served_at, FairMember.user_id)
    )
