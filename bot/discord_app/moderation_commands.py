"""``/videomod``: moderators adjust limits, ban members, purge the queue, block terms, read the audit log.

Discord hides the group from members without Manage Server (``default_permissions``), but that is
Discord's check, not the bot's: every command checks the member's permissions again.
"""

from __future__ import annotations

import discord
from discord import app_commands

from bot.blocklist import MAX_TERM
from bot.discord_app import status
from bot.discord_app.job_commands import is_moderator
from bot.discord_app.safe_text import quote_user_text
from bot.discord_app.status_message import edit_status
from bot.limits import NO_CAPS, LimitLayer, Limits, capped
from bot.store.jobs import JobRecord, JobStore
from bot.store.moderation import ModerationStore

Count = app_commands.Range[int, 0, 10_000]
# Anyone with an account: a member, or someone who has left the server (whom Discord sends as a user).
# Only a member has roles.
Someone = discord.Member | discord.User

# How each limit is called in replies, and the option that sets it.
_LABELS = {
    "max_pending": ("pending at once", "max_pending"),
    "per_hour": ("per hour", "per_hour"),
    "per_day": ("per day", "per_day"),
    "guild_per_day": ("server per day", "server_per_day"),
}


def _target(user: Someone | None, role: discord.Role | None) -> tuple[str, int, str]:
    """(scope, id, label); labels render as mentions, which ping no one (the client allows none)."""
    if user is not None:
        return "user", user.id, f"<@{user.id}>"
    if role is not None:
        return "role", role.id, f"<@&{role.id}>"
    return "guild", 0, "the server default"


def _audit_target(user: Someone | None, role: discord.Role | None) -> tuple[int | None, str]:
    """How an audit entry names the target: the member's id, or a plain-words label."""
    if user is not None:
        return user.id, ""
    return None, (f"role {role.name}" if role is not None else "server default")


def _describe(limits: Limits | LimitLayer) -> str:
    def show(value: int | None) -> str:
        return "inherited" if value is None else ("no limit" if value == 0 else str(value))

    return ", ".join(f"{label}: {show(getattr(limits, name))}" for name, (label, _) in _LABELS.items())


def _describe_caps(caps: Limits) -> str:
    capped_ones = [
        f"{label}: {cap}" for name, (label, _) in _LABELS.items() if (cap := getattr(caps, name)) > 0
    ]
    if not capped_ones:
        return "The bot's owner has set no caps."
    return "Caps set by the bot's owner, which no setting here can exceed: " + ", ".join(capped_ones) + "."


def _above_caps(layer: LimitLayer, caps: Limits) -> str | None:
    """Why ``layer`` asks for more than the owner allows, or None if it stays within the caps."""
    reasons = []
    for name, (_, option) in _LABELS.items():
        value, cap = getattr(layer, name), getattr(caps, name)
        if value is None or cap <= 0 or 0 < value <= cap:
            continue
        if value == 0:
            why = f"`{option}:0` means no limit, which the bot owner's cap of {cap} does not allow"
        else:
            why = f"`{option}:{value}` is above the bot owner's cap of {cap}"
        reasons.append(f"{why}: choose from 1 to {cap}.")
    return "\n".join(reasons) or None


class ModerationCommands:
    def __init__(
        self, jobs: JobStore, moderation: ModerationStore, defaults: Limits, caps: Limits | None = None
    ) -> None:
        self._jobs = jobs
        self._moderation = moderation
        self._defaults = defaults
        self._caps = caps or NO_CAPS  # the owner's ceiling for each limit set here (0: none)

    def register(self, tree: app_commands.CommandTree[discord.Client]) -> None:
        group = app_commands.Group(
            name="videomod",
            description="Moderate /video in this server",
            guild_only=True,
            default_permissions=discord.Permissions(manage_guild=True),
        )
        limits = app_commands.Group(name="limits", description="Rate limits", parent=group)
        blocklist = app_commands.Group(
            name="blocklist", description="Terms prompts may not contain", parent=group
        )

        @limits.command(name="show", description="Show the limits of a member, a role, or the server")
        async def limits_show(
            interaction: discord.Interaction,
            user: Someone | None = None,
            role: discord.Role | None = None,
        ) -> None:
            if (guild_id := await self._guild_or_deny(interaction)) is None:
                return
            await self.show_limits(interaction, guild_id, user, role)

        @limits.command(name="set", description="Set limits for a member, a role, or (neither) the server")
        @app_commands.describe(max_pending="Jobs queued or rendering at once (0: no limit)")
        async def limits_set(
            interaction: discord.Interaction,
            user: Someone | None = None,
            role: discord.Role | None = None,
            max_pending: Count | None = None,
            per_hour: Count | None = None,
            per_day: Count | None = None,
            server_per_day: Count | None = None,
        ) -> None:
            if (guild_id := await self._guild_or_deny(interaction)) is None:
                return
            layer = LimitLayer(max_pending, per_hour, per_day, server_per_day)
            await self.set_limits(interaction, guild_id, user, role, layer)

        @limits.command(name="reset", description="Remove the limits set for a member, a role, or the server")
        async def limits_reset(
            interaction: discord.Interaction,
            user: Someone | None = None,
            role: discord.Role | None = None,
        ) -> None:
            if (guild_id := await self._guild_or_deny(interaction)) is None:
                return
            scope, target, label = _target(user, role)
            removed = await self._jobs.reset_limits(guild_id, scope, target)
            if removed:
                target_user, words = _audit_target(user, role)
                await self._moderation.record(
                    guild_id, interaction.user.id, "limits reset", words, target_user
                )
            await self._reply(
                interaction, f"Limits for {label} reset." if removed else f"{label} had no limits of its own."
            )

        @group.command(name="ban", description="Stop a member from using /video in this server")
        async def ban(interaction: discord.Interaction, user: Someone, reason: str | None = None) -> None:
            if (guild_id := await self._guild_or_deny(interaction)) is None:
                return
            reason = reason[:300] if reason else None
            await self._moderation.ban(guild_id, user.id, reason, interaction.user.id)
            purged = await self._jobs.purge(guild_id, user.id)
            await self._reply(
                interaction,
                f"<@{user.id}> can no longer use `/video` here; {len(purged)} queued job(s) cancelled.",
            )
            await self._mark_cancelled(interaction, purged)

        @group.command(name="unban", description="Let a member use /video again")
        async def unban(interaction: discord.Interaction, user: Someone) -> None:
            if (guild_id := await self._guild_or_deny(interaction)) is None:
                return
            removed = await self._moderation.unban(guild_id, user.id, interaction.user.id)
            await self._reply(
                interaction, f"<@{user.id}> " + ("may use `/video` again." if removed else "was not banned.")
            )

        @group.command(
            name="purge", description="Cancel queued jobs: a member's, or everyone's in this server"
        )
        async def purge(interaction: discord.Interaction, user: Someone | None = None) -> None:
            if (guild_id := await self._guild_or_deny(interaction)) is None:
                return
            purged = await self._jobs.purge(guild_id, user.id if user else None)
            whose = f"<@{user.id}>'s" if user else "all"
            await self._moderation.record(
                guild_id,
                interaction.user.id,
                "purge",
                f"{len(purged)} job(s)",
                user.id if user else None,
            )
            await self._reply(interaction, f"Cancelled {len(purged)} of {whose} queued job(s).")
            await self._mark_cancelled(interaction, purged)

        @blocklist.command(name="add", description="Refuse prompts that contain this term")
        async def blocklist_add(
            interaction: discord.Interaction, term: app_commands.Range[str, 1, MAX_TERM]
        ) -> None:
            if (guild_id := await self._guild_or_deny(interaction)) is None:
                return
            added = await self._moderation.add_term(guild_id, term, interaction.user.id)
            shown = quote_user_text(term)
            if added is None:
                text = "The blocklist is full (200 terms); remove one first."
            else:
                text = f"Blocked “{shown}”." if added else f"“{shown}” was already blocked."
            await self._reply(interaction, text)

        @blocklist.command(name="remove", description="Allow a blocked term again")
        async def blocklist_remove(
            interaction: discord.Interaction, term: app_commands.Range[str, 1, MAX_TERM]
        ) -> None:
            if (guild_id := await self._guild_or_deny(interaction)) is None:
                return
            removed = await self._moderation.remove_term(guild_id, term, interaction.user.id)
            shown = quote_user_text(term)
            await self._reply(
                interaction, f"Unblocked “{shown}”." if removed else f"“{shown}” was not blocked."
            )

        @blocklist.command(name="list", description="Show the blocked terms")
        async def blocklist_list(interaction: discord.Interaction) -> None:
            if (guild_id := await self._guild_or_deny(interaction)) is None:
                return
            terms = await self._moderation.terms(guild_id)
            text = ", ".join(f"“{quote_user_text(t)}”" for t in terms) if terms else "No terms are blocked."
            await self._reply(interaction, text[:1900])

        @group.command(name="watermark", description="Show a small visible 'AI' badge on this server's clips")
        async def watermark(interaction: discord.Interaction, on: bool) -> None:
            if (guild_id := await self._guild_or_deny(interaction)) is None:
                return
            await self._moderation.set_watermark(guild_id, on, interaction.user.id)
            state = "now carry" if on else "no longer carry"
            await self._reply(interaction, f"Clips made here {state} a visible “AI” badge.")

        @group.command(name="audit", description="Recent moderator actions in this server")
        async def audit(interaction: discord.Interaction) -> None:
            if (guild_id := await self._guild_or_deny(interaction)) is None:
                return
            entries = await self._moderation.audit(guild_id)
            lines = [
                f"{discord.utils.format_dt(e.created_at, 'R')} <@{e.moderator_id}> {e.action}"
                + (f" <@{e.target_user_id}>" if e.target_user_id else "")
                + (f": {quote_user_text(e.details)}" if e.details else "")
                for e in entries
            ]
            await self._reply(interaction, "\n".join(lines)[:1900] if lines else "No moderator actions yet.")

        tree.add_command(group)

    @staticmethod
    async def _guild_or_deny(interaction: discord.Interaction) -> int | None:
        """The server's id for a moderator; for anyone else, a private refusal and None."""
        if is_moderator(interaction) and interaction.guild_id is not None:
            return interaction.guild_id
        await interaction.response.send_message(
            "Only members with the Manage Server permission can use `/videomod`.", ephemeral=True
        )
        return None

    @staticmethod
    async def _mark_cancelled(interaction: discord.Interaction, jobs: list[JobRecord]) -> None:
        """Tell each purged job's status message, after the moderator has their answer."""
        for job in jobs:
            await edit_status(interaction.client, job, status.cancelled(job.id, "a moderator"), view=None)

    @staticmethod
    async def _reply(interaction: discord.Interaction, text: str) -> None:
        await interaction.response.send_message(text, ephemeral=True)

    async def show_limits(
        self,
        interaction: discord.Interaction,
        guild_id: int,
        user: Someone | None,
        role: discord.Role | None,
    ) -> None:
        caps = _describe_caps(self._caps)
        if user is not None:
            # Someone who has left the server has no roles here any more.
            roles = [r.id for r in user.roles] if isinstance(user, discord.Member) else []
            effective = await self._jobs.effective_limits(guild_id, user.id, roles, self._defaults)
            effective = capped(effective, self._caps)
            await self._reply(interaction, f"<@{user.id}> gets {_describe(effective)}.\n{caps}")
            return
        scope, target, label = _target(None, role)
        overrides = {(s, t): layer for s, t, layer in await self._jobs.limit_overrides(guild_id)}
        own = overrides.get((scope, target))
        text = f"Config defaults: {_describe(self._defaults)}.\n"
        text += f"{label.capitalize() if scope == 'guild' else label}: " + (
            _describe(own) + "." if own else "nothing set (inherits)."
        )
        await self._reply(interaction, f"{text}\n{caps}")

    async def set_limits(
        self,
        interaction: discord.Interaction,
        guild_id: int,
        user: Someone | None,
        role: discord.Role | None,
        layer: LimitLayer,
    ) -> None:
        scope, target, label = _target(user, role)
        if layer.is_empty():
            await self._reply(interaction, "Give at least one limit to set, for example `max_pending:3`.")
            return
        if user is not None and role is not None:
            await self._reply(interaction, "Set limits for a member or for a role, not both at once.")
            return
        if scope != "guild" and layer.guild_per_day is not None:
            await self._reply(
                interaction, "`server_per_day` is the whole server's total: set it without a member or role."
            )
            return
        if (refusal := _above_caps(layer, self._caps)) is not None:
            await self._reply(interaction, refusal)
            return
        result = await self._jobs.set_limits(guild_id, scope, target, layer)
        target_user, words = _audit_target(user, role)
        details = f"{words}: {_describe(result)}" if words else _describe(result)
        await self._moderation.record(guild_id, interaction.user.id, "limits set", details, target_user)
        await self._reply(interaction, f"Limits for {label}: {_describe(result)}.")
