"""Command, option and choice names and descriptions in each member's client language, from the same
catalogs as the bot's messages (``bot/i18n.py``). discord.py asks for every string in every locale
Discord knows when it syncs the commands; a language without a catalog, or English, keeps the source."""

from __future__ import annotations

import discord
from discord import app_commands

from bot.i18n import SOURCE, catalogs, language


class CatalogTranslator(app_commands.Translator):
    async def translate(
        self,
        string: app_commands.locale_str,
        locale: discord.Locale,
        context: app_commands.TranslationContextTypes,
    ) -> str | None:
        code = language(locale.value)
        if code is None or code == SOURCE:
            return None
        return catalogs()[code].get(string.message)
