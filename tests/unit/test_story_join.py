"""Joining a story's shots: frame counts, the crossfade itself, and the sound."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from generation.audio import AudioTrack
from generation.generator import RenderedClip
from generation.story import continue_clip, crossfade_frames, join_shots


def shot(value: int, frames: int = 12, fps: int = 16, audio: AudioTrack | None = None) -> RenderedClip:
    pixels = np.full((frames, 4, 6, 3), value, dtype=np.uint8)
    return RenderedClip(pixels, fps, "m", 1, 4, {"denoise": 1.0}, audio)


@given(st.lists(st.integers(4, 40), min_size=2, max_size=6), st.sampled_from([8, 16, 24, 30]))
def test_the_story_has_the_shots_frames_minus_one_overlap_per_cut(lengths: list[int], fps: int) -> None:
    joined = join_shots([shot(i * 40, n, fps) for i, n in enumerate(lengths)])
    overlap = crossfade_frames(fps, min(lengths))
    assert joined.num_frames == sum(lengths) - overlap * (len(lengths) - 1)
    assert 1 <= overlap <= max(1, min(lengths) // 4)


def test_the_cut_fades_from_one_shot_into_the_next() -> None:
    joined = join_shots([shot(0), shot(200)])
    overlap = crossfade_frames(16, 12)
    levels = joined.frames[:, 0, 0, 0].astype(int).tolist()
    assert levels[: 12 - overlap] == [0] * (12 - overlap)
    fade = levels[12 - overlap : 12]
    assert fade == sorted(fade) and fade[0] > 0 and fade[-1] < 200
    assert levels[12:] == [200] * (12 - overlap)
    assert joined.timings == {"denoise": 2.0}


def test_sound_is_joined_when_every_shot_has_some_and_dropped_otherwise() -> None:
    def track(value: float) -> AudioTrack:
        return AudioTrack(np.full((2, 12_000), value, dtype=np.float32), 16_000)

    joined = join_shots([shot(0, audio=track(0.5)), shot(9, audio=track(-0.5))])
    assert joined.audio is not None
    overlap = round(crossfade_frames(16, 12) / 16 * 16_000)
    assert joined.audio.samples.shape == (2, 24_000 - overlap)
    assert joined.audio.samples[0, 0] == 0.5 and joined.audio.samples[0, -1] == -0.5
    assert join_shots([shot(0, audio=track(0.5)), shot(9)]).audio is None


def test_shots_of_different_sizes_are_refused() -> None:
    other = RenderedClip(np.zeros((12, 8, 6, 3), dtype=np.uint8), 16, "m", 1, 4)
    with pytest.raises(ValueError, match="share"):
        join_shots([shot(0), other])


def test_an_extension_follows_the_clip_without_repeating_its_last_frame() -> None:
    clip = np.full((16, 4, 6, 3), 10, dtype=np.uint8)
    segment = RenderedClip(np.full((9, 8, 12, 3), 200, dtype=np.uint8), 8, "i2v", 1, 4)  # other size, rate
    joined = continue_clip(clip, 16, None, segment, max_seconds=20)
    # 9 frames at 8 fps are 18 at 16 fps; the first is the clip's last frame again.
    assert joined.frames.shape == (16 + 17, 4, 6, 3) and joined.fps == 16 and joined.audio is None
    assert (joined.frames[:16] == 10).all() and (joined.frames[16:] == 200).all()
    capped = continue_clip(clip, 16, None, segment, max_seconds=1.5)
    assert capped.num_frames == 24


def test_an_extensions_sound_follows_the_clips_or_is_silence() -> None:
    clip = np.zeros((16, 4, 6, 3), dtype=np.uint8)
    loud = AudioTrack(np.full((2, 48_000), 0.5, dtype=np.float32), 48_000)
    segment = RenderedClip(np.zeros((17, 4, 6, 3), dtype=np.uint8), 16, "i2v", 1, 4)
    joined = continue_clip(clip, 16, loud, segment, max_seconds=20)
    assert joined.audio is not None and joined.audio.seconds == joined.num_frames / 16
    assert joined.audio.samples[0, 0] == 0.5 and joined.audio.samples[0, -1] == 0.0
