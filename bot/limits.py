"""Rate limits and their layering. Pure rules: no Discord, no database, no torch.

Counting is exact: sliding windows over the job history (the last hour and day of accepted jobs), read
in the same transaction that inserts the new job. Sliding windows need no extra state to keep in step
with the jobs table, cannot drift, and a refusal can say exactly when the oldest counted job leaves the
window. A limit of 0 means "no limit".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields, replace
from datetime import datetime, timedelta

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)

# Limits a role or member override may change; guild_per_day is the server's total alone.
MEMBER_FIELDS = ("max_pending", "per_hour", "per_day")


@dataclass(frozen=True)
class Limits:
    max_pending: int
    per_hour: int
    per_day: int
    guild_per_day: int


# Caps of 0: the owner sets no ceiling on what moderators choose.
NO_CAPS = Limits(0, 0, 0, 0)


@dataclass(frozen=True)
class LimitLayer:
    """One layer of overrides; None inherits from the layer below."""

    max_pending: int | None = None
    per_hour: int | None = None
    per_day: int | None = None
    guild_per_day: int | None = None

    def is_empty(self) -> bool:
        return all(getattr(self, f.name) is None for f in fields(self))


def capped(limits: Limits, caps: Limits) -> Limits:
    """``limits`` within the owner's ``caps``. A cap above 0 bounds its limit, "no limit" (0) included;
    a cap of 0 sets no ceiling."""

    def bound(limit: int, cap: int) -> int:
        if cap <= 0:
            return limit
        return cap if limit <= 0 else min(limit, cap)

    return Limits(*(bound(getattr(limits, f.name), getattr(caps, f.name)) for f in fields(Limits)))


def most_generous(values: Sequence[int]) -> int:
    return 0 if 0 in values else max(values)


def effective_limits(
    defaults: Limits,
    guild: LimitLayer | None = None,
    roles: Sequence[LimitLayer] = (),
    member: LimitLayer | None = None,
) -> Limits:
    """Config defaults, then the server's override, then the most generous of the member's roles, then the
    member's own override."""
    result = defaults
    if guild is not None:
        result = replace(
            result, **{f.name: v for f in fields(guild) if (v := getattr(guild, f.name)) is not None}
        )
    for name in MEMBER_FIELDS:
        values = [v for role in roles if (v := getattr(role, name)) is not None]
        if values:
            result = replace(result, **{name: most_generous(values)})
    if member is not None:
        result = replace(
            result, **{name: v for name in MEMBER_FIELDS if (v := getattr(member, name)) is not None}
        )
    return result


@dataclass(frozen=True)
class Usage:
    pending: int
    last_hour: int
    last_day: int
    guild_last_day: int


@dataclass(frozen=True)
class Refusal:
    """Why a submission was refused: a limit (with ``frees_at``, when it lets one more through; None: when a
    pending job finishes), or "banned" / "blocked_term" with the ban reason or the term in ``detail``."""

    limit: str
    allowed: int
    frees_at: datetime | None
    detail: str | None = None


def first_exceeded(limits: Limits, usage: Usage) -> str | None:
    """The first limit one more job would exceed, most specific first."""
    checks = (
        ("max_pending", limits.max_pending, usage.pending),
        ("per_hour", limits.per_hour, usage.last_hour),
        ("per_day", limits.per_day, usage.last_day),
        ("guild_per_day", limits.guild_per_day, usage.guild_last_day),
    )
    for name, allowed, used in checks:
        if allowed > 0 and used >= allowed:
            return name
    return None


WINDOWS = {"per_hour": HOUR, "per_day": DAY, "guild_per_day": DAY}
