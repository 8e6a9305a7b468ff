"""Echoing user text into Discord messages without pinging anyone or breaking the message's markdown."""

from __future__ import annotations

import discord

from bot.video_request import clean_text

# Discord's embed description limit is 4096; prompts are at most 500 characters, and escaping at most
# doubles them plus a zero-width space per mention, so this only guards against misuse.
MAX_ECHO = 1800


def quote_user_text(text: str) -> str:
    """Make ``text`` render literally: no markdown, no headings or lists, no mentions, one line."""
    one_line = clean_text(text)
    escaped = discord.utils.escape_markdown(one_line, ignore_links=False)
    # Ordered lists and subtext start a line with "1." or "-#"; a leading backslash stops both.
    if escaped[:1].isdigit() or escaped.startswith("-"):
        escaped = "\\" + escaped
    escaped = discord.utils.escape_mentions(escaped)
    # Channel mentions and custom emoji render as links or images; break their syntax too.
    escaped = escaped.replace("<#", "<\u200b#").replace("<:", "<\u200b:").replace("<a:", "<\u200ba:")
    return escaped[:MAX_ECHO]


def only_user(user_id: int) -> discord.AllowedMentions:
    """Allow exactly one ping: the requester."""
    return discord.AllowedMentions(
        everyone=False, roles=False, replied_user=False, users=[discord.Object(user_id)]
    )
