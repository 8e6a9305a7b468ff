"""Rate limits and their layering. Pure rules: no Discord, no database, no torch.

Counting is exact: sliding windows over the job history (the last hour and day of accepted jobs), read
in the same transaction that inserts the new job. Sliding windows need no extra state to keep in step
with the jobs table, cannot drift, and a refusal can say exactly when the oldest counted job leaves the
window. A limit of 0 means "no limit".

The names below are defined once, here. Their values are what the database, the configuration and the
fields of ``Limits`` and ``LimitLayer`` call them: they must not change.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import TypeAlias, assert_never

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)


class LimitName(enum.StrEnum):
    """A limit, most specific first: the order in which a submission is checked against them."""

    MAX_PENDING = "max_pending"
    PER_HOUR = "per_hour"
    PER_DAY = "per_day"
    GUILD_PER_DAY = "guild_per_day"  # the server's total


class Barred(enum.StrEnum):
    """A refusal that is a moderator's decision, not a limit."""

    BANNED = "banned"
    BLOCKED_TERM = "blocked_term"


RefusalKind: TypeAlias = LimitName | Barred


class Scope(enum.StrEnum):
    """Whom a moderator's limit override applies to (its target: 0, a role id, a member's id)."""

    GUILD = "guild"
    ROLE = "role"
    USER = "user"


# Limits a role or member override may change; guild_per_day is the server's total alone.
MEMBER_FIELDS = (LimitName.MAX_PENDING, LimitName.PER_HOUR, LimitName.PER_DAY)

# The sliding window each windowed limit counts over; max_pending counts the jobs pending now.
WINDOWS = {LimitName.PER_HOUR: HOUR, LimitName.PER_DAY: DAY, LimitName.GUILD_PER_DAY: DAY}


@dataclass(frozen=True)
class Limits:
    max_pending: int
    per_hour: int
    per_day: int
    guild_per_day: int

    def of(self, name: LimitName) -> int:
        value: int = getattr(self, name.value)
        return value


# Caps of 0: the owner sets no ceiling on what moderators choose.
NO_CAPS = Limits(0, 0, 0, 0)


@dataclass(frozen=True)
class LimitLayer:
    """One layer of overrides; None inherits from the layer below."""

    max_pending: int | None = None
    per_hour: int | None = None
    per_day: int | None = None
    guild_per_day: int | None = None

    def of(self, name: LimitName) -> int | None:
        value: int | None = getattr(self, name.value)
        return value

    def given(self, names: Sequence[LimitName] = tuple(LimitName)) -> dict[str, int]:
        """The limits among ``names`` this layer sets (does not inherit), by name."""
        return {name.value: value for name in names if (value := self.of(name)) is not None}

    def is_empty(self) -> bool:
        return not self.given()


def capped(limits: Limits, caps: Limits) -> Limits:
    """``limits`` within the owner's ``caps``. A cap above 0 bounds its limit, "no limit" (0) included;
    a cap of 0 sets no ceiling."""

    def bound(limit: int, cap: int) -> int:
        if cap <= 0:
            return limit
        return cap if limit <= 0 else min(limit, cap)

    return Limits(**{name.value: bound(limits.of(name), caps.of(name)) for name in LimitName})


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
        result = replace(result, **guild.given())
    for name in MEMBER_FIELDS:
        values = [v for role in roles if (v := role.of(name)) is not None]
        if values:
            result = replace(result, **{name.value: most_generous(values)})
    if member is not None:
        result = replace(result, **member.given(MEMBER_FIELDS))
    return result


@dataclass(frozen=True)
class LimitPolicy:
    """The owner's defaults, and the caps no moderator's override may exceed."""

    defaults: Limits
    caps: Limits = NO_CAPS

    @classmethod
    def of(cls, limits: Limits | LimitPolicy) -> LimitPolicy:
        """A policy as given, or defaults without caps."""
        return limits if isinstance(limits, LimitPolicy) else cls(limits)

    def limits(
        self, guild: LimitLayer | None, roles: Sequence[LimitLayer], member: LimitLayer | None
    ) -> Limits:
        """A member's limits under these overrides, within the owner's caps."""
        return capped(effective_limits(self.defaults, guild, roles, member), self.caps)


@dataclass(frozen=True)
class Usage:
    pending: int
    last_hour: int
    last_day: int
    guild_last_day: int

    def of(self, name: LimitName) -> int:
        """What ``name`` counts."""
        match name:
            case LimitName.MAX_PENDING:
                return self.pending
            case LimitName.PER_HOUR:
                return self.last_hour
            case LimitName.PER_DAY:
                return self.last_day
            case LimitName.GUILD_PER_DAY:
                return self.guild_last_day
            case _:
                assert_never(name)


@dataclass(frozen=True)
class Refusal:
    """Why a submission was refused: a limit (with ``frees_at``, when it lets one more through; None: when a
    pending job finishes), or a ban or blocked term with the ban reason or the term in ``detail``."""

    limit: RefusalKind
    allowed: int
    frees_at: datetime | None
    detail: str | None = None
    used: int = 0  # what already counts against the limit
    cost: int = 1  # what the refused job would have counted as (a story: its shots)


def first_exceeded(limits: Limits, usage: Usage, cost: int = 1) -> LimitName | None:
    """The first limit one more job, counting as ``cost`` clips, would exceed, most specific first.

    A job larger than ``max_pending`` by itself (a long story) still fits when nothing else is pending:
    that limit bounds what one member holds in the queue at once, and it could never fit otherwise."""
    for name in LimitName:
        allowed = limits.of(name)
        counted = min(cost, allowed) if name is LimitName.MAX_PENDING else cost
        if allowed > 0 and usage.of(name) + counted > allowed:
            return name
    return None
