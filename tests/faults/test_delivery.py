"""Discord failing the bot: lost permissions, crashes while posting, cancels during the upload, a crash
before the status message was recorded. Each job still ends in exactly one outcome its member sees."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

from bot.store.schema import JobState
from standins.bot_process import bot_env, bot_process
from standins.discord import DiscordStandIn, payloads
from standins.discord.replies import private_reply, text
from tests.acceptance.support import (
    MEMBER,
    OTHER_MEMBER,
    SLOW_RENDER,
    clip_posts,
    failure_notices,
    has_buttons,
    job,
    job_exists,
    notice_settled,
    status_text,
    wait_until,
)

# View Channel, Send Messages, Embed Links, Read Message History: everything but Attach Files.
NO_ATTACH = str((1 << 10) | (1 << 11) | (1 << 14) | (1 << 16))


async def test_a_channel_the_bot_cannot_post_in_is_refused_before_anything_is_queued(
    tiny_wan: Path, sqlite_url: str, tmp_path: Path
) -> None:
    async with DiscordStandIn() as discord:
        payload = discord.slash_command("video", MEMBER, prompt="a cat")
        payload["app_permissions"] = NO_ATTACH
        async with bot_process(discord, bot_env(discord, tiny_wan, sqlite_url), tmp_path):
            await discord.interact(payload)
            reply = await discord.wait_for(private_reply(payload["token"]), 15, "refusal")
        assert "Attach Files" in text(reply) and "Nothing was queued" in text(reply)
        # Nothing public was said: no "thinking…" reply, no message in the channel.
        assert not discord.of_route("channel_message")
        assert not [r for r in discord.of_route("callback") if (r.json or {}).get("type") == 5]


async def test_without_channel_permission_the_clip_goes_by_follow_up_then_by_direct_message(
    tiny_wan: Path, sqlite_url: str, tmp_path: Path
) -> None:
    async with DiscordStandIn() as discord:
        async with bot_process(discord, bot_env(discord, tiny_wan, sqlite_url), tmp_path):
            # The bot lost Send or Attach in the channel after the job was queued.
            discord.forbidden_channels.add(next(iter(discord.guilds.values())))
            first = discord.slash_command("video", MEMBER, prompt="a cat", seed=1)
            await discord.interact(first)
            await wait_until(lambda: bool(clip_posts(discord, 1)), 90, "the clip as a follow-up")
            await wait_until(lambda: status_text(discord, first).startswith("✅"), 15, "status done")
            assert not has_buttons(discord, first)
            assert (await job(sqlite_url, 1)).state is JobState.DELIVERED

            # Follow-ups refused too: the clip reaches the member by direct message.
            discord.failing_routes["followup"] = 403
            second = discord.slash_command("video", MEMBER, prompt="a dog", seed=2)
            await discord.interact(second)
            await wait_until(lambda: bool(clip_posts(discord, 2)), 90, "the clip by DM")
            (dm,) = discord.direct_messages(MEMBER)
            assert dm["attachments"] and "From <#" in dm["content"]
            await wait_until(lambda: status_text(discord, second).startswith("✅"), 15, "status done")

            # A member who accepts no DMs either: one clear failure, shown on the status message.
            discord.closed_dms.add(OTHER_MEMBER)
            third = discord.slash_command("video", OTHER_MEMBER, prompt="a fox", seed=3)
            await discord.interact(third)
            await wait_until(lambda: status_text(discord, third).startswith("❌"), 90, "status failed")
            assert "could not be posted" in status_text(discord, third)
            assert not has_buttons(discord, third)
            # The status edit is the notice; the record that it was sent follows it.
            await wait_until(lambda: notice_settled(sqlite_url, 3), 15, "the notice recorded as sent")
            assert (await job(sqlite_url, 3)).state is JobState.FAILED
        assert [len(clip_posts(discord, n)) for n in (1, 2, 3)] == [1, 1, 0]
        assert not failure_notices(discord, 1) and not failure_notices(discord, 2)


async def test_a_crash_while_posting_the_last_attempt_is_recorded_as_delivered_once(
    tiny_wan: Path, database_url: str, tmp_path: Path
) -> None:
    """One attempt allowed; the bot dies while Discord is creating the clip's message; hundreds of
    messages follow in the channel before it restarts. The clip is found and recorded, never repeated,
    and no failure notice follows it (with no help from Discord's nonce, which lasts minutes only)."""
    async with DiscordStandIn(nonce_window=0) as discord:
        env = bot_env(discord, tiny_wan, database_url, VIDEOBOT_WORKER__MAX_ATTEMPTS="1")
        discord.hold["channel_message"] = 5
        async with bot_process(discord, env, tmp_path) as proc:
            await discord.interact(discord.slash_command("video", MEMBER, prompt="a cat", seed=4))
            await wait_until(lambda: bool(clip_posts(discord)), 90, "the clip being created")
            proc.send_signal(signal.SIGKILL)
            await proc.wait()
        discord.hold.clear()
        channel_id = next(iter(discord.guilds.values()))
        chatter = payloads.user(OTHER_MEMBER, "chatter")
        for n in range(300):  # a busy channel: more than one page of history since the post
            message_id = payloads.snowflake()
            discord.messages[message_id] = payloads.message(
                message_id, channel_id, chatter, {"content": f"lol {n}"}, []
            )
        async with bot_process(discord, env, tmp_path):
            await wait_until(
                lambda: _state(database_url, JobState.DELIVERED), 60, "the job recorded as delivered"
            )
            await asyncio.sleep(1.0)
        assert len(clip_posts(discord)) == 1 and not failure_notices(discord)
        assert not list((tmp_path / "data" / "clips").rglob("job-1.*")), "the clip file was left behind"


async def test_a_cancel_during_the_upload_removes_the_clip_once_it_lands(
    tiny_wan: Path, sqlite_url: str, tmp_path: Path
) -> None:
    async with DiscordStandIn() as discord:
        discord.hold["channel_message"] = 4
        async with bot_process(discord, bot_env(discord, tiny_wan, sqlite_url), tmp_path):
            payload = discord.slash_command("video", MEMBER, prompt="a cat", seed=5)
            await discord.interact(payload)
            await wait_until(lambda: bool(clip_posts(discord)), 90, "the upload under way")
            cancel = discord.slash_command("cancel", MEMBER, job=1)
            await discord.interact(cancel)
            reply = await discord.wait_for(private_reply(cancel["token"]), 15, "cancel answer")
            assert "removed" in text(reply)
            await wait_until(lambda: not clip_posts(discord), 30, "the clip removed")
            assert "cancelled" in status_text(discord, payload)
        cancelled = await job(sqlite_url, 1)
        assert cancelled.state is JobState.CANCELLED and cancelled.interaction_token is None


async def test_a_crash_right_after_queuing_still_brings_the_reply_to_its_end(
    tiny_wan: Path, sqlite_url: str, tmp_path: Path
) -> None:
    """The job was committed, but the bot died before its reply said so: the member must not be left
    looking at "thinking…"."""
    async with DiscordStandIn() as discord:
        env = bot_env(discord, tiny_wan, sqlite_url, VIDEOBOT_WORKER__EMBEDDED="false")
        payload = discord.slash_command("video", MEMBER, prompt="a cat", seed=6)
        discord.failing_routes["webhook_edit"] = 503  # the "queued" edit keeps failing
        async with bot_process(discord, env, tmp_path) as proc:
            await discord.interact(payload)
            await wait_until(lambda: job_exists(sqlite_url), 30, "the job committed")
            proc.send_signal(signal.SIGKILL)
            await proc.wait()
        del discord.failing_routes["webhook_edit"]
        assert status_text(discord, payload) == ""  # "thinking…"
        async with bot_process(discord, bot_env(discord, tiny_wan, sqlite_url), tmp_path):
            await wait_until(lambda: status_text(discord, payload).startswith("✅"), 90, "status done")
        assert len(clip_posts(discord)) == 1


async def test_a_restarted_worker_takes_its_job_back_without_waiting_for_the_lease(
    tiny_wan: Path, sqlite_url: str, tmp_path: Path
) -> None:
    """SIGKILL mid-render, restart at once: with the default 120 s lease, the job renders again long
    before the lease would have let anyone take it."""
    async with DiscordStandIn() as discord:
        async with bot_process(
            discord, bot_env(discord, tiny_wan, sqlite_url, **SLOW_RENDER), tmp_path
        ) as proc:
            await discord.interact(discord.slash_command("video", MEMBER, prompt="a cat", seed=7))
            await discord.wait_for(
                lambda r: r.route == "webhook_edit" and "rendering" in (r.json or {}).get("content", ""), 60
            )
            proc.send_signal(signal.SIGKILL)
            await proc.wait()
        first_start = (await job(sqlite_url)).started_at
        async with bot_process(discord, bot_env(discord, tiny_wan, sqlite_url), tmp_path):
            await wait_until(lambda: bool(clip_posts(discord)), 60, "the clip after the restart")
        delivered = await job(sqlite_url)
        assert delivered.state is JobState.DELIVERED and delivered.attempts == 2
        assert first_start is not None and delivered.started_at is not None
        assert (delivered.started_at - first_start).total_seconds() < 100, "it waited out the lease"


async def _state(url: str, state: JobState) -> bool:
    return (await job(url)).state is state
