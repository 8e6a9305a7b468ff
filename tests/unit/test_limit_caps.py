from dataclasses import astuple, fields, replace

from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import CheckConstraint

from bot.limits import Barred, LimitLayer, LimitName, Limits, Scope, Usage, capped, first_exceeded
from bot.store.schema import Base, LimitOverride

counts = st.integers(min_value=0, max_value=10_000)
limits = st.builds(Limits, counts, counts, counts, counts)


def test_a_cap_bounds_its_limit_and_turns_no_limit_into_the_cap() -> None:
    result = capped(Limits(10, 0, 5, 0), Limits(3, 20, 0, 0))
    assert result == Limits(max_pending=3, per_hour=20, per_day=5, guild_per_day=0)


@given(limits, limits)
def test_the_result_never_exceeds_a_positive_cap(values: Limits, caps: Limits) -> None:
    result = capped(values, caps)
    for value, cap, got in zip(astuple(values), astuple(caps), astuple(result), strict=True):
        if cap > 0:
            assert 0 < got <= cap
            assert got == (min(value, cap) if value > 0 else cap)
        else:
            assert got == value


@given(limits)
def test_no_caps_change_nothing(values: Limits) -> None:
    assert capped(values, Limits(0, 0, 0, 0)) == values


@given(limits, limits)
def test_capping_twice_is_capping_once(values: Limits, caps: Limits) -> None:
    assert capped(capped(values, caps), caps) == capped(values, caps)


def test_the_typed_names_keep_the_strings_stored_and_configured_before() -> None:
    assert list(LimitName) == ["max_pending", "per_hour", "per_day", "guild_per_day"]
    assert list(Barred) == ["banned", "blocked_term"]
    assert list(Scope) == ["guild", "role", "user"]
    # Each limit is a field of the limits, of an override layer and of an override row, by the same name.
    assert [f.name for f in fields(Limits)] == [f.name for f in fields(LimitLayer)] == list(LimitName)
    table = Base.metadata.tables[LimitOverride.__tablename__]
    assert all(name in table.columns for name in LimitName)
    (scopes,) = (c for c in table.constraints if isinstance(c, CheckConstraint))
    assert str(scopes.sqltext) == "scope IN (" + ", ".join(f"'{scope}'" for scope in Scope) + ")"


@given(limits, st.builds(Usage, counts, counts, counts, counts))
def test_the_first_limit_exceeded_is_the_most_specific_one_used_up(values: Limits, usage: Usage) -> None:
    used_up = [name for name in LimitName if 0 < values.of(name) <= usage.of(name)]
    assert first_exceeded(values, usage) == (used_up[0] if used_up else None)
    assert [usage.of(name) for name in LimitName] == list(astuple(usage))


def test_a_story_counts_its_shots_and_fits_max_pending_only_when_nothing_else_waits() -> None:
    limits = Limits(max_pending=2, per_hour=10, per_day=0, guild_per_day=0)
    idle = Usage(pending=0, last_hour=0, last_day=0, guild_last_day=0)
    busy = Usage(pending=1, last_hour=8, last_day=8, guild_last_day=8)
    assert first_exceeded(limits, idle, cost=6) is None
    assert first_exceeded(limits, busy, cost=1) is None
    assert first_exceeded(limits, busy, cost=2) is LimitName.MAX_PENDING
    assert first_exceeded(replace(limits, max_pending=0), busy, cost=3) is LimitName.PER_HOUR
