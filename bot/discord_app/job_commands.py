"""``/queue``, ``/cancel`` and the Cancel button on status messages."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, Self

import discord
from discord import app_commands
from discord.ext import commands

from bot.discord_app import status
from bot.discord_app.checks import is_moderator, server_id
from bot.discord_app.command_errors import QUEUE_UNREACHABLE, database_unreachable
from bot.discord_app.error_reply import answer_privately, log_unexpected
from bot.discord_app.status_message import edit_status
from bot.store.jobs import CancelOutcome, JobStore


class CancelButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"videobot:cancel:(?P<job_id>[0-9]+)"
):
    """A Cancel button whose job id lives in its custom id, so it keeps working after a restart."""

    def __init__(self, job_id: int) -> None:
        super().__init__(
            discord.ui.Button(
                label="Cancel", style=discord.ButtonStyle.secondary, custom_id=f"videobot:cancel:{job_id}"
            )
        )
        self.job_id = job_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> Self:
        return cls(int(match["job_id"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        # A button is not a command: its errors do not reach the tree's handler, so they are answered here.
        try:
            job_commands = getattr(interaction.client, "job_commands", None)
            if not isinstance(job_commands, JobCommands):
                raise TypeError("the client has no job commands to cancel with")
            await job_commands.cancel_job(interaction, self.job_id, from_button=True)
        except Exception as exc:
            if database_unreachable(exc):
                message = QUEUE_UNREACHABLE
            else:
                message = log_unexpected(f"cancel button of job {self.job_id}", interaction.guild_id, exc)
            await answer_privately(interaction, message)


def cancel_view(job_id: int) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(CancelButton(job_id))
    return view


class JobCommands(commands.Cog):
    """``/queue`` and ``/cancel``."""

    def __init__(self, store: JobStore, model: str, on_cancelled: Callable[[int], None]) -> None:
        self._store = store
        self._model = model
        # Tells a worker in this process at once; workers elsewhere notice within their watch interval.
        self._on_cancelled = on_cancelled

    @app_commands.command(name="queue", description="Your clips in the queue, and how long the queue is")
    @app_commands.guild_only()
    async def queue(self, interaction: discord.Interaction) -> None:
        jobs = await self._store.member_jobs(server_id(interaction), interaction.user.id)
        length = await self._store.queue_length(self._model)
        lines = [
            f"• Job #{job.id}: " + (f"position {position} in the queue" if position else "rendering now")
            for job, position in jobs
        ]
        head = "Your clips:" if lines else "You have no clips queued or rendering."
        text = "\n".join([head, *lines, f"Jobs waiting in the queue: {length}."])
        await interaction.response.send_message(text, ephemeral=True)

    @app_commands.command(name="cancel", description="Cancel one of your clips (moderators: anyone's)")
    @app_commands.guild_only()
    @app_commands.describe(job="Job number (default: your latest)")
    async def cancel(
        self, interaction: discord.Interaction, job: app_commands.Range[int, 1] | None = None
    ) -> None:
        await self.cancel_job(interaction, job)

    async def cancel_job(
        self, interaction: discord.Interaction, job_id: int | None, from_button: bool = False
    ) -> None:
        guild_id = server_id(interaction)
        if job_id is None:
            latest = await self._store.latest_pending(guild_id, interaction.user.id)
            if latest is None:
                await interaction.response.send_message("You have no clips to cancel.", ephemeral=True)
                return
            job_id = latest.id
        moderator = is_moderator(interaction)
        result = await self._store.cancel(job_id, guild_id, interaction.user.id, moderator)
        who = (
            "its requester"
            if result.job is None or result.job.user_id == interaction.user.id
            else "a moderator"
        )
        text = {
            CancelOutcome.CANCELLED_QUEUED: f"Cancelled job #{job_id}.",
            CancelOutcome.CANCELLED_RUNNING: f"Stopping job #{job_id}; it will not be posted.",
            CancelOutcome.CANCELLED_POSTING: (
                f"Job #{job_id} was being posted; the clip will be removed as soon as it lands."
            ),
            CancelOutcome.NOT_FOUND: f"There is no job #{job_id} in this server.",
            CancelOutcome.NOT_YOURS: (
                f"Job #{job_id} is not yours. "
                "Only moderators (Manage Server) can cancel other members' clips."
            ),
            CancelOutcome.ALREADY_FINISHED: f"Job #{job_id} has already finished.",
        }[result.outcome]
        cancelled = result.outcome in (
            CancelOutcome.CANCELLED_QUEUED,
            CancelOutcome.CANCELLED_RUNNING,
            CancelOutcome.CANCELLED_POSTING,
        )
        if result.outcome is CancelOutcome.CANCELLED_RUNNING:
            self._on_cancelled(job_id)
        if cancelled and from_button:
            await interaction.response.edit_message(content=status.cancelled(job_id, who), view=None)
            return
        await interaction.response.send_message(text, ephemeral=True)
        if cancelled and result.job is not None:
            await edit_status(interaction.client, result.job, status.cancelled(job_id, who), view=None)
