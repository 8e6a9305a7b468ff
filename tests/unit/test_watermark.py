import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from generation.watermark import add_watermark


@settings(max_examples=20, deadline=None)
@given(st.integers(48, 400), st.integers(48, 400), st.integers(1, 4))
def test_the_badge_marks_only_the_bottom_right_corner(width: int, height: int, count: int) -> None:
    frames = np.full((count, height, width, 3), 90, dtype=np.uint8)
    marked = add_watermark(frames)
    assert marked.shape == frames.shape and marked.dtype == np.uint8
    changed = np.argwhere((marked != frames).any(axis=-1))
    assert len(changed) > 0
    assert changed[:, 1].min() >= height // 2 and changed[:, 2].min() >= width // 2
    # Every frame carries it.
    assert all((marked[i] != frames[i]).any() for i in range(count))


def test_frames_too_small_for_a_legible_badge_are_left_alone() -> None:
    frames = np.zeros((2, 8, 8, 3), dtype=np.uint8)
    assert np.array_equal(add_watermark(frames), frames)
