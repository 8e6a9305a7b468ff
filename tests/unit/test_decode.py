"""Reading an encoded clip back (to continue it) with the real ffmpeg."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from generation.audio import AudioTrack
from generation.decode import UnreadableClipError, decode_clip
from generation.encode import encode_mp4


def _frames(count: int = 12) -> np.ndarray:
    levels = np.linspace(20, 230, count).astype(np.uint8)
    return np.broadcast_to(levels[:, None, None, None], (count, 48, 64, 3)).copy()


def test_a_clip_reads_back_frame_for_frame_with_its_rate(tmp_path: Path) -> None:
    frames = _frames()
    encode_mp4(frames, 16, tmp_path / "clip.mp4", 10 * 1024 * 1024)
    clip = decode_clip(tmp_path / "clip.mp4")
    assert clip.frames.shape == frames.shape and clip.fps == 16 and clip.audio is None
    assert clip.seconds == pytest.approx(12 / 16)
    # Lossy, but each frame stays near its level: the last frame is the last frame.
    assert np.abs(clip.frames.astype(int).mean(axis=(1, 2, 3)) - frames[:, 0, 0, 0]).max() < 6


def test_its_sound_comes_back_too(tmp_path: Path) -> None:
    tone = np.sin(np.linspace(0, 400 * np.pi, 24_000, dtype=np.float32))[None, :].repeat(2, axis=0) * 0.5
    encode_mp4(_frames(), 16, tmp_path / "loud.mp4", 10 * 1024 * 1024, audio=AudioTrack(tone, 32_000))
    clip = decode_clip(tmp_path / "loud.mp4")
    assert clip.audio is not None and clip.audio.channels == 2
    assert clip.audio.seconds == pytest.approx(12 / 16, abs=0.1)


def test_a_file_that_is_no_video_is_refused(tmp_path: Path) -> None:
    (tmp_path / "x.mp4").write_bytes(b"not a video at all")
    with pytest.raises(UnreadableClipError):
        decode_clip(tmp_path / "x.mp4")
