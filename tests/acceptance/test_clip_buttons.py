"""The Re-roll, Remix and Delete buttons on a posted clip, through the real client, across restarts."""

from __future__ import annotations

from pathlib import Path

from standins.bot_process import bot_env, bot_process
from standins.discord import DiscordStandIn
from standins.discord.payloads import ALL_PERMISSIONS
from standins.discord.replies import private_reply, reply_to, text
from tests.acceptance.support import (
    MEMBER,
    MODERATOR,
    OTHER_MEMBER,
    button_ids,
    clip_posts,
    job,
    status_text,
    wait_until,
)


async def test_reroll_and_delete_work_after_a_restart_within_the_members_limits(
    tiny_wan: Path, sqlite_url: str, tmp_path: Path
) -> None:
    async with DiscordStandIn() as discord:
        env = bot_env(discord, tiny_wan, sqlite_url, VIDEOBOT_LIMITS__MAX_PENDING="1")
        async with bot_process(discord, env, tmp_path):
            await discord.interact(discord.slash_command("video", MEMBER, prompt="a cat **dancing**", seed=7))
            await wait_until(lambda: bool(clip_posts(discord, 1)), 90, "the first clip")
        (clip,) = clip_posts(discord, 1)
        buttons = button_ids(clip)
        assert buttons == {
            "Re-roll": "videobot:reroll:1",
            "Remix": "videobot:remix:1",
            "Delete": "videobot:delete:1",
        }

        # After a restart, with no worker running: the re-roll is queued like any /video, and the member's
        # limit of one pending job holds against a second click.
        idle = bot_env(
            discord, tiny_wan, sqlite_url, VIDEOBOT_LIMITS__MAX_PENDING="1", VIDEOBOT_WORKER__EMBEDDED="false"
        )
        async with bot_process(discord, idle, tmp_path):
            first = discord.click(int(clip["id"]), buttons["Re-roll"], MEMBER)
            await discord.interact(first)
            await wait_until(lambda: "queued" in status_text(discord, first), 15, "the re-roll queued")
            second = discord.click(int(clip["id"]), buttons["Re-roll"], MEMBER)
            await discord.interact(second)
            refusal = await discord.wait_for(private_reply(second["token"]), 15, "the refusal")
            assert "at once" in text(refusal)

            # Remix opens a form prefilled with the clip's prompt, negative prompt and seed. The member
            # fills it in after the next restart.
            remix = discord.click(int(clip["id"]), buttons["Remix"], MEMBER)
            await discord.interact(remix)
            await wait_until(lambda: remix["token"] in discord.forms, 15, "the Remix form")
            original = await job(sqlite_url, 1)
            form = discord.forms[remix["token"]]
            fields = [field for row in form["components"] for field in row["components"]]
            prefilled = {field["custom_id"]: field.get("value") for field in fields}
            assert prefilled == {"prompt": "a cat **dancing**", "negative": None, "seed": "7"}

        rerolled = await job(sqlite_url, 2)
        assert rerolled.parent_job_id == 1 and rerolled.user_id == MEMBER
        assert (rerolled.prompt, rerolled.options, rerolled.model) == (
            original.prompt,
            original.options,
            original.model,
        )
        assert rerolled.seed != original.seed

        async with bot_process(discord, env, tmp_path):
            await wait_until(lambda: bool(clip_posts(discord, 2)), 90, "the re-rolled clip")

            # The Remix form, sent before the restart: a bad seed is refused privately and queues nothing;
            # an edited prompt with the seed left empty is a new job with the clip's options and model.
            bad = discord.fill_form(remix["token"], MEMBER, seed="seven")
            await discord.interact(bad)
            refused = await discord.wait_for(private_reply(bad["token"]), 15, "the seed refusal")
            assert "seed must be a whole number" in text(refused)
            edited = discord.fill_form(remix["token"], MEMBER, prompt="a dog dancing", seed="")
            await discord.interact(edited)
            await wait_until(lambda: bool(clip_posts(discord, 3)), 90, "the remixed clip")
            remixed = await job(sqlite_url, 3)
            assert (remixed.prompt, remixed.parent_job_id, remixed.model, remixed.options) == (
                "a dog dancing",
                1,
                original.model,
                original.options,
            )

            # Someone else's Delete is refused privately; the clip stays.
            stranger = discord.click(int(clip["id"]), buttons["Delete"], OTHER_MEMBER)
            await discord.interact(stranger)
            refused = await discord.wait_for(private_reply(stranger["token"]), 15, "the refusal")
            assert "Only the member who made this clip" in text(refused)
            assert clip_posts(discord, 1)

            owner = discord.click(int(clip["id"]), buttons["Delete"], MEMBER)
            await discord.interact(owner)
            done = await discord.wait_for(private_reply(owner["token"]), 15, "the answer")
            assert "Deleted" in text(done)
            assert not clip_posts(discord, 1) and clip_posts(discord, 2)

            # A moderator may delete anyone's clip, and that is in the audit log.
            (second_clip,) = clip_posts(discord, 2)
            moderator = discord.click(
                int(second_clip["id"]),
                button_ids(second_clip)["Delete"],
                MODERATOR,
                permissions=ALL_PERMISSIONS,
            )
            await discord.interact(moderator)
            await discord.wait_for(private_reply(moderator["token"]), 15, "the answer")
            assert not clip_posts(discord, 2)
            audit = await reply_to(
                discord,
                discord.slash_command(
                    "videomod", MODERATOR, subcommand=["audit"], permissions=ALL_PERMISSIONS
                ),
            )
            assert "clip deleted" in text(audit) and f"<@{MEMBER}>" in text(audit)
