"""``/history`` and ``/show`` through the real client."""

from __future__ import annotations

from pathlib import Path

from standins.bot_process import bot_env, bot_process
from standins.discord import DiscordStandIn
from standins.discord.payloads import ALL_PERMISSIONS
from standins.discord.replies import is_private, reply_to, text
from tests.acceptance.support import MEMBER, MODERATOR, OTHER_MEMBER, clip_posts, wait_until


async def test_members_see_their_clips_and_moderators_anyones(
    tiny_wan: Path, sqlite_url: str, tmp_path: Path
) -> None:
    async with (
        DiscordStandIn() as discord,
        bot_process(discord, bot_env(discord, tiny_wan, sqlite_url), tmp_path),
    ):
        await discord.interact(
            discord.slash_command("video", MEMBER, prompt="a cat **on** @everyone", seed=3)
        )
        await wait_until(lambda: bool(clip_posts(discord, 1)), 90, "the clip")
        (clip,) = clip_posts(discord, 1)
        guild_id, channel_id = next(iter(discord.guilds.items()))
        link = f"https://discord.com/channels/{guild_id}/{channel_id}/{clip['id']}"

        mine = await reply_to(discord, discord.slash_command("history", MEMBER))
        assert is_private(mine)
        assert f"[Job #1](<{link}>)" in text(mine) and "seed 3" in text(mine)
        assert "\\*\\*on\\*\\*" in text(mine) and "@everyone" not in text(mine)  # shown literally, pings none

        nosy = await reply_to(
            discord, discord.slash_command("history", OTHER_MEMBER, users={"member": MEMBER})
        )
        assert is_private(nosy) and "Only moderators" in text(nosy) and "Job #1" not in text(nosy)
        moderated = await reply_to(
            discord,
            discord.slash_command(
                "history", MODERATOR, users={"member": MEMBER}, permissions=ALL_PERMISSIONS
            ),
        )
        assert f"<@{MEMBER}>'s latest clips" in text(moderated) and "Job #1" in text(moderated)
        empty = await reply_to(discord, discord.slash_command("history", OTHER_MEMBER))
        assert text(empty) == "No clips here yet."

        # A posted clip is public: anyone in the server may look at its card.
        card = await reply_to(discord, discord.slash_command("show", OTHER_MEMBER, job=1))
        assert is_private(card) and "**Job #1**" in text(card) and f"Clip: {link}" in text(card)
        missing = await reply_to(discord, discord.slash_command("show", MEMBER, job=99))
        assert is_private(missing) and "no job #99" in text(missing)
