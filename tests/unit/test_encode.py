from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from generation.audio import AudioTrack
from generation.encode import ClipTooLargeError, encode_mp4
from tests.conftest import ffprobe


def _frames(n: int, h: int, w: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, size=(n, h, w, 3), dtype=np.uint8)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    frames=st.integers(min_value=2, max_value=40),
    height=st.integers(min_value=8, max_value=48).map(lambda x: x * 2),
    width=st.integers(min_value=8, max_value=48).map(lambda x: x * 2),
    fps=st.sampled_from([8, 12, 16, 24, 25, 30]),
    limit=st.integers(min_value=2_000, max_value=400_000),
    seed=st.integers(min_value=0, max_value=1000),
)
def test_encoded_clip_is_valid_and_never_over_the_limit(
    tmp_path: Path, frames: int, height: int, width: int, fps: int, limit: int, seed: int
) -> None:
    out = tmp_path / f"clip-{seed}-{limit}.mp4"
    try:
        clip = encode_mp4(_frames(frames, height, width, seed), fps, out, limit)
    except ClipTooLargeError:
        assert not out.exists()
        # A generous limit must always be met. Giving up is only for budgets below a watchable bitrate, or
        # below what an MP4 header and one keyframe need whatever the bitrate (Discord allows 10 MiB).
        assert limit < 8_192 or limit * 8 / (frames / fps) < 100_000
        return
    assert clip.size_bytes == out.stat().st_size <= limit
    probe = ffprobe(out)
    (video,) = [s for s in probe["streams"] if s["codec_type"] == "video"]
    assert video["codec_name"] == "h264" and video["pix_fmt"] == "yuv420p"
    assert int(video["nb_read_frames"]) == frames
    assert video["r_frame_rate"] == f"{fps}/1"
    assert (int(video["width"]), int(video["height"])) == (clip.width, clip.height)


def test_noise_that_does_not_fit_at_full_quality_is_squeezed_to_fit(tmp_path: Path) -> None:
    frames = _frames(24, 96, 96, 1)
    unconstrained = encode_mp4(frames, 12, tmp_path / "a.mp4", 10**9)
    limit = unconstrained.size_bytes // 3
    squeezed = encode_mp4(frames, 12, tmp_path / "b.mp4", limit)
    assert squeezed.size_bytes <= limit < unconstrained.size_bytes
    assert squeezed.attempts > 1


def test_impossible_limit_is_an_error_not_an_oversized_file(tmp_path: Path) -> None:
    with pytest.raises(ClipTooLargeError):
        encode_mp4(_frames(24, 96, 96, 2), 12, tmp_path / "c.mp4", 300)
    assert not (tmp_path / "c.mp4").exists()


def test_provenance_is_written_into_the_container(tmp_path: Path) -> None:
    encode_mp4(_frames(4, 32, 32, 3), 8, tmp_path / "d.mp4", 10**6, {"comment": "AI-generated. Seed: 7"})
    assert ffprobe(tmp_path / "d.mp4")["format"]["tags"]["comment"] == "AI-generated. Seed: 7"


@pytest.mark.parametrize(
    "frames", [np.zeros((4, 16, 16, 3), dtype=np.float32), np.zeros((16, 16, 3), dtype=np.uint8)]
)
def test_wrong_frame_arrays_are_rejected(tmp_path: Path, frames: np.ndarray) -> None:
    with pytest.raises(ValueError, match="frames must be"):
        encode_mp4(frames, 8, tmp_path / "e.mp4", 10**6)


def _tone(seconds: float, rate: int = 24_000) -> AudioTrack:
    t = np.arange(int(seconds * rate)) / rate
    wave = 0.3 * np.sin(2 * np.pi * 440 * t)
    return AudioTrack(np.stack([wave, -wave]).astype(np.float32), rate)


@pytest.mark.parametrize("sound_seconds", [0.2, 1.0, 3.0])
def test_sound_is_aac_of_the_pictures_length(tmp_path: Path, sound_seconds: float) -> None:
    """The model's sound is cut or padded to the picture: the clip is as long as its frames."""
    clip = encode_mp4(_frames(24, 32, 32, 4), 24, tmp_path / "s.mp4", 10**6, audio=_tone(sound_seconds))
    assert clip.has_audio
    streams = {s["codec_type"]: s for s in ffprobe(tmp_path / "s.mp4")["streams"]}
    assert streams["audio"]["codec_name"] == "aac" and int(streams["audio"]["channels"]) == 2
    assert abs(float(streams["audio"]["duration"]) - 1.0) < 0.05
    assert int(streams["video"]["nb_read_frames"]) == 24


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(limit=st.integers(min_value=20_000, max_value=400_000), seed=st.integers(min_value=0, max_value=100))
def test_sound_counts_against_the_byte_limit(tmp_path: Path, limit: int, seed: int) -> None:
    out = tmp_path / f"a-{limit}-{seed}.mp4"
    try:
        clip = encode_mp4(_frames(48, 64, 64, seed), 24, out, limit, audio=_tone(2.0))
    except ClipTooLargeError:
        assert not out.exists()
        assert limit * 8 / 2.0 < 200_000  # below what video and its sound need for two seconds
        return
    assert clip.size_bytes == out.stat().st_size <= limit
    assert {s["codec_type"] for s in ffprobe(out)["streams"]} == {"video", "audio"}
