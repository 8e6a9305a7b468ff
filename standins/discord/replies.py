"""Reading the bot's answers to interactions out of what the stand-in recorded."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from standins.discord.server import DiscordStandIn, Recorded


async def reply_to(discord: DiscordStandIn, payload: dict[str, Any], timeout: float = 10) -> Recorded:
    """Send an interaction and return the bot's reply to it (its callback or follow-up)."""
    await discord.interact(payload)
    token = payload["token"]

    def reply(r: Recorded) -> bool:
        if token not in r.path:
            return False
        if r.route == "followup":
            return True
        return r.route == "callback" and (r.json or {}).get("type") == 4

    return await discord.wait_for(reply, timeout, f"reply to {payload['data']['name']}")


def text(rec: Recorded) -> str:
    body = rec.json or {}
    return str((body.get("data") or body).get("content", ""))


def is_private(rec: Recorded) -> bool:
    body = rec.json or {}
    return bool((body.get("data") or body).get("flags", 0) & 64)


def private_reply(token: str) -> Callable[[Recorded], bool]:
    """Matches the first private answer to an interaction: an ephemeral response or follow-up."""

    def match(r: Recorded) -> bool:
        if token not in r.path:
            return False
        if r.route == "followup":
            return is_private(r)
        return r.route == "callback" and (r.json or {}).get("type") == 4 and is_private(r)

    return match
