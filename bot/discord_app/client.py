"""The discord.py client: intents, mention policy and slash-command registration."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Protocol

import discord
from discord import app_commands

from bot.discord_app.job_commands import CancelButton, JobCommands


class CommandSet(Protocol):
    def register(self, tree: app_commands.CommandTree[discord.Client]) -> None: ...


log = logging.getLogger(__name__)


class VideoBot(discord.Client):
    def __init__(
        self, command_sets: Sequence[CommandSet], job_commands: JobCommands, command_guilds: list[int]
    ) -> None:
        intents = discord.Intents.none()
        intents.guilds = True
        super().__init__(
            intents=intents,
            # Nothing the bot sends pings anyone unless a message names its one allowed user.
            allowed_mentions=discord.AllowedMentions.none(),
            chunk_guilds_at_startup=False,
        )
        self.tree = app_commands.CommandTree(self)
        self.tree.on_error = self._on_tree_error  # type: ignore[method-assign]
        self._command_guilds = [discord.Object(g) for g in command_guilds]
        for command_set in (*command_sets, job_commands):
            command_set.register(self.tree)
        # The Cancel button finds the cancel logic here, after a restart too.
        self.job_commands = job_commands
        self.on_started: Callable[[], Awaitable[None]] | None = None

    async def setup_hook(self) -> None:
        self.add_dynamic_items(CancelButton)
        if self._command_guilds:
            for guild in self._command_guilds:
                self.tree.copy_global_to(guild=guild)
                await self.tree.sync(guild=guild)
            log.info("synced commands to %d guild(s)", len(self._command_guilds))
        else:
            await self.tree.sync()
            log.info("synced global commands (Discord may take up to an hour to show changes)")
        if self.on_started is not None:
            await self.on_started()

    async def on_ready(self) -> None:
        log.info("connected as %s to %d guild(s)", self.user, len(self.guilds))

    async def _on_tree_error(
        self, interaction: discord.Interaction, error: app_commands.AppCommandError
    ) -> None:
        log.exception("command %s failed", interaction.command and interaction.command.name, exc_info=error)
        message = "Sorry, something went wrong on my side. Please try again in a moment."
        try:
            if interaction.response.is_done():
                await interaction.followup.send(message, ephemeral=True)
            else:
                await interaction.response.send_message(message, ephemeral=True)
        except discord.HTTPException:
            log.warning("could not tell the user about the error")
