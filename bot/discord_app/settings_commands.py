"""``/videomod settings``: where ``/video`` may be used in this server, and its default model.

A subgroup of ``/videomod``. discord.py runs only the nearest group's ``interaction_check`` for a
subcommand, so this group checks for a moderator itself, with the same shared check.
"""

from __future__ import annotations

import discord
from babel import Locale
from discord import app_commands

from bot.discord_app.autocomplete import model_choices
from bot.discord_app.checks import require_moderator, server_id
from bot.discord_app.error_reply import answer_privately
from bot.i18n import SOURCE, catalog_of, catalogs, tr
from bot.model_catalog import ModelCatalog
from bot.store.server_settings import MAX_CHANNELS, ServerSettings, ServerSettingsStore, TooManyChannelsError

# Kinds of channel that hold messages (categories and directories do not).
_POSTABLE = {
    discord.ChannelType.text,
    discord.ChannelType.news,
    discord.ChannelType.voice,
    discord.ChannelType.stage_voice,
    discord.ChannelType.forum,
    discord.ChannelType.media,
}


# Each catalog's language, named in itself ("English", "Français"…, Babel's names).
LANGUAGES = [
    (code, (Locale.parse(code, sep="-").get_display_name(code) or code).capitalize()) for code in catalogs()
]


class SettingsGroup(
    app_commands.Group, name="settings", description="Where /video may be used here, and its model"
):
    def __init__(self, settings: ServerSettingsStore, catalog: ModelCatalog) -> None:
        super().__init__()
        self._settings = settings
        self._catalog = catalog

    async def interaction_check(self, interaction: discord.Interaction, /) -> bool:
        return require_moderator(interaction)

    @app_commands.command(name="show", description="This server's settings for /video")
    async def show(self, interaction: discord.Interaction) -> None:
        settings = await self._settings.get(server_id(interaction))
        await answer_privately(interaction, self._describe(settings, interaction.locale))

    @app_commands.command(name="channel", description="Allow /video in a channel, or stop listing it")
    @app_commands.describe(
        channel="A channel of this server",
        allowed="Yes: /video may be used there. No: off the list (an empty list allows every channel)",
    )
    async def channel(
        self, interaction: discord.Interaction, channel: app_commands.AppCommandChannel, allowed: bool
    ) -> None:
        guild_id, moderator, locale = server_id(interaction), interaction.user.id, interaction.locale
        if channel.guild_id != guild_id or channel.type not in _POSTABLE:
            await answer_privately(
                interaction, tr(locale, "Pick a channel of this server where messages can be posted.")
            )
            return
        if allowed:
            try:
                changed = await self._settings.allow_channel(guild_id, channel.id, channel.name, moderator)
            except TooManyChannelsError:
                await answer_privately(
                    interaction,
                    tr(
                        locale,
                        "A server can list at most {count} channels; remove one first.",
                        count=MAX_CHANNELS,
                    ),
                )
                return
        else:
            changed = await self._settings.disallow_channel(guild_id, channel.id, channel.name, moderator)
        settings = await self._settings.get(guild_id)
        await answer_privately(interaction, _done(changed, _channels(settings, locale), locale))

    @app_commands.command(
        name="everywhere", description="Allow /video in every channel again (empties the list)"
    )
    async def everywhere(self, interaction: discord.Interaction) -> None:
        cleared = await self._settings.allow_every_channel(server_id(interaction), interaction.user.id)
        locale = interaction.locale
        await answer_privately(interaction, _done(cleared > 0, _channels(ServerSettings(), locale), locale))

    @app_commands.command(
        name="language", description="The language of the bot's posts in this server's channels"
    )
    @app_commands.describe(language="Leave out to follow the server's own language (Discord's setting)")
    @app_commands.choices(language=[app_commands.Choice(name=name, value=code) for code, name in LANGUAGES])
    async def language(self, interaction: discord.Interaction, language: str | None = None) -> None:
        locale = interaction.locale
        if language is not None and language not in catalogs():
            await answer_privately(
                interaction, tr(locale, "That language is not available; pick one from the list.")
            )
            return
        await self._settings.set_language(server_id(interaction), language, interaction.user.id)
        await answer_privately(interaction, _done(True, _language(language, locale), locale))

    @app_commands.command(name="model", description="The model /video uses here when a member picks none")
    @app_commands.describe(model="One of the enabled models; leave out to use the bot's default")
    async def model(
        self, interaction: discord.Interaction, model: app_commands.Range[str, 1, 200] | None = None
    ) -> None:
        locale = interaction.locale
        if model is not None and model not in self._catalog.presets:
            await answer_privately(
                interaction, tr(locale, "That model is not enabled here; pick one from the list.")
            )
            return
        if model is not None and self._catalog.presets[model].family.needs_image:
            only_images = (
                "`{model}` makes clips from an image only, so it cannot be the default for prompts; "
                "members who attach an image get the bot's image model."
            )
            await answer_privately(interaction, tr(locale, only_images, model=model))
            return
        await self._settings.set_default_model(server_id(interaction), model, interaction.user.id)
        if model is None:
            news = tr(
                locale,
                "`/video` here now uses the bot's default, `{model}`, when a member picks no model.",
                model=self._catalog.default,
            )
        else:
            news = tr(locale, "`/video` here now uses `{model}` when a member picks no model.", model=model)
        await answer_privately(interaction, _done(True, news, locale))

    @model.autocomplete("model")
    async def model_choices(
        self, interaction: discord.Interaction, typed: str
    ) -> list[app_commands.Choice[str]]:
        return model_choices(self._catalog, typed)

    def _describe(self, settings: ServerSettings, locale: object) -> str:
        model, default = settings.default_model, self._catalog.default
        if model is None:
            model_line = tr(locale, "Default model: the bot's default, `{default}`.", default=default)
        elif model in self._catalog.presets:
            model_line = tr(locale, "Default model: `{model}`.", model=model)
        else:
            model_line = tr(
                locale,
                "Default model: `{model}`, which the bot's owner no longer enables, so the bot's default "
                "`{default}` is used instead.",
                model=model,
                default=default,
            )
        badge = (
            tr(locale, "Visible “AI” badge on clips: on.")
            if settings.watermark
            else tr(locale, "Visible “AI” badge on clips: off.")
        )
        return "\n".join(
            [_channels(settings, locale), model_line, _language(settings.language, locale), badge]
        )


def _done(changed: bool, news: str, locale: object) -> str:
    if changed:
        return tr(locale, "Done. {news}", news=news)
    return tr(locale, "Nothing to change. {news}", news=news)


def _language(code: str | None, locale: object) -> str:
    if code is None:
        return tr(
            locale, "Posts in channels (status cards, clips, notices) follow the server's own language."
        )
    return tr(
        locale,
        "Posts in channels (status cards, clips, notices) are in {language}.",
        language=language_name(code, locale),
    )


def language_name(code: str, locale: object) -> str:
    """``code``'s language as a sentence in ``locale`` names it ("English", "anglais", "français")."""
    reader = catalog_of(locale) or SOURCE
    return Locale.parse(code, sep="-").get_display_name(Locale.parse(reader, sep="-")) or code


def channel_mentions(settings: ServerSettings) -> str:
    """The channels where ``/video`` may be used, as mentions (which ping no one)."""
    return ", ".join(f"<#{channel}>" for channel in sorted(settings.channels))


def _channels(settings: ServerSettings, locale: object) -> str:
    if not settings.channels:
        return tr(locale, "`/video` may be used in every channel.")
    return tr(locale, "`/video` may be used only in: {channels}.", channels=channel_mentions(settings))
