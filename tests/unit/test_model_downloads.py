"""Where a worker's model downloads stand: what members' cards say, what the log prints, and how often."""

from __future__ import annotations

import itertools

from hypothesis import given
from hypothesis import strategies as st

from bot.discord_app import status
from bot.model_downloads import (
    DownloadState,
    DownloadTracker,
    furthest_download,
    states_from_json,
)
from bot.queue_estimate import Estimate


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@given(st.integers(min_value=0, max_value=10**12), st.integers(min_value=1, max_value=10**12))
def test_a_download_shows_100_percent_only_once_every_byte_is_here(done: int, total: int) -> None:
    percent = DownloadState(min(done, total), total).percent
    assert 0 <= percent <= 100
    assert (percent == 100) == (done >= total)


def test_a_card_says_how_far_the_download_is_instead_of_a_time_in_the_members_language() -> None:
    estimate = Estimate(None, unmeasured=False, workers=1, download=DownloadState(42, 100))
    card = status.queued(7, 2, 3, estimate)
    assert card == "⏳ Job #7 is queued: position 2 of 3.\n⏬ The model is downloading (42%)."
    assert "(42 %)" in status.queued(7, 2, 3, estimate, "fr")
    listing = Estimate(None, unmeasured=False, workers=1, download=DownloadState())
    assert status.queued(7, 1, 1, listing).endswith("\n⏬ The model is downloading…")  # no share yet
    held = Estimate(None, unmeasured=False, workers=1, download=DownloadState(42, 100, "the Hub is away"))
    assert "held up; the bot keeps trying" in status.queued(7, 1, 1, held)
    assert "the Hub is away" not in status.queued(7, 1, 1, held)  # the owner's business, in the log


def test_progress_is_logged_at_once_then_at_most_every_ten_seconds() -> None:
    clock = Clock()
    tracker = DownloadTracker(clock)
    tracker.started("wan")
    tracker.progress("wan", 0, 1000)
    assert list(tracker.due_for_log()) == ["wan"]
    logged = [clock.now]
    for _ in range(100):  # a report and a look every 0.7 s, for 70 s
        clock.now += 0.7
        tracker.progress("wan", min(1000, int(clock.now)), 1000)
        if tracker.due_for_log():
            logged.append(clock.now)
    gaps = [b - a for a, b in itertools.pairwise(logged)]
    assert len(logged) >= 6 and all(gap >= 10.0 for gap in gaps), gaps


def test_a_held_up_download_is_not_logged_as_progress_and_keeps_its_bytes() -> None:
    tracker = DownloadTracker(Clock())
    tracker.started("wan")
    tracker.progress("wan", 300, 1000)
    tracker.held_up("wan", "the Hub did not answer")
    assert tracker.snapshot() == {"wan": DownloadState(300, 1000, "the Hub did not answer")}
    assert tracker.due_for_log() == {}
    tracker.retrying("wan")  # the next try starts where the last one stopped
    assert tracker.snapshot() == {"wan": DownloadState(300, 1000)}
    tracker.finished("wan")
    assert tracker.snapshot() == {}


def test_a_member_hears_of_a_download_only_when_no_worker_serving_the_model_has_it() -> None:
    early, late = DownloadState(10, 100), DownloadState(80, 100)
    stuck = DownloadState(90, 100, "disk full")
    assert furthest_download([]) is None
    assert furthest_download([early, None]) is None  # one worker has it: it will render the job
    assert furthest_download([early, late]) == late
    assert furthest_download([stuck, early]) == early  # a moving download says more than a stuck one
    assert furthest_download([stuck]) == stuck


def test_stored_downloads_read_back_and_what_is_not_one_is_left_out() -> None:
    state = DownloadState(5, 10, None)
    assert states_from_json({"wan": state.to_json()}) == {"wan": state}
    assert states_from_json({"wan": {"done": "5"}, "ltx": 3}) == {}
    assert states_from_json(None) == {}
