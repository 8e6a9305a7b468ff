"""What the buttons on a job's messages do, and the forms they open (``job_buttons.py`` holds the buttons
themselves, ``job_modals.py`` the forms)."""

from __future__ import annotations

import logging

import discord

from bot.discord_app.checks import is_moderator
from bot.discord_app.job_commands import JobCommands
from bot.discord_app.job_modals import FormAnswer
from bot.discord_app.video_command import VideoCommand
from bot.faults import is_store_outage
from bot.i18n import tr
from bot.store.base import Audit
from bot.store.jobs import JobStore
from bot.store.moderation import ModerationStore

log = logging.getLogger(__name__)

NOT_YOURS = "Only the member who made this clip, or a moderator (Manage Server), can delete it."


class JobButtonActions:
    def __init__(
        self, jobs: JobStore, moderation: ModerationStore, job_commands: JobCommands, video: VideoCommand
    ) -> None:
        self._jobs = jobs
        self._moderation = moderation
        self._job_commands = job_commands
        self._video = video

    async def cancel(self, interaction: discord.Interaction, job_id: int) -> None:
        await self._job_commands.cancel_job(interaction, job_id, from_button=True)

    async def reroll(self, interaction: discord.Interaction, job_id: int) -> None:
        await self._video.reroll(interaction, job_id)

    async def remix(self, interaction: discord.Interaction, job_id: int) -> None:
        await self._video.remix(interaction, job_id)

    async def extend(self, interaction: discord.Interaction, job_id: int) -> None:
        await self._video.extend(interaction, job_id)

    async def answered(self, interaction: discord.Interaction, answer: FormAnswer) -> None:
        """A form the buttons opened came back filled in."""
        if answer.form == "extend":
            await self._video.extended(interaction, answer.job_id, answer.values)
        else:
            await self._video.remixed(interaction, answer.job_id, answer.values)

    async def delete(self, interaction: discord.Interaction, job_id: int) -> None:
        """The requester or a moderator removes the clip's message; anyone else is told it is not theirs."""
        job = await self._jobs.get(job_id)
        own = job is not None and job.user_id == interaction.user.id
        if not own and not is_moderator(interaction):
            await interaction.response.send_message(tr(interaction.locale, NOT_YOURS), ephemeral=True)
            return
        # Answered first: Discord waits 3 seconds for an answer, and a delete may take longer.
        await interaction.response.defer(ephemeral=True, thinking=True)
        if interaction.message is not None:
            await interaction.message.delete()
        deleted = tr(interaction.locale, "Deleted the clip of job #{job}.", job=job_id)
        # In the audit log before the moderator is told it is done, so that what they read next has it.
        # The clip is gone by now: a database outage here must not answer that nothing changed.
        if not own and interaction.guild_id is not None:
            owner = job.user_id if job is not None else None
            audit = Audit(interaction.guild_id, interaction.user.id, "clip deleted", f"job #{job_id}", owner)
            try:
                await self._moderation.record(audit)
            except Exception as exc:
                if not is_store_outage(exc):
                    raise
                log.warning("The deletion of job #%d's clip could not be written to the audit log", job_id)
                deleted = tr(
                    interaction.locale,
                    "Deleted the clip of job #{job}. The database cannot be reached right now, so the "
                    "deletion is not in the audit log.",
                    job=job_id,
                )
        await interaction.followup.send(deleted, ephemeral=True)
