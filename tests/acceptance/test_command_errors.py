"""Failures a member can act on get a precise, private answer, not "something went wrong"."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from standins.bot_process import bot_env, bot_process
from standins.discord import DiscordStandIn
from standins.discord.payloads import ALL_PERMISSIONS, slash_command
from standins.discord.replies import is_private, reply_to, text
from tests.acceptance.support import MEMBER, MODERATOR

LEFT = 423456789012345678  # someone who has left the server


def _in_dm(discord: DiscordStandIn, name: str, user_id: int) -> dict[str, Any]:
    """A slash command sent from the member's direct messages with the bot: no server, no member."""
    channel_id = 600000000000000001
    payload = slash_command(
        app_id=discord.app_id, guild_id=None, channel_id=channel_id, user_id=user_id, name=name, options={}
    )
    payload["channel"] = {"id": str(channel_id), "type": 1, "recipients": [payload["user"]]}
    return payload


def _moderate(discord: DiscordStandIn, *path: str, user: int) -> dict[str, Any]:
    """A /videomod command naming someone Discord resolves as a user only: they are no longer a member."""
    payload = discord.slash_command(
        "videomod", MODERATOR, subcommand=path, users={"user": user}, permissions=ALL_PERMISSIONS
    )
    del payload["data"]["resolved"]["members"][str(user)]
    return payload


def _env(discord: DiscordStandIn, model: Path, database_url: str) -> dict[str, str]:
    return bot_env(discord, model, database_url, VIDEOBOT_WORKER__EMBEDDED="false")


def _no_apology_logged(workdir: Path) -> None:
    log = (workdir / "bot.log").read_text()
    assert "Traceback" not in log and " failed in guild " not in log


async def test_queue_and_cancel_in_direct_messages_say_they_work_in_servers(
    tiny_wan: Path, sqlite_url: str, tmp_path: Path
) -> None:
    async with (
        DiscordStandIn() as discord,
        bot_process(discord, _env(discord, tiny_wan, sqlite_url), tmp_path),
    ):
        for name in ("queue", "cancel"):
            reply = await reply_to(discord, _in_dm(discord, name, MEMBER))
            assert is_private(reply) and text(reply) == "This command works in servers only."
    _no_apology_logged(tmp_path)


async def test_a_missing_required_option_asks_to_try_again(
    tiny_wan: Path, sqlite_url: str, tmp_path: Path
) -> None:
    async with (
        DiscordStandIn() as discord,
        bot_process(discord, _env(discord, tiny_wan, sqlite_url), tmp_path),
    ):
        # Discord's copy of a command may lag behind the bot's: here /video arrives without its prompt.
        reply = await reply_to(discord, discord.slash_command("video", MEMBER))
        assert is_private(reply) and "options did not arrive as expected" in text(reply)
        assert "try the command again" in text(reply)
    _no_apology_logged(tmp_path)


async def test_moderators_can_ban_someone_who_has_left_the_server(
    tiny_wan: Path, sqlite_url: str, tmp_path: Path
) -> None:
    async with (
        DiscordStandIn() as discord,
        bot_process(discord, _env(discord, tiny_wan, sqlite_url), tmp_path),
    ):
        banned = await reply_to(discord, _moderate(discord, "ban", user=LEFT))
        assert is_private(banned) and text(banned).startswith(f"<@{LEFT}> can no longer use `/video`")
        shown = await reply_to(discord, _moderate(discord, "limits", "show", user=LEFT))
        assert is_private(shown) and text(shown).startswith(f"<@{LEFT}> gets pending at once:")
        purged = await reply_to(discord, _moderate(discord, "purge", user=LEFT))
        assert is_private(purged) and text(purged) == f"Queued jobs of <@{LEFT}> cancelled: 0."
        unbanned = await reply_to(discord, _moderate(discord, "unban", user=LEFT))
        assert is_private(unbanned) and text(unbanned) == f"<@{LEFT}> may use `/video` again."
    _no_apology_logged(tmp_path)
