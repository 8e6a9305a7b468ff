"""Echoing user text into Discord messages without pinging anyone or breaking the message's markdown."""

from __future__ import annotations

import re

import discord

from bot.video_request import clean_text

# Discord's markdown treats a backslash before any ASCII punctuation as "this character, literally", so
# escaping every character with a markdown meaning (emphasis, spoilers, code, links, mentions, block
# syntax such as "# ", "> ", "- ", "1. ") makes the text render exactly as typed.
_MARKDOWN = re.compile(r"([\\*_~|`\[\]()<>#\-+.!@:=])")

# Prompts are at most 500 characters and escaping at most triples them; this only guards misuse.
MAX_ECHO = 1800


def quote_user_text(text: str, limit: int = MAX_ECHO) -> str:
    """Make ``text`` render literally on one line: no markdown, no links, no mentions; at most ``limit``
    characters, cut with an ellipsis."""
    escaped = _MARKDOWN.sub(r"\\\1", clean_text(text))
    # Belt and braces: even where a client ignored the escape, a zero-width space breaks every mention.
    escaped = discord.utils.escape_mentions(escaped)
    return _cut(escaped, limit)


def _cut(text: str, limit: int) -> str:
    """Shorten without leaving a dangling escape that would swallow what follows."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    trailing = len(cut) - len(cut.rstrip("\\"))
    if trailing % 2:
        cut = cut[:-1]
    return cut + "…"


def only_user(user_id: int) -> discord.AllowedMentions:
    """Allow exactly one ping: the requester."""
    return discord.AllowedMentions(
        everyone=False, roles=False, replied_user=False, users=[discord.Object(user_id)]
    )
