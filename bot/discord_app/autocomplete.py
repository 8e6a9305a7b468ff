"""Suggestions Discord shows while a member types an option."""

from __future__ import annotations

from discord import app_commands

from bot.model_catalog import ModelCatalog


def model_choices(catalog: ModelCatalog, typed: str) -> list[app_commands.Choice[str]]:
    """The enabled models matching what was typed, at most Discord's 25."""
    return [app_commands.Choice(name=label, value=name) for label, name in catalog.suggestions(typed)]
