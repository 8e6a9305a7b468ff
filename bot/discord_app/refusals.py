"""What a member is told when a limit, a ban or a blocked term stops their ``/video``: a message for
every kind of refusal (mypy checks that none is left out)."""

from __future__ import annotations

from datetime import datetime
from typing import assert_never

import discord

from bot.discord_app.safe_text import quote_user_text
from bot.limits import Barred, LimitName, Refusal


def _when(at: datetime | None) -> str:
    return discord.utils.format_dt(at, "R") if at is not None else "soon"


_PERIODS = {
    LimitName.PER_HOUR: "in an hour",
    LimitName.PER_DAY: "in 24 hours",
}


def describe(refusal: Refusal) -> str:
    if refusal.cost > 1 and isinstance(refusal.limit, LimitName):
        return _describe_story(refusal, refusal.limit)
    n = refusal.allowed
    match refusal.limit:
        case Barred.BANNED:
            reason = f" Reason: {quote_user_text(refusal.detail)}" if refusal.detail else ""
            return f"The moderators of this server have stopped you from using `/video` here.{reason}"
        case Barred.BLOCKED_TERM:
            term = quote_user_text(refusal.detail or "")
            return (
                f"Your prompt contains “{term}”, which this server's moderators have blocked. "
                "Nothing was queued."
            )
        case LimitName.MAX_PENDING:
            return (
                f"You already have {n} clip{'s' if n != 1 else ''} queued or rendering, the most this server "
                "allows at once. Try again when one is done, or cancel one with `/cancel`."
            )
        case LimitName.PER_HOUR:
            return (
                f"You have made {n} clips in the last hour, this server's limit. "
                f"You can make another {_when(refusal.frees_at)}."
            )
        case LimitName.PER_DAY:
            return (
                f"You have made {n} clips in the last 24 hours, this server's limit. "
                f"You can make another {_when(refusal.frees_at)}."
            )
        case LimitName.GUILD_PER_DAY:
            return (
                f"This server has made its {n} clips for the last 24 hours. "
                f"The next one can be made {_when(refusal.frees_at)}."
            )
        case _:
            assert_never(refusal.limit)


def _describe_story(refusal: Refusal, limit: LimitName) -> str:
    """A story counts as one clip per shot: say so, with what is left, and whether it can ever fit."""
    n, cost, left = refusal.allowed, refusal.cost, max(refusal.allowed - refusal.used, 0)
    head = f"This story has {cost} shots, and each counts as a clip."
    if limit is LimitName.MAX_PENDING:
        return (
            f"{head} You have {refusal.used} queued or rendering, and this server allows {n} at once: "
            "try again when they are done, or cancel one with `/cancel`."
        )
    scope = "this server" if limit is LimitName.GUILD_PER_DAY else "you"
    period = _PERIODS.get(limit, "in 24 hours")
    if cost > n:
        return f"{head} This server allows {n} {period} for {scope}: try a story with fewer shots."
    return (
        f"{head} This server allows {n} {period} for {scope}, with {left} left now; "
        f"there is room for {cost} again {_when(refusal.frees_at)}."
    )
