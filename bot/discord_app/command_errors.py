"""What a member is told when a slash command fails. Pure: maps discord.py's errors to texts."""

from __future__ import annotations

import aiohttp
from discord import AppCommandOptionType, app_commands

from bot.discord_app.checks import NotModeratorError
from bot.faults import causes, is_store_outage
from bot.i18n import tr


def unexpected(incident: str, locale: object = None) -> str:
    """The apology for a fault of the bot's own, with the id its traceback is logged under."""
    return tr(
        locale,
        "Sorry, something went wrong on my side (error `{incident}`). Please try again in a moment; "
        "if it keeps happening, tell the bot's owner this error id.",
        incident=incident,
    )


SERVERS_ONLY = "This command works in servers only."
MODERATORS_ONLY = "Only members with the Manage Server permission can use `/videomod`."
QUEUE_UNREACHABLE = (
    "The job queue cannot be reached right now, so nothing changed. Please try again in a minute."
)
OPTIONS_MISMATCH = (
    "This command's options did not arrive as expected, perhaps because the bot's commands are being "
    "updated. Please try the command again in a minute."
)
UNKNOWN_COMMAND = (
    "This bot does not offer that command any more, or its commands are being updated. "
    "Please try again in a minute."
)

# How a reply names an option's value Discord could not resolve here: as a mention (which pings no one,
# the client allows none), else in words.
_MISSING = {
    AppCommandOptionType.user: (
        "<@{id}> is not a member of this server (any more), so nothing changed. "
        "Please check the option and try again.",
        "That member is not in this server (any more), so nothing changed. "
        "Please check the option and try again.",
    ),
    AppCommandOptionType.role: (
        "<@&{id}> is not a role of this server (any more), so nothing changed. "
        "Please check the option and try again.",
        "That role is not in this server (any more), so nothing changed. "
        "Please check the option and try again.",
    ),
    AppCommandOptionType.mentionable: (
        "<@{id}> is not in this server (any more), so nothing changed. "
        "Please check the option and try again.",
        "That member or role is not here (any more), so nothing changed. "
        "Please check the option and try again.",
    ),
    AppCommandOptionType.channel: (
        "<#{id}> cannot be found here (any more), so nothing changed. Please check the option and try again.",
        "That channel cannot be found here (any more), so nothing changed. "
        "Please check the option and try again.",
    ),
}


def explain(error: app_commands.AppCommandError, locale: object = None) -> str | None:
    """The text for a failure the member can act on, in ``locale``; None for a fault of the bot's own,
    which gets the apology of ``unexpected`` (and a traceback in the log)."""
    if isinstance(error, app_commands.NoPrivateMessage):
        return tr(locale, SERVERS_ONLY)
    if isinstance(error, NotModeratorError):
        return tr(locale, MODERATORS_ONLY)
    if isinstance(error, app_commands.CommandSignatureMismatch):
        # Raised, among others, when a required option is missing: Discord sent an older definition.
        return tr(locale, OPTIONS_MISMATCH)
    if isinstance(error, app_commands.CommandNotFound):
        return tr(locale, UNKNOWN_COMMAND)
    if isinstance(error, app_commands.TransformerError):
        return _not_found(error, locale)
    if isinstance(error, app_commands.CommandInvokeError) and database_unreachable(error.original):
        return tr(locale, QUEUE_UNREACHABLE)
    return None


def _not_found(error: app_commands.TransformerError, locale: object) -> str | None:
    if error.type not in _MISSING:
        return None  # a value that failed a conversion: the bot's fault, not the member's
    mention, words = _MISSING[error.type]
    target_id = getattr(error.value, "id", None)
    return tr(locale, mention, id=target_id) if isinstance(target_id, int) else tr(locale, words)


def database_unreachable(exc: BaseException) -> bool:
    """Whether ``exc``, or what it was raised from, says the database (or the network to it) is not there."""
    if any(isinstance(link, aiohttp.ClientError) for link in causes(exc)):
        return False  # Discord's API failed, not the queue; some of the command may have been done
    return is_store_outage(exc)
