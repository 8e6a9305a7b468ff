"""What a member reads when a limit stops them, for one clip and for a story of several shots."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.discord_app.refusals import describe
from bot.limits import LimitName, Refusal

LATER = datetime(2026, 11, 23, 18, tzinfo=UTC)


def test_a_single_clip_is_told_the_limit_and_when_it_frees() -> None:
    text = describe(Refusal(LimitName.PER_HOUR, 3, LATER, used=3))
    assert "made 3 clips in the last hour" in text and f"<t:{int(LATER.timestamp())}:R>" in text


def test_a_story_is_told_what_is_left_not_what_was_made() -> None:
    text = describe(Refusal(LimitName.PER_HOUR, 5, LATER, used=4, cost=3))
    assert "3 shots" in text and "1 left now" in text and "made" not in text


def test_a_story_longer_than_the_limit_is_told_it_never_fits() -> None:
    text = describe(Refusal(LimitName.PER_HOUR, 3, None, used=0, cost=4))
    assert "fewer shots" in text and "soon" not in text


def test_a_story_over_max_pending_counts_what_is_pending() -> None:
    text = describe(Refusal(LimitName.MAX_PENDING, 3, None, used=1, cost=3))
    assert "You have 1 queued or rendering" in text and "3 at once" in text
