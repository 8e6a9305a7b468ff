"""Builders for the JSON objects Discord sends: users, guilds, messages, interactions."""

from __future__ import annotations

import itertools
import time
from datetime import UTC, datetime
from typing import Any

DISCORD_EPOCH_MS = 1420070400000
_counter = itertools.count()

ALL_PERMISSIONS = str((1 << 50) - 1)
# View Channel, Send Messages, Embed Links, Attach Files, Read Message History, Use Application Commands.
MEMBER_PERMISSIONS = str((1 << 10) | (1 << 11) | (1 << 14) | (1 << 15) | (1 << 16) | (1 << 31))


def snowflake() -> int:
    """A snowflake stamped now: discord.py derives an interaction's expiry from it."""
    ms = int(time.time() * 1000) - DISCORD_EPOCH_MS
    return (ms << 22) | (next(_counter) % (1 << 22))


def iso_now() -> str:
    return datetime.now(UTC).isoformat()


def user(user_id: int, name: str, bot: bool = False) -> dict[str, Any]:
    return {
        "id": str(user_id),
        "username": name,
        "global_name": name,
        "discriminator": "0",
        "avatar": None,
        "bot": bot,
        "flags": 0,
        "public_flags": 0,
    }


def application(app_id: int, owner: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": str(app_id),
        "name": "videobot",
        "description": "",
        "icon": None,
        "bot_public": True,
        "bot_require_code_grant": False,
        "owner": owner,
        "verify_key": "0" * 64,
        "flags": 0,
    }


def guild(guild_id: int, channel_id: int, owner_id: int) -> dict[str, Any]:
    return {
        "id": str(guild_id),
        "name": f"guild-{guild_id}",
        "icon": None,
        "owner_id": str(owner_id),
        "unavailable": False,
        "member_count": 2,
        "large": False,
        "premium_tier": 0,
        "preferred_locale": "en-US",
        "features": [],
        "emojis": [],
        "stickers": [],
        "roles": [
            {
                "id": str(guild_id),
                "name": "@everyone",
                "permissions": MEMBER_PERMISSIONS,
                "position": 0,
                "color": 0,
                "hoist": False,
                "managed": False,
                "mentionable": False,
                "flags": 0,
            }
        ],
        "channels": [
            {
                "id": str(channel_id),
                "type": 0,
                "guild_id": str(guild_id),
                "name": "memes",
                "position": 0,
                "permission_overwrites": [],
                "nsfw": False,
            }
        ],
        "members": [],
        "threads": [],
        "voice_states": [],
        "presences": [],
        "joined_at": iso_now(),
        "afk_timeout": 300,
        "verification_level": 0,
        "default_message_notifications": 0,
        "explicit_content_filter": 0,
        "mfa_level": 0,
        "system_channel_flags": 0,
        "nsfw_level": 0,
    }


def message(
    message_id: int,
    channel_id: int,
    author: dict[str, Any],
    payload: dict[str, Any],
    attachments: list[dict[str, Any]],
    webhook_id: int | None = None,
) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": str(message_id),
        "channel_id": str(channel_id),
        "type": 0,
        "content": payload.get("content") or "",
        "author": author,
        "attachments": attachments,
        "embeds": payload.get("embeds") or [],
        "components": payload.get("components") or [],
        "mentions": [],
        "mention_roles": [],
        "mention_everyone": False,
        "timestamp": iso_now(),
        "edited_timestamp": None,
        "tts": False,
        "pinned": False,
        "flags": payload.get("flags") or 0,
    }
    if webhook_id is not None:
        data["webhook_id"] = str(webhook_id)
        data["application_id"] = str(webhook_id)
    return data


def slash_command(
    *,
    app_id: int,
    guild_id: int | None,
    channel_id: int,
    user_id: int,
    name: str,
    options: dict[str, Any],
    attachment_size_limit: int = 10 * 1024 * 1024,
    permissions: str = MEMBER_PERMISSIONS,
    option_types: dict[str, int] | None = None,
    subcommand: tuple[str, ...] = (),
    users: dict[str, int] | None = None,
    attachments: dict[str, dict[str, Any]] | None = None,
    focused: str | None = None,
    channels: dict[str, int] | None = None,
    locale: str = "en-US",
    guild_locale: str = "en-US",
) -> dict[str, Any]:
    """An INTERACTION_CREATE payload for a slash command, as Discord sends it.

    ``subcommand`` is the path below the command (group, then subcommand); ``users`` are user options,
    resolved as members of the server; ``channels`` are channel options, resolved as text channels.
    """
    option_types = option_types or {}
    users = users or {}

    def kind(value: Any) -> int:
        if isinstance(value, bool):
            return 5
        if isinstance(value, int):
            return 4
        return 10 if isinstance(value, float) else 3

    leaf = [{"name": k, "type": option_types.get(k, kind(v)), "value": v} for k, v in options.items()]
    for option in leaf:
        if option["name"] == focused:  # the option a member is typing in: an autocomplete request
            option["focused"] = True
    leaf += [{"name": k, "type": 6, "value": str(v)} for k, v in users.items()]
    channels = channels or {}
    leaf += [{"name": k, "type": 7, "value": str(v)} for k, v in channels.items()]
    attachments = attachments or {}
    leaf += [{"name": k, "type": 11, "value": a["id"]} for k, a in attachments.items()]
    for depth, name_ in reversed(list(enumerate(subcommand))):
        leaf = [{"name": name_, "type": 1 if depth == len(subcommand) - 1 else 2, "options": leaf}]
    resolved = {
        "attachments": {a["id"]: a for a in attachments.values()},
        "channels": {
            str(v): {"id": str(v), "type": 0, "name": f"channel-{v}", "permissions": ALL_PERMISSIONS}
            for v in channels.values()
        },
        "users": {str(v): user(v, f"member{v}") for v in users.values()},
        "members": {
            str(v): {
                "roles": [],
                "joined_at": iso_now(),
                "deaf": False,
                "mute": False,
                "flags": 0,
                "permissions": MEMBER_PERMISSIONS,
            }
            for v in users.values()
        },
    }

    member_user = user(user_id, f"member{user_id}")
    data: dict[str, Any] = {
        "id": str(snowflake()),
        "application_id": str(app_id),
        "type": 4 if focused else 2,
        "token": f"token-{snowflake()}",
        "version": 1,
        "channel_id": str(channel_id),
        "channel": {
            "id": str(channel_id),
            "type": 0,
            "name": "memes",
            "position": 0,
            "permission_overwrites": [],
        },
        "app_permissions": ALL_PERMISSIONS,
        "locale": locale,
        "entitlements": [],
        "attachment_size_limit": attachment_size_limit,
        "data": {"id": str(snowflake()), "name": name, "type": 1, "options": leaf, "resolved": resolved},
    }
    if guild_id is not None:
        data["guild_id"] = str(guild_id)
        data["guild_locale"] = guild_locale
        data["channel"]["guild_id"] = str(guild_id)
        data["data"]["guild_id"] = str(guild_id)
        data["authorizing_integration_owners"] = {"0": str(guild_id)}
        data["context"] = 0
        data["member"] = {
            "user": member_user,
            "roles": [],
            "flags": 0,
            "permissions": permissions,
            "joined_at": iso_now(),
            "deaf": False,
            "mute": False,
            "pending": False,
            "nick": None,
            "avatar": None,
        }
    else:
        data["user"] = member_user
        data["authorizing_integration_owners"] = {"1": str(user_id)}
        data["context"] = 1
    return data


def button_click(
    *,
    app_id: int,
    guild_id: int,
    channel_id: int,
    user_id: int,
    custom_id: str,
    message: dict[str, Any],
    permissions: str = MEMBER_PERMISSIONS,
) -> dict[str, Any]:
    """An INTERACTION_CREATE payload for a click on a button of ``message``."""
    data = slash_command(
        app_id=app_id,
        guild_id=guild_id,
        channel_id=channel_id,
        user_id=user_id,
        name="",
        options={},
        permissions=permissions,
    )
    data["type"] = 3
    data["data"] = {"custom_id": custom_id, "component_type": 2}
    data["message"] = message
    return data


def form_submit(
    *, app_id: int, guild_id: int, channel_id: int, user_id: int, custom_id: str, values: dict[str, str]
) -> dict[str, Any]:
    """An INTERACTION_CREATE payload for a member submitting a form (modal): text inputs in action rows."""
    data = slash_command(
        app_id=app_id, guild_id=guild_id, channel_id=channel_id, user_id=user_id, name="", options={}
    )
    data["type"] = 5
    data["data"] = {
        "custom_id": custom_id,
        "components": [
            {"type": 1, "components": [{"type": 4, "custom_id": key, "value": value}]}
            for key, value in values.items()
        ],
    }
    return data
