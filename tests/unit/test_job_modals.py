"""Reading a submitted form, whatever layout Discord sends it in."""

from __future__ import annotations

import pytest

from bot.discord_app.job_modals import form_values
from bot.video_request import MAX_SEED, InvalidRequestError, parse_seed


def test_values_are_read_from_action_rows_and_labels() -> None:
    data = {
        "custom_id": "videobot:remix:3",
        "components": [
            {"type": 1, "components": [{"type": 4, "custom_id": "prompt", "value": "a dog"}]},
            {"type": 18, "id": 2, "component": {"type": 4, "custom_id": "seed", "value": ""}},
            {"type": 10, "content": "text, not an input"},
            "not a component",
        ],
    }
    assert form_values(data) == {"prompt": "a dog", "seed": ""}
    assert form_values({"components": "garbage"}) == {}
    assert form_values(None) == {}


@pytest.mark.parametrize(
    ("typed", "seed"), [("", None), ("  ", None), (" 42 ", 42), (str(MAX_SEED), MAX_SEED)]
)
def test_a_typed_seed_is_a_number_or_empty(typed: str, seed: int | None) -> None:
    assert parse_seed(typed) == seed


@pytest.mark.parametrize("typed", ["seven", "-1", "4.2", "١٢", str(MAX_SEED + 1), "1e3"])
def test_anything_else_typed_as_a_seed_is_refused(typed: str) -> None:
    with pytest.raises(InvalidRequestError, match="whole number"):
        parse_seed(typed)
