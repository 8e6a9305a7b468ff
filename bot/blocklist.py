"""Matching prompts against a server's blocked terms. Pure: no Discord, no database."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable

from bot.video_request import clean_text

MAX_TERM = 100

# Letters of other scripts that look like Latin ones, mapped to the Latin letter they pass for: the
# "skeleton" idea of Unicode TR39 (Security Mechanisms, confusables.txt), cut down to the letters drawn
# alike in common fonts. Small letters only, applied after casefolding, so a word matches whatever its
# case; capitals whose small letters look different (Greek Η, Μ) are therefore not caught. Accented
# look-alikes need no entry: their marks are dropped first.
_CONFUSABLES = str.maketrans(
    {
        # Cyrillic
        "а": "a", "в": "b", "е": "e", "к": "k", "м": "m", "н": "h", "о": "o", "р": "p", "с": "c",
        "т": "t", "у": "y", "х": "x", "ү": "y", "і": "i", "ӏ": "l", "ј": "j", "ѕ": "s", "ԁ": "d",
        "ԛ": "q", "ԝ": "w", "һ": "h",
        # Greek
        "α": "a", "β": "b", "γ": "y", "ε": "e", "η": "n", "ι": "i", "κ": "k", "ν": "v", "ο": "o",
        "ρ": "p", "τ": "t", "υ": "u", "χ": "x", "ϳ": "j",
        # Armenian
        "օ": "o", "ս": "u", "ո": "n", "հ": "h", "զ": "q",
        # Latin letters that pass for other Latin letters
        "ı": "i", "ȷ": "j", "ɑ": "a", "ɡ": "g", "ᴄ": "c", "ᴏ": "o", "ᴠ": "v", "ᴡ": "w", "ᴢ": "z", "ꜱ": "s",
    }
)  # fmt: skip


def _without_marks(text: str) -> str:
    """Decompose and drop combining marks, so "café" and "cafe" (or "ё" and "е") are one word."""
    return "".join(ch for ch in unicodedata.normalize("NFKD", text) if unicodedata.category(ch) != "Mn")


def normalise(text: str) -> str:
    """The form prompts and blocked terms are compared in.

    Zero-width and other invisible characters, case, width ("ＣＡＴ"), accents and look-alike letters
    of other scripts ("сат" in Cyrillic) make no difference; runs of whitespace are one space.
    """
    # NFKC first, as terms were stored before, so those rows normalise as if typed again. Mapped again
    # after dropping marks ("ё" is "е" with a mark) and casefolding anew (NFKD turns "ℂ" into "C").
    text = unicodedata.normalize("NFKC", clean_text(text)).casefold().translate(_CONFUSABLES)
    text = _without_marks(text).casefold().translate(_CONFUSABLES)
    return " ".join(unicodedata.normalize("NFKC", text).split())


def blocked_term_in(texts: Iterable[str], terms: Iterable[str]) -> str | None:
    """The first term found in any of ``texts``. Terms are normalised here too, so rows stored under
    an older normalisation still match."""
    haystack = " \n ".join(normalise(t) for t in texts)
    for term in terms:
        if (needle := normalise(term)) and needle in haystack:
            return term
    return None
