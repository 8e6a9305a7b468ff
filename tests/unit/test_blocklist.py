import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.blocklist import blocked_term_in, normalise

INVISIBLE = ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad", "\u202e"]
# Latin letter -> look-alikes from other scripts (TR39 confusables).
HOMOGLYPHS = {
    "a": "аα",
    "c": "с",
    "e": "еε",
    "h": "һн",
    "i": "іι",
    "j": "ј",
    "k": "кκ",
    "o": "оοօ",
    "p": "рρ",
    "s": "ѕ",
    "t": "тτ",
    "x": "хχ",
    "y": "уү",
}
COMBINING = ["\u0301", "\u0308", "\u0327"]


def _stored_before(text: str) -> str:
    """How terms were normalised when they were stored by earlier versions."""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


@pytest.mark.parametrize(
    ("term", "prompt"),
    [
        ("spa\u200bghetti", "a cat eating spaghetti"),  # a zero-width space in the term
        ("spaghetti", "a cat eating spa\u200dghe\u2060tti"),  # and in the prompt
        ("сат", "a cat on a mat"),  # Cyrillic с, а, т
        ("cat", "a сат on a mat"),
        ("ΚΙΤΕ", "a red kite"),  # Greek capitals
        ("kite", "a red κιτε"),
        ("ΜΑΛΑΚΑΣ", "μαλακας"),  # a Greek word matches in either case
        ("ＳＰＡＭ", "no spam please"),  # fullwidth
        ("café", "a cafe at night"),
        ("cafe", "a cafe\u0301 at night"),  # a combining accent
        ("new  york", "a taxi in NEW\tYORK"),
    ],
)
def test_disguised_terms_and_prompts_match_plain_ones(term: str, prompt: str) -> None:
    assert blocked_term_in([prompt], [term]) == term


def test_a_moderators_disguised_term_is_stored_in_its_plain_form() -> None:
    assert normalise(" Sp\u200bаghetti\u00ad ") == "spaghetti"


def test_different_words_stay_different() -> None:
    assert blocked_term_in(["a dog in the park"], ["cat", "bark"]) is None
    assert normalise("straße") == "strasse"


def test_a_term_that_is_only_invisible_characters_blocks_nothing() -> None:
    assert blocked_term_in(["a cat"], ["\u200b\u200b", "\u0301"]) is None


@st.composite
def disguised(draw: st.DrawFn) -> tuple[str, str]:
    """A plain lowercase phrase, and the same phrase with look-alikes, invisible characters, accents
    and changes of case mixed in."""
    words = draw(st.lists(st.text("abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=8), min_size=1))
    plain = " ".join(words)
    out = []
    for ch in plain:
        if ch in HOMOGLYPHS and draw(st.booleans()):
            ch = draw(st.sampled_from(HOMOGLYPHS[ch]))
        elif ch != " " and draw(st.booleans()):
            ch = ch.upper()
        out.append(ch)
        if ch != " " and draw(st.booleans()):
            out.append(draw(st.sampled_from(INVISIBLE + COMBINING)))
    return plain, "".join(out)


@given(disguised())
def test_disguises_normalise_to_the_plain_phrase(pair: tuple[str, str]) -> None:
    plain, disguise = pair
    assert normalise(disguise) == plain
    assert blocked_term_in([f"a clip of {plain}!"], [disguise]) == disguise
    assert blocked_term_in([f"a clip of {disguise}!"], [plain]) == plain


@given(st.text())
def test_normalising_twice_changes_nothing(text: str) -> None:
    assert normalise(normalise(text)) == normalise(text)


@given(st.text())
def test_terms_stored_by_earlier_versions_normalise_as_if_typed_again(text: str) -> None:
    assert normalise(_stored_before(text)) == normalise(text)
