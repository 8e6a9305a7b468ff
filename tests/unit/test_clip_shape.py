import pytest

from generation.clip_shape import ClipShape, shape_clip
from generation.gif import MAX_GIF_SECONDS
from generation.presets import PRESETS


@pytest.mark.parametrize("name", list(PRESETS))
def test_gif_jobs_never_ask_for_more_than_a_gif_holds(name: str) -> None:
    preset = PRESETS[name]
    for seconds in (None, 6.0, 1.0):
        frames = shape_clip(preset, seconds=seconds, gif=True).num_frames
        assert frames is not None
        assert preset.family.fit_frames(frames) == frames
        assert frames / preset.defaults.fps <= MAX_GIF_SECONDS


def test_aspect_and_duration_follow_the_models_rules() -> None:
    shape = shape_clip(PRESETS["wan2.1-t2v-1.3b"], aspect="9:16", seconds=2.0)
    assert shape == ClipShape(width=480, height=848, num_frames=33)  # same area as 832x480, sides of 16


def test_nothing_asked_keeps_the_models_own_shape() -> None:
    assert shape_clip(PRESETS["wan2.1-t2v-1.3b"]) == ClipShape()


def test_the_playback_rate_is_raised_only_above_the_models_own() -> None:
    wan = PRESETS["wan2.1-t2v-1.3b"]  # 16 fps of its own
    assert wan.defaults.fps == 16
    assert shape_clip(wan, smooth_fps=24).fps == 24  # the owner's smooth_fps
    assert shape_clip(wan, fps=30, smooth_fps=24).fps == 30  # the member's choice wins
    assert shape_clip(wan, fps=0, smooth_fps=24).fps is None  # 0: the model's own
    assert shape_clip(wan, smooth_fps=16).fps is None  # not above its own: nothing to interpolate
    assert shape_clip(wan, gif=True, fps=30, smooth_fps=24).fps is None  # GIFs: 15 fps at most
