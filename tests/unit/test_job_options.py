import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.job_options import (
    ASPECTS,
    FORMATS,
    FRAME_RATES,
    MAX_DURATION,
    MIN_DURATION,
    InvalidOptionsError,
    JobOptions,
)

options = st.builds(
    JobOptions,
    aspect=st.none() | st.sampled_from(ASPECTS),
    duration=st.none() | st.floats(MIN_DURATION, MAX_DURATION),
    format=st.sampled_from(FORMATS),
    image=st.booleans(),
    sound=st.none() | st.booleans(),
    fps=st.none() | st.sampled_from(FRAME_RATES),
    shots=st.just(0) | st.integers(2, 6),
)
extensions = st.builds(
    JobOptions, extends=st.integers(1, 2**40), duration=st.none() | st.floats(MIN_DURATION, MAX_DURATION)
)


@given(options | extensions)
def test_options_survive_the_trip_through_the_database(original: JobOptions) -> None:
    stored = json.loads(json.dumps(original.to_json()))
    assert JobOptions.from_json(stored) == original


def test_rows_written_before_options_were_typed_read_back_as_they_were_meant() -> None:
    assert JobOptions.from_json({}) == JobOptions()
    assert JobOptions.from_json(None) == JobOptions()
    old = {"aspect": "9:16", "duration": 3, "format": "gif", "image": True, "fps": 0}
    assert JobOptions.from_json(old) == JobOptions(
        aspect="9:16", duration=3.0, format="gif", image=True, fps=0
    )
    assert JobOptions(format="gif").gif and not JobOptions().gif


def test_only_what_differs_from_the_defaults_is_stored() -> None:
    assert JobOptions().to_json() == {}
    assert JobOptions(sound=False, image=True).to_json() == {"sound": False, "image": True}
    assert JobOptions(shots=2).to_json() == {"shots": 2}
    assert JobOptions(shots=3).cost == 3 and JobOptions().cost == 1


@pytest.mark.parametrize(
    ("row", "named"),
    [
        ({"colour": "red"}, "colour"),
        ({"aspect": "4:3"}, "aspect"),
        ({"aspect": 16}, "aspect"),
        ({"format": "webm"}, "format"),
        ({"duration": "3"}, "duration"),
        ({"duration": True}, "duration"),
        ({"duration": 600.0}, "duration"),
        ({"fps": 60}, "fps"),
        ({"fps": 24.0}, "fps"),
        ({"image": "yes"}, "image"),
        ({"sound": 1}, "sound"),
        ({"shots": "a | b"}, "shots"),
        ({"shots": 1}, "shots"),
        ({"shots": 7}, "shots"),
        ({"shots": True}, "shots"),
        ({"extends": "3"}, "extends"),
        ({"extends": 0}, "extends"),
        ({"extends": 3, "format": "gif"}, "extends"),
        ("gif", "object"),
        (["aspect"], "object"),
    ],
)
def test_a_row_that_holds_no_valid_options_is_refused_by_name(row: object, named: str) -> None:
    with pytest.raises(InvalidOptionsError, match=named):
        JobOptions.from_json(row)
