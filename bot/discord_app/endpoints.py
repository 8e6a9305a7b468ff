"""Where discord.py sends REST calls and opens the gateway.

discord.py keeps both addresses as class attributes, so they are set once per process, before the client
logs in, from ``[discord] api_base`` and ``gateway_url``. Owners of Discord-compatible servers and the
test stand-in rely on this; the defaults are Discord's own.
"""

from __future__ import annotations

import discord
import yarl


def point_discord_at(api_base: str, gateway_url: str) -> None:
    discord.http.Route.BASE = api_base.rstrip("/")
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway_url)
