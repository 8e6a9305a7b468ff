"""What a member is told when a limit stops their ``/video``."""

from __future__ import annotations

from datetime import datetime

import discord

from bot.discord_app.safe_text import quote_user_text
from bot.limits import Refusal


def _when(at: datetime | None) -> str:
    return discord.utils.format_dt(at, "R") if at is not None else "soon"


def describe(refusal: Refusal) -> str:
    n = refusal.allowed
    if refusal.limit == "banned":
        reason = f" Reason: {quote_user_text(refusal.detail)}" if refusal.detail else ""
        return f"The moderators of this server have stopped you from using `/video` here.{reason}"
    if refusal.limit == "blocked_term":
        term = quote_user_text(refusal.detail or "")
        return (
            f"Your prompt contains “{term}”, which this server's moderators have blocked. Nothing was queued."
        )
    if refusal.limit == "max_pending":
        return (
            f"You already have {n} clip{'s' if n != 1 else ''} queued or rendering, the most this server "
            "allows at once. Try again when one is done, or cancel one with `/cancel`."
        )
    if refusal.limit == "per_hour":
        return (
            f"You have made {n} clips in the last hour, this server's limit. "
            f"You can make another {_when(refusal.frees_at)}."
        )
    if refusal.limit == "per_day":
        return (
            f"You have made {n} clips in the last 24 hours, this server's limit. "
            f"You can make another {_when(refusal.frees_at)}."
        )
    return (
        f"This server has made its {n} clips for the last 24 hours. "
        f"The next one can be made {_when(refusal.frees_at)}."
    )
