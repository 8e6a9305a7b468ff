"""Frame interpolation keeps the clip's span and starts on the model's own frame."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from generation.interpolate import interpolate, interpolated_frame_count


def _frames(n: int, seed: int = 0, h: int = 16, w: int = 24) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, size=(n, h, w, 3), dtype=np.uint8)


@settings(max_examples=25, deadline=None)
@given(
    n=st.integers(min_value=2, max_value=40),
    fps=st.sampled_from([7, 8, 12, 15, 16]),
    target=st.sampled_from([24, 25, 30]),
)
def test_the_span_is_kept_at_the_new_rate(n: int, fps: int, target: int) -> None:
    out = interpolate(_frames(n), fps, target)
    assert out.shape[0] == interpolated_frame_count(n, fps, target) == (n - 1) * target // fps + 1
    assert out.shape[1:] == (16, 24, 3) and out.dtype == np.uint8
    # The clip lasts as long (to within one frame of the new rate), and never longer.
    assert 0 <= (n - 1) / fps - (out.shape[0] - 1) / target < 1 / target
    # The first frame is the model's own (up to YUV rounding).
    assert np.abs(out[0].astype(int) - _frames(n)[0].astype(int)).max() <= 3


@pytest.mark.parametrize("side", [16, 64], ids=["blended", "motion-compensated"])
def test_frames_between_the_originals_are_new(side: int) -> None:
    frames = np.zeros((3, side, side, 3), dtype=np.uint8)
    frames[1] = 200
    out = interpolate(frames, 8, 24)
    assert out.shape[0] == 7
    means = [float(f.mean()) for f in out]
    assert any(10 < m < 190 for m in means), f"no frame between black and light: {means}"


@pytest.mark.parametrize("target", [8, 6])
def test_a_rate_not_above_the_models_own_changes_nothing(target: int) -> None:
    frames = _frames(5)
    assert interpolate(frames, 8, target) is frames


def test_wrong_arrays_are_rejected() -> None:
    with pytest.raises(ValueError, match="frames must be"):
        interpolate(np.zeros((4, 8, 8, 3), dtype=np.float32), 8, 24)
