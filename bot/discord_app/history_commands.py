"""``/history`` and ``/show``: a member's latest clips in a server, and one job's card, privately."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.discord_app.checks import is_moderator, server_id
from bot.discord_app.safe_text import MAX_ECHO, quote_user_text
from bot.discord_app.status import clip_link
from bot.i18n import tr
from bot.store.jobs import JobRecord, JobStore
from bot.store.schema import JobState

HISTORY_LENGTH = 10
PROMPT_SHOWN = 80  # characters of each prompt in a history line
CARD_PROMPT = 1000  # characters of the prompt on a /show card
ERASED = "(prompt erased after the retention period)"
_STATES = {
    JobState.QUEUED: "queued",
    JobState.RUNNING: "rendering",
    JobState.DELIVERED: "delivered",
    JobState.FAILED: "failed",
    JobState.CANCELLED: "cancelled",
}


def _prompt(job: JobRecord, locale: object, limit: int = MAX_ECHO) -> str:
    return quote_user_text(job.prompt, limit) if job.prompt else tr(locale, ERASED)


def history_line(job: JobRecord, locale: object = None) -> str:
    when = discord.utils.format_dt(job.finished_at, "R") if job.finished_at else ""
    link = clip_link(job)
    shown = tr(locale, "Job #{job}", job=job.id)
    return tr(
        locale,
        "• {job} {when}: “{prompt}” (seed {seed}, {model})",
        job=f"[{shown}](<{link}>)" if link else shown,
        when=when,
        prompt=_prompt(job, locale, PROMPT_SHOWN),
        seed=job.seed,
        model=quote_user_text(job.model),
    )


def job_card(job: JobRecord, locale: object = None) -> str:
    """One job as its member (or a moderator) is shown it by ``/show``."""
    # A story's prompt may be 3,000 characters: the card keeps room for the seed and the link.
    state = tr(locale, _STATES[job.state])
    lines = [
        tr(locale, "**Job #{job}** by <@{user}>: {state}", job=job.id, user=job.user_id, state=state),
        tr(locale, "Prompt: “{prompt}”", prompt=_prompt(job, locale, CARD_PROMPT)),
    ]
    if job.negative_prompt:
        lines.append(tr(locale, "Negative: “{prompt}”", prompt=quote_user_text(job.negative_prompt)))
    made = discord.utils.format_dt(job.created_at, "R")
    model = quote_user_text(job.model)
    lines.append(
        tr(locale, "Seed {seed} · model {model} · made {when}", seed=job.seed, model=model, when=made)
    )
    if job.parent_job_id is not None:
        lines.append(tr(locale, "Re-rolled from job #{job}", job=job.parent_job_id))
    if (link := clip_link(job)) is not None:
        lines.append(tr(locale, "Clip: {link}", link=link))
    elif job.error:
        lines.append(tr(locale, "Why it has no clip: {reason}", reason=quote_user_text(job.error)))
    return "\n".join(lines)


class HistoryCommands(commands.Cog):
    """``/history`` and ``/show``."""

    def __init__(self, store: JobStore) -> None:
        self._store = store

    @app_commands.command(
        name="history", description="Your latest clips in this server (moderators: anyone's)"
    )
    @app_commands.guild_only()
    @app_commands.describe(member="Whose clips (moderators only; default: yours)")
    async def history(
        self, interaction: discord.Interaction, member: discord.Member | discord.User | None = None
    ) -> None:
        whose, locale = member or interaction.user, interaction.locale
        if whose.id != interaction.user.id and not is_moderator(interaction):
            await interaction.response.send_message(
                tr(locale, "Only moderators (Manage Server) can look at another member's clips."),
                ephemeral=True,
            )
            return
        jobs = await self._store.delivered_clips(server_id(interaction), whose.id, HISTORY_LENGTH)
        head = (
            tr(locale, "Your latest clips here:")
            if whose.id == interaction.user.id
            else tr(locale, "<@{user}>'s latest clips here:", user=whose.id)
        )
        lines = [history_line(job, locale) for job in jobs]
        text = "\n".join([head, *lines]) if jobs else tr(locale, "No clips here yet.")
        await interaction.response.send_message(text[:2000], ephemeral=True)

    @app_commands.command(name="show", description="Show one job's card and its clip")
    @app_commands.guild_only()
    @app_commands.describe(job="Job number")
    async def show(self, interaction: discord.Interaction, job: app_commands.Range[int, 1]) -> None:
        found = await self._store.get(job)
        if found is None or not _may_see(interaction, found):
            await interaction.response.send_message(
                tr(interaction.locale, "There is no job #{job} here that you can see.", job=job),
                ephemeral=True,
            )
            return
        await interaction.response.send_message(job_card(found, interaction.locale)[:2000], ephemeral=True)


def _may_see(interaction: discord.Interaction, job: JobRecord) -> bool:
    """Clips are public where they were posted; a job that never became one stays between its member and
    the server's moderators."""
    if job.guild_id != server_id(interaction):
        return False
    return (
        job.user_id == interaction.user.id or job.result_message_id is not None or is_moderator(interaction)
    )
