"""``/videomod``: moderators adjust limits, ban members, purge the queue, block terms, read the audit log,
and choose the server's settings (``settings_commands.py``).

Discord hides the group from members without Manage Server (``default_permissions``), but that is
Discord's check, not the bot's: the group's ``interaction_check`` checks again before every subcommand.
"""

from __future__ import annotations

import discord
from discord import app_commands

from bot.blocklist import MAX_TERM
from bot.discord_app import status
from bot.discord_app.checks import require_moderator, server_id
from bot.discord_app.safe_text import quote_user_text
from bot.discord_app.settings_commands import SettingsGroup
from bot.discord_app.status_message import edit_status
from bot.i18n import capitalized, tr
from bot.limits import LimitLayer, LimitName, LimitPolicy, Limits, Scope
from bot.model_catalog import ModelCatalog
from bot.store.base import Audit
from bot.store.jobs import JobRecord, JobStore
from bot.store.limit_overrides import LimitOverrideStore
from bot.store.moderation import MAX_TERMS, AuditRecord, ModerationStore
from bot.store.server_settings import ServerSettingsStore

Count = app_commands.Range[int, 0, 10_000]
# Anyone with an account: a member, or someone who has left the server (whom Discord sends as a user).
# Only a member has roles.
Someone = discord.Member | discord.User
Term = app_commands.Range[str, 1, MAX_TERM]

# How each limit is called in replies, and the option that sets it.
_LABELS = {
    LimitName.MAX_PENDING: ("pending at once", "max_pending"),
    LimitName.PER_HOUR: ("per hour", "per_hour"),
    LimitName.PER_DAY: ("per day", "per_day"),
    LimitName.GUILD_PER_DAY: ("server per day", "server_per_day"),
}
# What the audit log stores for each action (in English, so the log reads the same whatever the
# moderator's language), and the message that names it in the reader's language. An action named
# like a command has its own message, since a command's name translates to a verb ("ban" → "bannir").
AUDIT_ACTIONS: dict[str, str] = {
    "limits set": "limits set",
    "limits reset": "limits reset",
    "purge": "queue purged",
    "ban": "banned",
    "unban": "unbanned",
    "cancel": "job cancelled",
    "clip deleted": "clip deleted",
    "blocklist add": "blocklist add",
    "blocklist remove": "blocklist remove",
    "watermark": "watermark changed",
    "default model": "default model",
    "language": "post language changed",
    "channel allowed": "channel allowed",
    "channel removed": "channel removed",
    "channels cleared": "channels cleared",
}
# Details an action's store writes in fixed words, and the message for each; any other detail (a term,
# a reason, a channel) is what a moderator typed or named, shown as it was stored.
AUDIT_DETAILS: dict[str, dict[str, str]] = {
    "watermark": {"on": "badge shown", "off": "badge hidden"},
    "default model": {"the bot's default": "the bot's default"},
    "language": {"the server's own": "the server's own language"},
    "channels cleared": {"every channel allowed": "every channel allowed"},
}


def _target(user: Someone | None, role: discord.Role | None, locale: object) -> tuple[Scope, int, str]:
    """(scope, id, label); labels render as mentions, which ping no one (the client allows none)."""
    if user is not None:
        return Scope.USER, user.id, f"<@{user.id}>"
    if role is not None:
        return Scope.ROLE, role.id, f"<@&{role.id}>"
    return Scope.GUILD, 0, tr(locale, "the server default")


def _audit_target(user: Someone | None, role: discord.Role | None) -> tuple[int | None, str]:
    """How an audit entry names the target: the member's id, or a plain-words label (kept in English)."""
    if user is not None:
        return user.id, ""
    return None, (f"role {role.name}" if role is not None else "server default")


def _describe(limits: Limits | LimitLayer, locale: object = None) -> str:
    def show(value: int | None) -> str:
        if value is None:
            return tr(locale, "inherited")
        return tr(locale, "no limit") if value == 0 else str(value)

    return ", ".join(_named(label, show(limits.of(name)), locale) for name, (label, _) in _LABELS.items())


def _named(label: str, value: object, locale: object) -> str:
    return tr(locale, "{label}: {value}", label=tr(locale, label), value=value)


def _describe_caps(caps: Limits, locale: object) -> str:
    capped_ones = [
        _named(label, cap, locale) for name, (label, _) in _LABELS.items() if (cap := caps.of(name)) > 0
    ]
    if not capped_ones:
        return tr(locale, "The bot's owner has set no caps.")
    return tr(
        locale,
        "Caps set by the bot's owner, which no setting here can exceed: {caps}.",
        caps=", ".join(capped_ones),
    )


def _above_caps(layer: LimitLayer, caps: Limits, locale: object) -> str | None:
    """Why ``layer`` asks for more than the owner allows, or None if it stays within the caps."""
    reasons = []
    for name, (_, option) in _LABELS.items():
        value, cap = layer.of(name), caps.of(name)
        if value is None or cap <= 0 or 0 < value <= cap:
            continue
        if value == 0:
            why = (
                "`{option}:0` means no limit, which the bot owner's cap of {cap} does not allow: "
                "choose from 1 to {cap}."
            )
        else:
            why = "`{option}:{value}` is above the bot owner's cap of {cap}: choose from 1 to {cap}."
        reasons.append(tr(locale, why, option=tr(locale, option), value=value, cap=cap))
    return "\n".join(reasons) or None


def audit_line(entry: AuditRecord, locale: object) -> str:
    """One audit entry: when, who, what (in the reader's language), whom, and the stored details."""
    named = AUDIT_ACTIONS.get(entry.action)
    action = tr(locale, named) if named is not None else entry.action
    line = (
        f"{discord.utils.format_dt(entry.created_at, 'R')} <@{entry.moderator_id}> {quote_user_text(action)}"
    )
    if entry.target_user_id:
        line += f" <@{entry.target_user_id}>"
    if not entry.details:
        return line
    detail = AUDIT_DETAILS.get(entry.action, {}).get(entry.details)
    value = tr(locale, detail) if detail is not None else quote_user_text(entry.details)
    return tr(locale, "{label}: {value}", label=line, value=value)


class ModerationGroup(
    app_commands.Group,
    name="videomod",
    description="Moderate /video in this server",
    guild_only=True,
    default_permissions=discord.Permissions(manage_guild=True),
):
    limits = app_commands.Group(name="limits", description="Rate limits")
    blocklist = app_commands.Group(name="blocklist", description="Terms prompts may not contain")

    def __init__(
        self,
        jobs: JobStore,
        overrides: LimitOverrideStore,
        moderation: ModerationStore,
        settings: ServerSettingsStore,
        catalog: ModelCatalog,
        policy: LimitPolicy,
    ) -> None:
        super().__init__()
        self._jobs = jobs
        self._overrides = overrides
        self._moderation = moderation
        self._settings = settings
        self._policy = policy  # the owner's defaults, and caps no setting here may exceed (0: none)
        self.add_command(SettingsGroup(settings, catalog))

    async def interaction_check(self, interaction: discord.Interaction, /) -> bool:
        return require_moderator(interaction)

    @limits.command(name="show", description="Show the limits of a member, a role, or the server")
    async def limits_show(
        self, interaction: discord.Interaction, user: Someone | None = None, role: discord.Role | None = None
    ) -> None:
        await self.show_limits(interaction, server_id(interaction), user, role)

    @limits.command(name="set", description="Set limits for a member, a role, or (neither) the server")
    @app_commands.describe(max_pending="Jobs queued or rendering at once (0: no limit)")
    async def limits_set(
        self,
        interaction: discord.Interaction,
        user: Someone | None = None,
        role: discord.Role | None = None,
        max_pending: Count | None = None,
        per_hour: Count | None = None,
        per_day: Count | None = None,
        server_per_day: Count | None = None,
    ) -> None:
        layer = LimitLayer(max_pending, per_hour, per_day, server_per_day)
        await self.set_limits(interaction, server_id(interaction), user, role, layer)

    @limits.command(name="reset", description="Remove the limits set for a member, a role, or the server")
    async def limits_reset(
        self, interaction: discord.Interaction, user: Someone | None = None, role: discord.Role | None = None
    ) -> None:
        guild_id, locale = server_id(interaction), interaction.locale
        scope, target, label = _target(user, role, locale)
        removed = await self._overrides.reset_limits(guild_id, scope, target)
        if removed:
            target_user, words = _audit_target(user, role)
            await self._moderation.record(
                Audit(guild_id, interaction.user.id, "limits reset", words, target_user)
            )
        if removed:
            await _reply(interaction, tr(locale, "Limits for {target} reset.", target=label))
        else:
            await _reply(
                interaction, capitalized(tr(locale, "{target} had no limits of its own.", target=label))
            )

    @app_commands.command(name="ban", description="Stop a member from using /video in this server")
    async def ban(self, interaction: discord.Interaction, user: Someone, reason: str | None = None) -> None:
        guild_id = server_id(interaction)
        await self._moderation.ban(guild_id, user.id, reason[:300] if reason else None, interaction.user.id)
        purged = await self._jobs.purge(guild_id, user.id)
        banned = "<@{user}> can no longer use `/video` here; queued jobs cancelled: {count}."
        await _reply(interaction, tr(interaction.locale, banned, user=user.id, count=len(purged)))
        await _mark_cancelled(interaction, purged)

    @app_commands.command(name="unban", description="Let a member use /video again")
    async def unban(self, interaction: discord.Interaction, user: Someone) -> None:
        removed = await self._moderation.unban(server_id(interaction), user.id, interaction.user.id)
        text = "<@{user}> may use `/video` again." if removed else "<@{user}> was not banned."
        await _reply(interaction, tr(interaction.locale, text, user=user.id))

    @app_commands.command(
        name="purge", description="Cancel queued jobs: a member's, or everyone's in this server"
    )
    async def purge(self, interaction: discord.Interaction, user: Someone | None = None) -> None:
        guild_id = server_id(interaction)
        target_user = user.id if user else None
        purged = await self._jobs.purge(guild_id, target_user)
        details = f"{len(purged)} job(s)"
        await self._moderation.record(Audit(guild_id, interaction.user.id, "purge", details, target_user))
        if user is not None:
            text = tr(
                interaction.locale,
                "Queued jobs of <@{user}> cancelled: {count}.",
                user=user.id,
                count=len(purged),
            )
        else:
            text = tr(interaction.locale, "Queued jobs cancelled: {count}.", count=len(purged))
        await _reply(interaction, text)
        await _mark_cancelled(interaction, purged)

    @blocklist.command(name="add", description="Refuse prompts that contain this term")
    async def blocklist_add(self, interaction: discord.Interaction, term: Term) -> None:
        added = await self._moderation.add_term(server_id(interaction), term, interaction.user.id)
        if added is None:
            text = "The blocklist is full ({count} terms); remove one first."
        else:
            text = "Blocked “{term}”." if added else "“{term}” was already blocked."
        await _reply(interaction, tr(interaction.locale, text, term=quote_user_text(term), count=MAX_TERMS))

    @blocklist.command(name="remove", description="Allow a blocked term again")
    async def blocklist_remove(self, interaction: discord.Interaction, term: Term) -> None:
        removed = await self._moderation.remove_term(server_id(interaction), term, interaction.user.id)
        text = "Unblocked “{term}”." if removed else "“{term}” was not blocked."
        await _reply(interaction, tr(interaction.locale, text, term=quote_user_text(term)))

    @blocklist.command(name="list", description="Show the blocked terms")
    async def blocklist_list(self, interaction: discord.Interaction) -> None:
        terms = await self._moderation.terms(server_id(interaction))
        if terms:
            text = ", ".join(tr(interaction.locale, "“{term}”", term=quote_user_text(t)) for t in terms)
        else:
            text = tr(interaction.locale, "No terms are blocked.")
        await _reply(interaction, text[:1900])

    @app_commands.command(
        name="watermark", description="Show a small visible 'AI' badge on this server's clips"
    )
    async def watermark(self, interaction: discord.Interaction, on: bool) -> None:
        await self._settings.set_watermark(server_id(interaction), on, interaction.user.id)
        text = (
            "Clips made here now carry a visible “AI” badge."
            if on
            else "Clips made here no longer carry a visible “AI” badge."
        )
        await _reply(interaction, tr(interaction.locale, text))

    @app_commands.command(name="audit", description="Recent moderator actions in this server")
    async def audit(self, interaction: discord.Interaction) -> None:
        entries = await self._moderation.audit(server_id(interaction))
        lines = [audit_line(entry, interaction.locale) for entry in entries]
        text = "\n".join(lines)[:1900] if lines else tr(interaction.locale, "No moderator actions yet.")
        await _reply(interaction, text)

    async def show_limits(
        self,
        interaction: discord.Interaction,
        guild_id: int,
        user: Someone | None,
        role: discord.Role | None,
    ) -> None:
        locale = interaction.locale
        caps = _describe_caps(self._policy.caps, locale)
        if user is not None:
            # Someone who has left the server has no roles here any more.
            roles = [r.id for r in user.roles] if isinstance(user, discord.Member) else []
            effective = await self._overrides.effective_limits(guild_id, user.id, roles, self._policy)
            gets = tr(locale, "<@{user}> gets {limits}.", user=user.id, limits=_describe(effective, locale))
            await _reply(interaction, f"{gets}\n{caps}")
            return
        scope, target, label = _target(None, role, locale)
        overrides = {(s, t): layer for s, t, layer in await self._overrides.limit_overrides(guild_id)}
        own = overrides.get((scope, target))
        defaults = tr(locale, "Config defaults: {limits}.", limits=_describe(self._policy.defaults, locale))
        label = label[:1].upper() + label[1:]
        if own:
            layer = capitalized(
                tr(locale, "{target}: {limits}.", target=label, limits=_describe(own, locale))
            )
        else:
            layer = capitalized(tr(locale, "{target}: nothing set (inherits).", target=label))
        await _reply(interaction, f"{defaults}\n{layer}\n{caps}")

    async def set_limits(
        self,
        interaction: discord.Interaction,
        guild_id: int,
        user: Someone | None,
        role: discord.Role | None,
        layer: LimitLayer,
    ) -> None:
        locale = interaction.locale
        scope, target, label = _target(user, role, locale)
        if layer.is_empty():
            example = tr(locale, "max_pending")
            await _reply(
                interaction,
                tr(locale, "Give at least one limit to set, for example `{option}:3`.", option=example),
            )
            return
        if user is not None and role is not None:
            await _reply(interaction, tr(locale, "Set limits for a member or for a role, not both at once."))
            return
        if scope is not Scope.GUILD and layer.guild_per_day is not None:
            total = "`{option}` is the whole server's total: set it without a member or role."
            await _reply(interaction, tr(locale, total, option=tr(locale, "server_per_day")))
            return
        if (refusal := _above_caps(layer, self._policy.caps, locale)) is not None:
            await _reply(interaction, refusal)
            return
        result = await self._overrides.set_limits(guild_id, scope, target, layer)
        target_user, words = _audit_target(user, role)
        details = f"{words}: {_describe(result)}" if words else _describe(result)
        await self._moderation.record(
            Audit(guild_id, interaction.user.id, "limits set", details, target_user)
        )
        await _reply(
            interaction,
            tr(locale, "Limits for {target}: {limits}.", target=label, limits=_describe(result, locale)),
        )


async def _mark_cancelled(interaction: discord.Interaction, jobs: list[JobRecord]) -> None:
    """Tell each purged job's status message, after the moderator has their answer."""
    for job in jobs:
        card = status.cancelled(job.id, by_moderator=True, locale=job.locale)
        await edit_status(interaction.client, job, card, view=None)


async def _reply(interaction: discord.Interaction, text: str) -> None:
    await interaction.response.send_message(text, ephemeral=True)
