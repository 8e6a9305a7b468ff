import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.video_request import (
    MAX_PROMPT,
    MAX_SEED,
    InvalidRequestError,
    story_shots,
    validate_request,
    validate_story,
)


@given(
    st.text(max_size=700), st.one_of(st.none(), st.text(max_size=700)), st.one_of(st.none(), st.integers())
)
def test_any_input_is_either_a_clean_request_or_a_polite_refusal(
    prompt: str, negative: str | None, seed: int | None
) -> None:
    try:
        request = validate_request(prompt, negative, seed)
    except InvalidRequestError as exc:
        assert str(exc)[0].isupper() and str(exc).endswith(".")
        return
    for text in (request.prompt, request.negative_prompt or ""):
        assert len(text) <= MAX_PROMPT
        assert text == text.strip()
        assert "\n" not in text and "  " not in text
        assert all(unicodedata.category(ch)[0] != "C" for ch in text)
    assert request.prompt
    assert 0 <= request.seed <= MAX_SEED
    if seed is not None:
        assert request.seed == seed


@pytest.mark.parametrize("prompt", ["", "   ", "\n\t", "\u200b\u200b", "x" * (MAX_PROMPT + 1)])
def test_empty_or_overlong_prompts_are_refused(prompt: str) -> None:
    with pytest.raises(InvalidRequestError):
        validate_request(prompt)


@pytest.mark.parametrize("seed", [-1, MAX_SEED + 1])
def test_out_of_range_seed_is_refused(seed: int) -> None:
    with pytest.raises(InvalidRequestError, match="seed"):
        validate_request("a cat", seed=seed)


def test_missing_seed_is_drawn_so_the_clip_can_be_reproduced() -> None:
    seeds = {validate_request("a cat").seed for _ in range(20)}
    assert len(seeds) > 1


def test_prompt_whitespace_is_folded() -> None:
    assert validate_request("  a\n\ncat\teating  ").prompt == "a cat eating"


@pytest.mark.parametrize(("aspect", "duration"), [("4:3", None), ("16:9 ", None), (None, 0.5), (None, 21.0)])
def test_unknown_aspects_and_durations_out_of_range_are_refused(
    aspect: str | None, duration: float | None
) -> None:
    with pytest.raises(InvalidRequestError):
        validate_request("a cat", aspect=aspect, duration=duration)


def test_shape_options_travel_with_the_job() -> None:
    assert validate_request("a cat", aspect="9:16", duration=3.0).options.to_json() == {
        "aspect": "9:16",
        "duration": 3.0,
    }
    assert validate_request("a cat").options.to_json() == {}


def test_gifs_are_for_short_clips() -> None:
    assert validate_request("a cat", format="gif", duration=4.0).options.to_json() == {
        "duration": 4.0,
        "format": "gif",
    }
    assert validate_request("a cat", format="mp4").options.to_json() == {}
    with pytest.raises(InvalidRequestError, match="GIF"):
        validate_request("a cat", format="gif", duration=10.0)
    with pytest.raises(InvalidRequestError, match="format"):
        validate_request("a cat", format="webm")


def test_a_story_is_split_on_bars_and_new_lines_and_cleaned() -> None:
    request = validate_story("a cat finds spaghetti |  the cat **eats** it\nthe cat\u200b naps | ", seed=5)
    assert request.options.shots == 3
    assert story_shots(request.prompt, 3) == ("a cat finds spaghetti", "the cat **eats** it", "the cat naps")
    assert story_shots("", 3) is None and story_shots(request.prompt, 2) is None
    assert request.prompt == "a cat finds spaghetti | the cat **eats** it | the cat naps"
    assert request.seed == 5 and request.options.cost == 3


@pytest.mark.parametrize("typed", ["just one shot", "a|b|c|d|e|f|g", " | | "])
def test_a_story_needs_two_to_six_shots(typed: str) -> None:
    with pytest.raises(InvalidRequestError, match="2 to 6 shots"):
        validate_story(typed)


def test_each_shot_is_held_to_the_prompt_length() -> None:
    with pytest.raises(InvalidRequestError, match="Shot 2 is"):
        validate_story("a cat | " + "x" * (MAX_PROMPT + 1))
