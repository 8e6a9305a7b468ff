"""The running render-time estimate and the queue's expected times (pure arithmetic)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from bot.render_estimate import CLAMP, ClipSize, Running, Timing, queue_eta, render_seconds, updated

SMALL = ClipSize(64, 64, 9)
LARGE = ClipSize(128, 128, 9)  # four times the pixels
NOW = datetime(2026, 11, 23, 12, tzinfo=UTC)
seconds = st.floats(min_value=0.01, max_value=10_000, allow_nan=False)


def test_the_first_render_is_the_estimate() -> None:
    assert updated(None, 12.5) == 12.5


@given(seconds, seconds)
def test_one_render_moves_the_estimate_towards_it_but_never_past_it_nor_far(
    estimate: float, observed: float
) -> None:
    after = updated(estimate, observed)
    assert min(estimate, observed) - 1e-9 <= after <= max(estimate, observed) + 1e-9
    assert estimate / CLAMP - 1e-9 <= after <= estimate * CLAMP + 1e-9


@given(seconds, st.lists(seconds, min_size=0, max_size=5), seconds)
def test_steady_render_times_win_over_a_few_outliers(
    start: float, outliers: list[float], steady: float
) -> None:
    estimate = start
    for observed in [*outliers, *[steady] * 100]:
        estimate = updated(estimate, observed)
    assert abs(estimate - steady) <= 0.01 * steady


def test_a_first_compile_does_not_triple_the_estimate() -> None:
    estimate = updated(updated(None, 10), 600)  # a render that compiled kernels for ten minutes
    assert estimate <= 10 + 0.3 * (10 * CLAMP - 10) + 1e-9


def test_an_unmeasured_size_is_scaled_from_the_best_measured_one() -> None:
    timings = [Timing(SMALL, 10.0, samples=5), Timing(ClipSize(32, 32, 9), 7.0, samples=1)]
    assert render_seconds(timings, SMALL) == 10.0
    assert render_seconds(timings, LARGE) == 40.0
    assert render_seconds([], SMALL) is None


def test_no_measurement_gives_no_eta() -> None:
    assert queue_eta(NOW, [], SMALL, ahead=3, queued=[SMALL], running=[], workers=1) is None


def test_the_eta_counts_the_jobs_ahead_and_what_is_left_of_the_running_one() -> None:
    timings = [Timing(SMALL, 10.0, samples=3)]
    running = [Running(SMALL, NOW - timedelta(seconds=4))]
    eta = queue_eta(NOW, timings, SMALL, ahead=2, queued=[SMALL, LARGE], running=running, workers=1)
    assert eta is not None
    # 6 s left of the running job, then two jobs of the queue's average (10 + 40) / 2.
    assert eta.start == NOW + timedelta(seconds=6 + 2 * 25)
    assert eta.ready == eta.start + timedelta(seconds=10)
    shared = queue_eta(NOW, timings, SMALL, ahead=2, queued=[SMALL, LARGE], running=running, workers=2)
    assert shared is not None and shared.start == NOW + timedelta(seconds=28)


@given(st.integers(0, 50), st.integers(0, 50), st.integers(1, 4), st.floats(0, 100))
def test_further_back_is_never_sooner(ahead: int, more: int, workers: int, elapsed: float) -> None:
    timings = [Timing(SMALL, 10.0, samples=3)]
    running = [Running(LARGE, NOW - timedelta(seconds=elapsed))]
    near = queue_eta(NOW, timings, SMALL, ahead, [SMALL, LARGE], running, workers)
    far = queue_eta(NOW, timings, SMALL, ahead + more, [SMALL, LARGE], running, workers)
    assert near is not None and far is not None
    assert NOW <= near.start <= far.start and near.start < near.ready
