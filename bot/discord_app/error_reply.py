"""The one private answer a member gets when handling their command or button press fails."""

from __future__ import annotations

import logging
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import discord

from bot.discord_app.command_errors import QUEUE_UNREACHABLE, database_unreachable, unexpected
from bot.i18n import tr
from bot.log_context import in_guild

log = logging.getLogger("bot.discord_app.errors")


def log_unexpected(what: str, guild_id: int | None, error: BaseException, locale: object = None) -> str:
    """Log a fault of the bot's own under a fresh id; the apology that names that id, in ``locale``."""
    incident = secrets.token_hex(4)
    # Names and ids only: an interaction's token and a member's prompt stay out of the log.
    log.error("error %s: %s failed in guild %s", incident, what, guild_id, exc_info=error)
    return unexpected(incident, locale)


async def answer_privately(interaction: discord.Interaction, message: str) -> None:
    """Say ``message`` to the member alone, whether or not the interaction was answered already."""
    try:
        if interaction.response.is_done():
            await interaction.followup.send(message, ephemeral=True)
        else:
            await interaction.response.send_message(message, ephemeral=True)
    except discord.HTTPException:
        log.warning("could not tell the member what went wrong")


@asynccontextmanager
async def errors_answered(interaction: discord.Interaction, what: str) -> AsyncIterator[None]:
    """For a button, whose errors never reach the command tree's handler: answer them as it would."""
    in_guild(interaction.guild_id)  # what this task logs names the server
    try:
        yield
    except Exception as exc:
        if database_unreachable(exc):
            message = tr(interaction.locale, QUEUE_UNREACHABLE)
        else:
            message = log_unexpected(what, interaction.guild_id, exc, interaction.locale)
        await answer_privately(interaction, message)
