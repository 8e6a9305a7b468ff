"""The discord.py client: intents, mention policy, sharding and slash-command registration."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.discord_app.command_errors import explain
from bot.discord_app.command_sync import SyncRecords, sync_if_changed
from bot.discord_app.error_reply import answer_privately, errors_answered, log_unexpected
from bot.discord_app.job_buttons import ButtonActions, JobButton
from bot.discord_app.job_modals import submitted_form
from bot.discord_app.translator import CatalogTranslator
from bot.log_context import in_guild

log = logging.getLogger(__name__)


def _guild_only(command: app_commands.Command[Any, ..., Any] | app_commands.ContextMenu) -> bool:
    """Whether Discord is told to offer the command in servers only (a subcommand: its top group)."""
    root = getattr(command, "root_parent", None) or command
    contexts = root.allowed_contexts
    if contexts is not None:
        return not (contexts.dm_channel or contexts.private_channel)
    return bool(root.guild_only)


class VideoBotTree(app_commands.CommandTree[discord.Client]):
    """Every command's checks and errors pass here.

    A server-only command used outside a server is refused before it runs: Discord hides such commands
    there, but a stale client or a Discord-compatible server may send one anyway. Every error ends in one
    private reply: a precise one when the member can act on it, else an apology with an id to find the
    traceback in the log."""

    async def interaction_check(self, interaction: discord.Interaction, /) -> bool:
        in_guild(interaction.guild_id)  # what the command logs names the server
        command = interaction.command
        if interaction.guild_id is not None or command is None or not _guild_only(command):
            return True
        if interaction.type is discord.InteractionType.autocomplete:
            return False  # there is no one to tell: suggestions are not messages
        raise app_commands.NoPrivateMessage()

    async def on_error(
        self, interaction: discord.Interaction, error: app_commands.AppCommandError, /
    ) -> None:
        name = interaction.command.qualified_name if interaction.command else "(unknown)"
        message = explain(error, interaction.locale)
        if message is None:
            message = log_unexpected(f"command {name}", interaction.guild_id, error, interaction.locale)
        else:
            log.warning("command %s in guild %s: %s", name, interaction.guild_id, _kind(error))
        await answer_privately(interaction, message)


class VideoBot(discord.AutoShardedClient):
    """Sharded as Discord advises for the bot's size (``GET /gateway/bot``): one shard below about 1,000
    servers, more above, each on its own gateway connection in this one process."""

    def __init__(
        self,
        features: Sequence[commands.Cog | app_commands.Group],
        job_buttons: ButtonActions,
        command_guilds: list[int],
        syncs: SyncRecords,
        force_sync: bool = False,
    ) -> None:
        intents = discord.Intents.none()
        intents.guilds = True
        super().__init__(
            intents=intents,
            # Nothing the bot sends pings anyone unless a message names its one allowed user.
            allowed_mentions=discord.AllowedMentions.none(),
            chunk_guilds_at_startup=False,
        )
        self.tree = VideoBotTree(self)
        self._command_guilds = [discord.Object(g) for g in command_guilds]
        self._syncs = syncs
        self._force_sync = force_sync  # ``python -m bot sync``: send the commands whatever was recorded
        for feature in features:
            # A Cog holds a feature's top-level commands (discord.py binds them to it); a Group is one.
            for command in feature.get_app_commands() if isinstance(feature, commands.Cog) else [feature]:
                self.tree.add_command(command)
        # The buttons on jobs' messages find what they do here, after a restart too.
        self.job_buttons = job_buttons

    async def setup_hook(self) -> None:
        self.add_dynamic_items(JobButton)
        await self.tree.set_translator(CatalogTranslator())
        if self._command_guilds:
            synced = 0
            for guild in self._command_guilds:
                self.tree.copy_global_to(guild=guild)
                synced += await sync_if_changed(self.tree, self._syncs, guild, self._force_sync)
            log.info("synced commands to %d of %d guild(s)", synced, len(self._command_guilds))
        elif await sync_if_changed(self.tree, self._syncs, None, self._force_sync):
            log.info("synced global commands (Discord may take up to an hour to show changes)")

    async def on_interaction(self, interaction: discord.Interaction) -> None:
        """Answers to the bot's forms, routed by their custom id so that they work after a restart too."""
        answer = submitted_form(interaction)
        if answer is not None:
            async with errors_answered(interaction, f"{answer.form} form of job {answer.job_id}"):
                await self.job_buttons.answered(interaction, answer)

    def gateway_problem(self) -> str | None:
        """Why the bot cannot hear from Discord now (not connected yet, or a shard's connection is down)."""
        if not self.is_ready():
            return "not connected to Discord's gateway yet"
        down = sorted(shard_id for shard_id, shard in self.shards.items() if shard.is_closed())
        if down:
            return f"disconnected from Discord's gateway (shard {', '.join(map(str, down))})"
        return None

    async def on_ready(self) -> None:
        log.info("connected as %s to %d guild(s)", self.user, len(self.guilds))


def _kind(error: app_commands.AppCommandError) -> str:
    """The error's type, and its cause's for a failed command; not their messages, which may quote input."""
    if isinstance(error, app_commands.CommandInvokeError):
        return f"{type(error).__name__} ({type(error.original).__name__})"
    return type(error).__name__
