"""``/videomod settings`` through the real client: channels where ``/video`` may be used, the server's
default model, checked before anything is queued, and audited."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from standins.bot_process import bot_env, bot_process
from standins.discord import DiscordStandIn
from standins.discord.payloads import ALL_PERMISSIONS
from standins.discord.replies import is_private, private_reply, reply_to, text
from tests.acceptance.support import MEMBER, MODERATOR, job_exists, status_text, wait_until

ELSEWHERE = 700000000000000555  # a channel of the server other than the one commands come from


def settings(discord: DiscordStandIn, *path: str, user: int = MODERATOR, **options: Any) -> dict[str, Any]:
    return discord.slash_command(
        "videomod", user, subcommand=["settings", *path], permissions=ALL_PERMISSIONS, **options
    )


async def test_moderators_keep_video_to_listed_channels_and_choose_the_default_model(
    tiny_wan: Path, sqlite_url: str, tmp_path: Path
) -> None:
    async with DiscordStandIn() as discord:
        here = next(iter(discord.guilds.values()))
        env = bot_env(discord, tiny_wan, sqlite_url, VIDEOBOT_WORKER__EMBEDDED="false")
        async with bot_process(discord, env, tmp_path):
            shown = await reply_to(discord, settings(discord, "show"))
            assert is_private(shown) and "may be used in every channel" in text(shown)

            # Members cannot change settings, whatever Discord shows them.
            member = discord.slash_command("videomod", MEMBER, subcommand=["settings", "show"])
            refused = await reply_to(discord, member)
            assert "Manage Server" in text(refused)

            listed = await reply_to(
                discord, settings(discord, "channel", channels={"channel": ELSEWHERE}, allowed=True)
            )
            assert f"may be used only in: <#{ELSEWHERE}>" in text(listed)

            # /video here is now refused privately, naming where it may be used, and nothing is queued.
            video = discord.slash_command("video", MEMBER, prompt="a cat")
            await discord.interact(video)
            refusal = await discord.wait_for(private_reply(video["token"]), 10, "the refusal")
            assert f"<#{ELSEWHERE}>" in text(refusal) and "Nothing was queued" in text(refusal)
            assert not await job_exists(sqlite_url, 1)

            unknown = await reply_to(discord, settings(discord, "model", model="not-a-model"))
            assert "not enabled here" in text(unknown)
            model = await reply_to(discord, settings(discord, "model", model="tiny-wan0"))
            assert "now uses `tiny-wan0`" in text(model)

            await reply_to(discord, settings(discord, "channel", channels={"channel": here}, allowed=True))
            allowed = discord.slash_command("video", MEMBER, prompt="a cat")
            await discord.interact(allowed)
            await wait_until(lambda: "queued" in status_text(discord, allowed), 15, "the job queued")

            await reply_to(
                discord, settings(discord, "channel", channels={"channel": ELSEWHERE}, allowed=False)
            )
            shown = await reply_to(discord, settings(discord, "show"))
            assert f"may be used only in: <#{here}>" in text(shown) and "Default model: `tiny-wan0`" in text(
                shown
            )

            audit = await reply_to(
                discord,
                discord.slash_command(
                    "videomod", MODERATOR, subcommand=["audit"], permissions=ALL_PERMISSIONS
                ),
            )
            for action in ("channel allowed", "channel removed", "default model"):
                assert action in text(audit)
