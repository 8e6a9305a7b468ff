"""Fixtures the acceptance tests share."""

from __future__ import annotations

from collections.abc import AsyncIterator

import discord
import pytest

from bot.discord_app.endpoints import point_discord_at
from standins.discord import DiscordStandIn


@pytest.fixture
async def discord_client() -> AsyncIterator[tuple[DiscordStandIn, discord.Client]]:
    """A REST-only client logged in to the stand-in, as a separate worker process (``run_worker``) and
    ``python -m bot sync`` have."""
    base, gateway = discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
    async with DiscordStandIn() as standin:
        point_discord_at(standin.api_base, standin.gateway_url)
        client = discord.Client(
            intents=discord.Intents.none(), allowed_mentions=discord.AllowedMentions.none()
        )
        try:
            async with client:
                await client.login(standin.token)
                yield standin, client
        finally:
            discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = base, gateway
