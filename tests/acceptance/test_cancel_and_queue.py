"""Cancelling from the button and from ``/cancel``, and ``/queue``, through the real client."""

from __future__ import annotations

import re
from pathlib import Path

from standins.bot_process import bot_env, bot_process
from standins.discord import DiscordStandIn, Recorded
from standins.discord.payloads import ALL_PERMISSIONS
from tests.acceptance.support import MEMBER, SLOW_RENDER
from tests.acceptance.support import OTHER_MEMBER as OTHER


def _status_with_button(rec: Recorded) -> bool:
    return rec.route == "webhook_edit" and bool((rec.json or {}).get("components"))


def _custom_id(rec: Recorded) -> str:
    return str(rec.json["components"][0]["components"][0]["custom_id"])


def _ephemeral_reply(rec: Recorded, token: str) -> bool:
    return rec.route == "callback" and token in rec.path and (rec.json or {}).get("type") == 4


async def test_cancel_button_checks_ownership_and_survives_a_restart(
    tiny_wan: Path, sqlite_url: str, tmp_path: Path
) -> None:
    async with DiscordStandIn() as discord:
        env = bot_env(discord, tiny_wan, sqlite_url, VIDEOBOT_WORKER__EMBEDDED="false")
        async with bot_process(discord, env, tmp_path):
            await discord.interact(discord.slash_command("video", MEMBER, prompt="a cat"))
            status = await discord.wait_for(_status_with_button, 10, "status with a Cancel button")
        custom_id = _custom_id(status)
        assert re.fullmatch(r"videobot:cancel:\d+", custom_id)
        message_id = int(status.response["id"])

        # After a restart the same button still works: the job id is in its custom id.
        async with bot_process(discord, env, tmp_path):
            stranger = discord.click(message_id, custom_id, OTHER)
            await discord.interact(stranger)
            refusal = await discord.wait_for(lambda r: _ephemeral_reply(r, stranger["token"]), 10, "refusal")
            assert refusal.json["data"]["flags"] & 64 and "not yours" in refusal.json["data"]["content"]

            owner = discord.click(message_id, custom_id, MEMBER)
            await discord.interact(owner)
            update = await discord.wait_for(lambda r: r.route == "callback" and owner["token"] in r.path, 10)
            assert update.json["type"] == 7
            assert "cancelled by its requester" in update.json["data"]["content"]
            assert update.json["data"]["components"] == []

        # The cancelled job never renders.
        async with bot_process(discord, bot_env(discord, tiny_wan, sqlite_url), tmp_path):
            await discord.interact(discord.slash_command("video", MEMBER, prompt="a dog"))
            posted = await discord.wait_for(lambda r: r.route == "channel_message", 60, "the next clip")
            assert "a dog" in posted.json["embeds"][0]["description"]
        assert len(discord.of_route("channel_message")) == 1


async def test_cancel_stops_a_running_render_within_a_step(
    tiny_wan: Path, sqlite_url: str, tmp_path: Path
) -> None:
    async with DiscordStandIn() as discord:
        env = bot_env(discord, tiny_wan, sqlite_url, **SLOW_RENDER)
        async with bot_process(discord, env, tmp_path):
            await discord.interact(discord.slash_command("video", MEMBER, prompt="a cat"))
            await discord.wait_for(
                lambda r: r.route == "webhook_edit" and "rendering" in (r.json or {}).get("content", ""), 30
            )
            # Progress reaches the status message while it renders.
            progress = await discord.wait_for(
                lambda r: r.route == "webhook_edit" and " of 500" in (r.json or {}).get("content", ""), 30
            )
            assert re.search(r"[▰▱]{10} step \d+ of 500", progress.json["content"])
            command = discord.slash_command("queue", MEMBER)
            await discord.interact(command)
            listing = await discord.wait_for(lambda r: _ephemeral_reply(r, command["token"]), 10, "/queue")
            assert "rendering now" in listing.json["data"]["content"]

            stranger = discord.slash_command("cancel", OTHER, job=1)
            await discord.interact(stranger)
            refusal = await discord.wait_for(lambda r: _ephemeral_reply(r, stranger["token"]), 10)
            assert "not yours" in refusal.json["data"]["content"]

            moderator = discord.slash_command("cancel", OTHER, job=1, permissions=ALL_PERMISSIONS)
            await discord.interact(moderator)
            reply = await discord.wait_for(lambda r: _ephemeral_reply(r, moderator["token"]), 10)
            assert "Stopping job #1" in reply.json["data"]["content"]
            await discord.wait_for(
                lambda r: (
                    r.route == "webhook_edit"
                    and "cancelled by a moderator" in (r.json or {}).get("content", "")
                ),
                10,
            )
            log = tmp_path / "bot.log"
            for _ in range(100):
                if "generation stopped" in log.read_text():
                    break
                await __import__("asyncio").sleep(0.2)
            stopped = re.search(r"cancelled after step (\d+) of 500 ", log.read_text())
            assert stopped is not None, log.read_text()[-2000:]
        assert not discord.of_route("channel_message")
