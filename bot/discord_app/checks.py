"""Checks every command shares: who may use it, and where.

Discord hides moderator commands by their default permissions and server-only commands outside servers,
but that is Discord's check, not the bot's: these run again for every interaction. A failed check raises
an ``app_commands`` error, which the tree's one error handler turns into a private reply.
"""

from __future__ import annotations

import discord
from discord import app_commands


class NotModeratorError(app_commands.CheckFailure):
    """The member lacks Manage Server, which moderator commands require."""


def is_moderator(interaction: discord.Interaction) -> bool:
    """Manage Server in a server: the permission ``/videomod`` asks for."""
    return interaction.guild_id is not None and interaction.permissions.manage_guild


def require_moderator(interaction: discord.Interaction) -> bool:
    """For a group's ``interaction_check``: passes for moderators, raises for anyone else."""
    if not is_moderator(interaction):
        raise NotModeratorError()
    return True


def server_id(interaction: discord.Interaction) -> int:
    """The id of the server the command was used in (the tree refuses server-only commands elsewhere)."""
    if interaction.guild_id is None:
        raise app_commands.NoPrivateMessage()
    return interaction.guild_id
