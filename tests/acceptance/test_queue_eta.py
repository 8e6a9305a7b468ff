"""The status card of a waiting job: honest about timing before any render was measured, then expected
times as Discord timestamps, kept current as the queue moves."""

from __future__ import annotations

import re
from pathlib import Path

from standins.bot_process import bot_env, bot_process
from standins.discord import DiscordStandIn
from standins.discord.replies import private_reply
from tests.acceptance.support import MEMBER, OTHER_MEMBER, SLOW_RENDER, clip_posts, status_text, wait_until

TIMESTAMPS = re.compile(r"Expected to start <t:(\d+):R> and to be ready <t:(\d+):R>\.")


async def test_queued_cards_carry_measured_times_that_follow_the_queue(
    tiny_wan: Path, sqlite_url: str, tmp_path: Path
) -> None:
    async with DiscordStandIn() as discord:
        env = bot_env(discord, tiny_wan, sqlite_url)
        async with bot_process(discord, env, tmp_path):
            first = discord.slash_command("video", MEMBER, prompt="a cat")
            await discord.interact(first)
            await wait_until(lambda: bool(clip_posts(discord, 1)), 90, "the first clip")
        queued_card = next(
            r.json["content"]
            for r in discord.of_route("webhook_edit")
            if first["token"] in r.path and "queued" in (r.json or {}).get("content", "")
        )
        # Nothing was measured yet: no guess.
        assert "First clip on this model: timing…" in queued_card and "<t:" not in queued_card

        # One clip has rendered. A slow job now holds the worker; two more wait behind it.
        async with bot_process(discord, bot_env(discord, tiny_wan, sqlite_url, **SLOW_RENDER), tmp_path):
            slow = discord.slash_command("video", MEMBER, prompt="a slow cat")
            await discord.interact(slow)
            await wait_until(lambda: "rendering" in status_text(discord, slow), 30, "job 2 rendering")
            third = discord.slash_command("video", MEMBER, prompt="a dog")
            fourth = discord.slash_command("video", OTHER_MEMBER, prompt="a bird")
            await discord.interact(third)
            await wait_until(lambda: "queued" in status_text(discord, third), 15, "job 3 queued")
            # The other member, not served yet, goes first: job 3 is now second in line.
            await discord.interact(fourth)
            await wait_until(lambda: "position 2" in status_text(discord, third), 15, "job 3 moving back")
            card = status_text(discord, third)
            times = TIMESTAMPS.search(card)
            assert times is not None, card
            start, ready = int(times[1]), int(times[2])
            assert start < ready

            # Job 4 is cancelled: job 3's card moves up on its own, with an earlier start.
            cancel = discord.slash_command("cancel", OTHER_MEMBER, job=4)
            await discord.interact(cancel)
            await discord.wait_for(private_reply(cancel["token"]), 10, "the cancel")
            await wait_until(lambda: "up next" in status_text(discord, third), 15, "job 3's card moving up")
            moved = TIMESTAMPS.search(status_text(discord, third))
            assert moved is not None and int(moved[1]) < start
