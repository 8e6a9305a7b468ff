"""What a member is told when a limit, a ban or a blocked term stops their ``/video``: a message for
every kind of refusal (mypy checks that none is left out), in the member's language."""

from __future__ import annotations

from typing import assert_never

import discord

from bot.discord_app.safe_text import quote_user_text
from bot.i18n import tr
from bot.limits import Barred, LimitName, Refusal

_PERIODS = {
    LimitName.PER_HOUR: "in an hour",
    LimitName.PER_DAY: "in 24 hours",
}


def describe(refusal: Refusal, locale: object = None) -> str:
    def say(message: str, **values: object) -> str:
        return tr(locale, message, **values)

    when = discord.utils.format_dt(refusal.frees_at, "R") if refusal.frees_at is not None else say("soon")
    if refusal.cost > 1 and isinstance(refusal.limit, LimitName):
        return _describe_story(refusal, refusal.limit, when, locale)
    n = refusal.allowed
    match refusal.limit:
        case Barred.BANNED:
            if refusal.detail:
                return say(
                    "The moderators of this server have stopped you from using `/video` here. "
                    "Reason: {reason}",
                    reason=quote_user_text(refusal.detail),
                )
            return say("The moderators of this server have stopped you from using `/video` here.")
        case Barred.BLOCKED_TERM:
            return say(
                "Your prompt contains “{term}”, which this server's moderators have blocked. "
                "Nothing was queued.",
                term=quote_user_text(refusal.detail or ""),
            )
        case LimitName.MAX_PENDING:
            if n == 1:
                return say(
                    "You already have {count} clip queued or rendering, the most this server allows at once. "
                    "Try again when it is done, or cancel it with `/cancel`.",
                    count=n,
                )
            return say(
                "You already have {count} clips queued or rendering, the most this server allows at once. "
                "Try again when one is done, or cancel one with `/cancel`.",
                count=n,
            )
        case LimitName.PER_HOUR:
            return say(
                "You have made {count} clips in the last hour, this server's limit. "
                "You can make another {when}.",
                count=n,
                when=when,
            )
        case LimitName.PER_DAY:
            return say(
                "You have made {count} clips in the last 24 hours, this server's limit. "
                "You can make another {when}.",
                count=n,
                when=when,
            )
        case LimitName.GUILD_PER_DAY:
            return say(
                "This server has made its {count} clips for the last 24 hours. "
                "The next one can be made {when}.",
                count=n,
                when=when,
            )
        case _:
            assert_never(refusal.limit)


def _describe_story(refusal: Refusal, limit: LimitName, when: str, locale: object) -> str:
    """A story counts as one clip per shot: say so, with what is left, and whether it can ever fit."""
    n, cost, left = refusal.allowed, refusal.cost, max(refusal.allowed - refusal.used, 0)
    if limit is LimitName.MAX_PENDING:
        return tr(
            locale,
            "This story has {cost} shots, and each counts as a clip. You have {used} queued or rendering, "
            "and this server allows {allowed} at once: try again when they are done, or cancel one with "
            "`/cancel`.",
            cost=cost,
            used=refusal.used,
            allowed=n,
        )
    scope = tr(locale, "this server" if limit is LimitName.GUILD_PER_DAY else "you")
    period = tr(locale, _PERIODS.get(limit, "in 24 hours"))
    if cost > n:
        return tr(
            locale,
            "This story has {cost} shots, and each counts as a clip. This server allows {allowed} {period} "
            "for {scope}: try a story with fewer shots.",
            cost=cost,
            allowed=n,
            period=period,
            scope=scope,
        )
    return tr(
        locale,
        "This story has {cost} shots, and each counts as a clip. This server allows {allowed} {period} "
        "for {scope}, with {left} left now; there is room for {cost} again {when}.",
        cost=cost,
        allowed=n,
        period=period,
        scope=scope,
        left=left,
        when=when,
    )
