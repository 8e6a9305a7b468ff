from dataclasses import astuple

from hypothesis import given
from hypothesis import strategies as st

from bot.limits import Limits, capped

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
