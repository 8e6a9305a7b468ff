"""Whether a submission may be queued: the moderators' bans and blocked terms, then the member's limits
against what they and their server have used. Every query counting that use lives here.

``refusal`` runs inside the caller's transaction: ``JobStore.submit`` checks and inserts in one atomic
step, under its server's lock (see jobs.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.job_options import JobOptions
from bot.limits import WINDOWS, LimitName, LimitPolicy, Refusal, Usage, first_exceeded
from bot.store import limit_overrides, moderation
from bot.store.schema import PENDING_STATES, Job, JobState


class Applicant(Protocol):
    """What the checks read of a submission."""

    @property
    def guild_id(self) -> int: ...
    @property
    def user_id(self) -> int: ...
    @property
    def prompt(self) -> str: ...
    @property
    def negative_prompt(self) -> str | None: ...
    @property
    def options(self) -> JobOptions: ...


async def refusal(
    session: AsyncSession,
    new: Applicant,
    policy: LimitPolicy | None,
    role_ids: Sequence[int],
    now: datetime,
) -> Refusal | None:
    """Why ``new`` would be refused, or None; with no policy only the moderators' checks apply."""
    texts = [new.prompt, new.negative_prompt or ""]
    barred = await moderation.refusal(session, new.guild_id, new.user_id, texts)
    if barred is not None or policy is None:
        return barred
    limits = await limit_overrides.limits(session, new.guild_id, new.user_id, role_ids, policy)
    usage = await _usage(session, new.guild_id, new.user_id, now)
    exceeded = first_exceeded(limits, usage, new.options.cost)
    if exceeded is None:
        return None
    allowed = limits.of(exceeded)
    frees_at = await _frees_at(session, new, exceeded, allowed, usage, now)
    return Refusal(exceeded, allowed, frees_at, used=usage.of(exceeded), cost=new.options.cost)


def _counted_by(limit: LimitName, guild_id: int, user_id: int, now: datetime) -> list[ColumnElement[bool]]:
    """The jobs that count against ``limit`` now: the member's own (the server's total: everyone's there);
    pending ones, or for a windowed limit those accepted within its window, but not those cancelled before
    they ever ran. An image job counts even then: it cost a download, a decode and storage, and "submit,
    cancel, repeat" must not be free."""
    scope = Job.guild_id == guild_id
    if limit is not LimitName.GUILD_PER_DAY:
        scope = scope & (Job.user_id == user_id)
    window = WINDOWS.get(limit)
    if window is None:
        return [scope, Job.state.in_(PENDING_STATES)]
    never_ran = (Job.state == JobState.CANCELLED) & Job.started_at.is_(None) & ~Job.with_image
    return [scope, Job.created_at > now - window, ~never_ran]


async def _usage(session: AsyncSession, guild_id: int, user_id: int, now: datetime) -> Usage:
    async def count(limit: LimitName) -> int:
        where = _counted_by(limit, guild_id, user_id, now)
        return int(await session.scalar(select(func.sum(Job.cost)).where(*where)) or 0)

    return Usage(
        pending=await count(LimitName.MAX_PENDING),
        last_hour=await count(LimitName.PER_HOUR),
        last_day=await count(LimitName.PER_DAY),
        guild_last_day=await count(LimitName.GUILD_PER_DAY),
    )


async def _frees_at(
    session: AsyncSession,
    new: Applicant,
    limit: LimitName,
    allowed: int,
    usage: Usage,
    now: datetime,
) -> datetime | None:
    """When the new job fits under ``limit``: once enough of the counted ones have left its window. None
    for ``max_pending`` (it frees when a job finishes) and for a job costing more than the limit."""
    window = WINDOWS.get(limit)
    if window is None:
        return None  # max_pending frees when one of the member's jobs finishes
    to_free = usage.of(limit) + new.options.cost - allowed
    counted = await session.execute(
        select(Job.created_at, Job.cost)
        .where(*_counted_by(limit, new.guild_id, new.user_id, now))
        .order_by(Job.created_at)
    )
    for created_at, cost in counted:
        to_free -= cost
        if to_free <= 0:
            return created_at + window
    return None
