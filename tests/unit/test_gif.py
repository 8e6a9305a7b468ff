from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from generation.encode import ClipTooLargeError
from generation.gif import encode_gif


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    frames=st.integers(2, 24),
    side=st.integers(16, 96),
    fps=st.sampled_from([8, 16, 24]),
    limit=st.integers(5_000, 400_000),
)
def test_gifs_loop_carry_provenance_and_fit(
    tmp_path: Path, frames: int, side: int, fps: int, limit: int
) -> None:
    clip = np.random.default_rng(0).integers(0, 256, size=(frames, side, side, 3), dtype=np.uint8)
    out = tmp_path / "c.gif"
    try:
        encoded = encode_gif(clip, fps, out, limit, comment="AI-generated. Seed: 1")
    except ClipTooLargeError:
        assert limit < 300_000, "a generous limit must always be met"
        return
    assert out.stat().st_size == encoded.size_bytes <= limit
    with Image.open(out) as gif:
        assert gif.format == "GIF" and gif.n_frames == encoded.num_frames
        assert gif.info.get("loop") == 0
        assert b"AI-generated" in gif.info.get("comment", b"")


def test_long_clips_are_not_made_into_gifs(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="at most"):
        encode_gif(np.zeros((100, 16, 16, 3), dtype=np.uint8), 8, tmp_path / "x.gif", 10**6)
