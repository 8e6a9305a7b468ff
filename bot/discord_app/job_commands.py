"""``/queue`` and ``/cancel`` (which the Cancel button on status messages runs too)."""

from __future__ import annotations

from collections.abc import Callable

import discord
from discord import app_commands
from discord.ext import commands

from bot.discord_app import status
from bot.discord_app.checks import is_moderator, server_id
from bot.discord_app.status_message import edit_status
from bot.i18n import tr
from bot.store.jobs import CancelOutcome, JobStore


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
        locale = interaction.locale
        lines = [
            tr(locale, "• Job #{job}: position {position} in the queue", job=job.id, position=position)
            if position
            else tr(locale, "• Job #{job}: rendering now", job=job.id)
            for job, position in jobs
        ]
        head = tr(locale, "Your clips:" if lines else "You have no clips queued or rendering.")
        waiting = tr(locale, "Jobs waiting in the queue: {count}.", count=length)
        await interaction.response.send_message("\n".join([head, *lines, waiting]), ephemeral=True)

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
                await interaction.response.send_message(
                    tr(interaction.locale, "You have no clips to cancel."), ephemeral=True
                )
                return
            job_id = latest.id
        moderator = is_moderator(interaction)
        result = await self._store.cancel(job_id, guild_id, interaction.user.id, moderator)
        by_moderator = result.job is not None and result.job.user_id != interaction.user.id
        message = {
            CancelOutcome.CANCELLED_QUEUED: "Cancelled job #{job}.",
            CancelOutcome.CANCELLED_RUNNING: "Stopping job #{job}; it will not be posted.",
            CancelOutcome.CANCELLED_POSTING: (
                "Job #{job} was being posted; the clip will be removed as soon as it lands."
            ),
            CancelOutcome.NOT_FOUND: "There is no job #{job} in this server.",
            CancelOutcome.NOT_YOURS: (
                "Job #{job} is not yours. Only moderators (Manage Server) can cancel other members' clips."
            ),
            CancelOutcome.ALREADY_FINISHED: "Job #{job} has already finished.",
        }[result.outcome]
        text = tr(interaction.locale, message, job=job_id)
        card_locale = result.job.locale if result.job is not None else None
        cancelled = result.outcome in (
            CancelOutcome.CANCELLED_QUEUED,
            CancelOutcome.CANCELLED_RUNNING,
            CancelOutcome.CANCELLED_POSTING,
        )
        if result.outcome is CancelOutcome.CANCELLED_RUNNING:
            self._on_cancelled(job_id)
        if cancelled and from_button:
            card = status.cancelled(job_id, by_moderator, card_locale)
            await interaction.response.edit_message(content=card, view=None)
            return
        await interaction.response.send_message(text, ephemeral=True)
        if cancelled and result.job is not None:
            card = status.cancelled(job_id, by_moderator, card_locale)
            await edit_status(interaction.client, result.job, card, view=None)
