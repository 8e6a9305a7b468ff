import pytest

from bot.worker import shape_for
from generation.gif import MAX_GIF_SECONDS
from generation.presets import PRESETS


@pytest.mark.parametrize("name", list(PRESETS))
def test_gif_jobs_never_ask_for_more_than_a_gif_holds(name: str) -> None:
    preset = PRESETS[name]
    for options in (
        {"format": "gif"},
        {"format": "gif", "duration": 6.0},
        {"format": "gif", "duration": 1.0},
    ):
        frames = shape_for(preset, options)["num_frames"]
        assert preset.family.fit_frames(frames) == frames
        assert frames / preset.defaults.fps <= MAX_GIF_SECONDS


def test_aspect_and_duration_follow_the_models_rules() -> None:
    shape = shape_for(PRESETS["wan2.1-t2v-1.3b"], {"aspect": "9:16", "duration": 2.0})
    assert shape == {"width": 480, "height": 848, "num_frames": 33}  # same area as 832x480, sides of 16
