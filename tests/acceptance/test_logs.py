"""The bot's log at DEBUG, after a delivered clip and a failed statement, holds no token and no prompt; in
JSON, each record names the job, server and worker it is about."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from pathlib import Path
from typing import Any

from standins.bot_process import bot_env, bot_process
from standins.discord import DiscordStandIn, Recorded
from tests.acceptance.support import MEMBER

# Not shaped like a Discord token: only the literal DISCORD_TOKEN redaction can hide it.
BOT_TOKEN = "standin-bot-token-walrus9931-kkkkkkkkkkkkkkkkkkkkkkkk"
PROMPT = "zebracanary7731 dancing"
NEGATIVE = "quokkasentinel4417"
REFUSED_PROMPT = "zebracanary7731 refused at the insert"
REFUSED_NEGATIVE = "quokkasentinel4417 again"
TOKENS = (
    "interaction-token-ocelot5521-first-zzzzzzzzzzzzzzzzzzzzzzzzzzzzzz",
    "interaction-token-ocelot5521-second-zzzzzzzzzzzzzzzzzzzzzzzzzzzzz",
)
# A real failed statement in the unmodified bot: the insert of the second job is aborted by the database.
TRIGGER = """
CREATE TRIGGER refuse_for_test BEFORE INSERT ON jobs
WHEN NEW.prompt LIKE '%refused at the insert%'
BEGIN SELECT RAISE(ABORT, 'refused by the test'); END
"""


def _video(discord: DiscordStandIn, token: str, prompt: str, negative: str) -> dict[str, Any]:
    payload = discord.slash_command("video", MEMBER, prompt=prompt, negative=negative, duration=1.0)
    payload["token"] = token
    return payload


def _add_trigger(database: Path) -> None:
    with sqlite3.connect(database, timeout=30) as conn:
        conn.execute(TRIGGER)


def _posted(rec: Recorded) -> bool:
    return rec.route == "channel_message" and rec.response is not None


async def test_debug_log_of_a_run_has_no_tokens_prompts_or_parameters(
    tiny_wan: Path, sqlite_url: str, tmp_path: Path
) -> None:
    async with DiscordStandIn(token=BOT_TOKEN) as discord:
        env = bot_env(discord, tiny_wan, sqlite_url, VIDEOBOT_BOT__LOG_LEVEL="DEBUG")
        async with bot_process(discord, env, tmp_path):
            # A clip delivered, through a channel post that fails once and is retried.
            discord.failing_routes["channel_message"] = 500
            await discord.interact(_video(discord, TOKENS[0], PROMPT, NEGATIVE))
            await discord.wait_for(lambda r: r.route == "channel_message", 120, "first post attempt")
            del discord.failing_routes["channel_message"]
            posted = await discord.wait_for(_posted, 60, "clip")
            assert PROMPT in posted.json["embeds"][0]["description"]
            message_id = posted.response["id"]
            await discord.wait_for(
                lambda r: r.route == "webhook_edit" and message_id in (r.json or {}).get("content", ""),
                10,
                "delivered status",
            )

            # A request whose insert fails: the bot logs the failed statement and tells the member.
            await asyncio.to_thread(_add_trigger, tmp_path / "videobot.db")
            await discord.interact(_video(discord, TOKENS[1], REFUSED_PROMPT, REFUSED_NEGATIVE))
            await discord.wait_for(
                lambda r: (
                    r.route == "followup"
                    and TOKENS[1] in r.path
                    and "queue is unavailable" in (r.json or {}).get("content", "")
                ),
                20,
                "refusal",
            )

    log = (tmp_path / "bot.log").read_text()
    # The run was logged at DEBUG, and the failure with its traceback.
    assert " DEBUG " in log
    assert "could not queue interaction" in log and "refused by the test" in log
    assert "delivered as message" in log
    secrets = (PROMPT, NEGATIVE, REFUSED_PROMPT, REFUSED_NEGATIVE, *TOKENS, BOT_TOKEN)
    fragments = ("zebracanary7731", "quokkasentinel4417", "ocelot5521", "walrus9931")
    leaked = [s for s in (*secrets, *fragments) if s in log]
    assert not leaked, f"in the log: {leaked}"


async def test_json_log_records_of_a_run_name_their_job_server_and_worker(
    tiny_wan: Path, sqlite_url: str, tmp_path: Path
) -> None:
    async with DiscordStandIn(token=BOT_TOKEN) as discord:
        env = bot_env(discord, tiny_wan, sqlite_url, VIDEOBOT_BOT__LOG_FORMAT="json")
        async with bot_process(discord, env, tmp_path):
            await discord.interact(_video(discord, TOKENS[0], PROMPT, NEGATIVE))
            await discord.wait_for(_posted, 120, "clip")
    guild = next(iter(discord.guilds))
    lines = (tmp_path / "bot.log").read_text().splitlines()
    records = [json.loads(line) for line in lines if line.startswith("{")]
    # Every record of the bot's own is JSON (library progress bars are not records, and stay text).
    assert not [line for line in lines if " bot." in line and not line.startswith("{")]
    queued = next(r for r in records if r["message"].startswith("queued job 1 "))
    assert (queued["job_id"], queued["guild_id"], queued["worker"]) == (None, guild, None)
    delivered = next(r for r in records if r["message"].startswith("job 1 delivered as message"))
    assert (delivered["job_id"], delivered["guild_id"]) == (1, guild) and delivered["worker"]
    assert all(r["worker"] == delivered["worker"] for r in records if r["logger"] == "bot.worker")
    leaked = [s for s in (PROMPT, NEGATIVE, TOKENS[0], BOT_TOKEN) if s in "\n".join(lines)]
    assert not leaked, f"in the log: {leaked}"
