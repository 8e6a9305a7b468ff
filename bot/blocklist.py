"""Matching prompts against a server's blocked terms. Pure: no Discord, no database."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable

MAX_TERM = 100


def normalise(text: str) -> str:
    """Case- and width-insensitive form, so "ＣＡＴ" and "cat" match the same term."""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def blocked_term_in(texts: Iterable[str], terms: Iterable[str]) -> str | None:
    haystack = " \n ".join(normalise(t) for t in texts)
    for term in terms:
        if normalise(term) in haystack:
            return term
    return None
