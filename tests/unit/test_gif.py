from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from generation.encode import ClipTooLargeError, EncodedClip
from generation.gif import encode_gif

COMMENT = "AI-generated. Seed: 1"


def _noise(frames: int, side: int) -> np.ndarray:
    return np.random.default_rng(0).integers(0, 256, size=(frames, side, side, 3), dtype=np.uint8)


def _assert_a_looping_gif_with_provenance(out: Path, encoded: EncodedClip, max_bytes: int) -> None:
    assert out.stat().st_size == encoded.size_bytes <= max_bytes
    with Image.open(out) as gif:
        assert gif.format == "GIF" and getattr(gif, "n_frames", 1) == encoded.num_frames
        assert gif.size == (encoded.width, encoded.height)
        assert gif.info.get("loop") == 0
        assert COMMENT.encode() in gif.info.get("comment", b"")


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    frames=st.integers(2, 24),
    side=st.integers(64, 128),
    fps=st.sampled_from([8, 12, 15]),  # rates GIF plays as they are: every frame is kept
    budget=st.floats(0.4, 1.0),
)
def test_gifs_over_the_limit_are_shrunk_until_they_fit(
    tmp_path: Path, frames: int, side: int, fps: int, budget: float
) -> None:
    # Noise does not compress: a GIF of it takes more than a byte per pixel (about 1.4 to 1.7 here), so a
    # limit of at most one byte per pixel is over budget at full size, and every example must shrink.
    limit = int(budget * frames * side * side)
    out = tmp_path / "c.gif"
    encoded = encode_gif(_noise(frames, side), fps, out, limit, comment=COMMENT)
    assert encoded.attempts > 1 and encoded.width == encoded.height < side
    assert encoded.num_frames == frames and encoded.fps == fps
    _assert_a_looping_gif_with_provenance(out, encoded, limit)


def test_a_gif_within_the_limit_keeps_its_size_and_drops_frames_only_above_gifs_rate(tmp_path: Path) -> None:
    out, limit = tmp_path / "c.gif", 10**7
    encoded = encode_gif(_noise(24, 80), 24, out, limit, comment=COMMENT)
    assert encoded.attempts == 1 and (encoded.width, encoded.height) == (80, 80)
    assert (encoded.num_frames, encoded.fps) == (12, 12)  # every other frame, at half the rate
    _assert_a_looping_gif_with_provenance(out, encoded, limit)


def test_a_clip_that_cannot_shrink_enough_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ClipTooLargeError, match="does not fit in 5000 bytes"):
        encode_gif(_noise(24, 64), 8, tmp_path / "c.gif", 5_000)
    assert not (tmp_path / "c.gif").exists()


def test_long_clips_are_not_made_into_gifs(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="at most"):
        encode_gif(np.zeros((100, 16, 16, 3), dtype=np.uint8), 8, tmp_path / "x.gif", 10**6)
