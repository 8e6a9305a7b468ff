"""Messages in the member's language, from gettext catalogs (Babel ``.po`` files in ``bot/locales``).

English is the source: a message's id is its English text, with ``{named}`` placeholders. Each language
is one catalog file, ``bot/locales/<code>.po``, named by Discord's locale code (``fr``, ``de``,
``pt-BR``…); adding a language is adding that file. A message a catalog lacks is shown in English.
No Discord, no database: locales are plain strings here.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from pathlib import Path

from babel.messages.pofile import read_po

LOCALES = Path(__file__).parent / "locales"
SOURCE = "en"


@functools.cache
def catalogs() -> dict[str, dict[str, str]]:
    """Every catalog's translated messages, by language code (read once; they ship with the bot)."""
    found: dict[str, dict[str, str]] = {}
    for path in sorted(LOCALES.glob("*.po")):
        with path.open("rb") as file:
            catalog = read_po(file)
        found[path.stem] = {
            m.id: m.string
            for m in catalog
            if isinstance(m.id, str) and m.id and isinstance(m.string, str) and m.string
        }
    return found


def language(locale: str | None) -> str | None:
    """The catalog for a Discord locale (``fr``, ``en-US``, ``pt-BR``): the exact one, else its language."""
    if not locale:
        return None
    available = catalogs()
    if locale in available:
        return locale
    base = locale.split("-")[0]
    return base if base in available else None


def catalog_of(locale: object) -> str | None:
    """The catalog for ``locale``: anything whose ``str`` is a locale code, such as ``discord.Locale``."""
    return language(str(locale.value if hasattr(locale, "value") else locale) if locale else None)


def tr(locale: object, message: str, /, **values: object) -> str:
    """``message`` in ``locale`` (anything whose ``str`` is a locale code, such as ``discord.Locale``),
    with its placeholders filled; English when the language has no catalog or lacks the message."""
    code = catalog_of(locale)
    translated = catalogs().get(code, {}).get(message, message) if code else message
    return translated.format_map(values)


def capitalized(sentence: str) -> str:
    """``sentence`` with a capital first letter, for one that starts with a placeholder ("the server
    default" → "The server default…"); a mention ("<@1>") is left as it is."""
    return sentence[:1].upper() + sentence[1:]


class LocalizedError(ValueError):
    """An explanation for a member, in English by ``str()`` and in their language by :meth:`text_in`."""

    def __init__(self, message: str, /, **values: object) -> None:
        super().__init__(message.format_map(values))
        self.message = message
        self.values: Mapping[str, object] = values

    def text_in(self, locale: object) -> str:
        return tr(locale, self.message, **self.values)
