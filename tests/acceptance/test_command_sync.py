"""Commands are sent to Discord only when they changed (``python -m bot sync`` sends them anyway), and the
bot connects with as many shards as Discord asks for, answering in each."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import discord
from discord import app_commands

from bot.discord_app.command_sync import sync_if_changed
from bot.store.command_syncs import CommandSyncs
from bot.store.engine import create_engine
from bot.store.migrate import upgrade_to_head
from standins.bot_process import bot_env, bot_process
from standins.discord import DiscordStandIn
from standins.discord.replies import reply_to, text
from tests.acceptance.support import MEMBER

FIRST = 800000000000000001
SECOND = FIRST + (1 << 22)  # served by the other of two shards: (id >> 22) % 2 differs


async def test_a_restart_with_the_same_commands_sends_none_and_sync_sends_them_anyway(
    tiny_wan: Path, sqlite_url: str, tmp_path: Path
) -> None:
    async with DiscordStandIn() as discord_api:
        env = bot_env(discord_api, tiny_wan, sqlite_url, VIDEOBOT_WORKER__EMBEDDED="false")
        async with bot_process(discord_api, env, tmp_path):
            assert len(discord_api.of_route("sync_global")) == 1  # a new database: never synced
        async with bot_process(discord_api, env, tmp_path):
            reply = await reply_to(discord_api, discord_api.slash_command("queue", MEMBER))
            assert "no clips" in text(reply)  # the commands work, and were not sent again
        assert len(discord_api.of_route("sync_global")) == 1

        forced = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "sync", env=env, cwd=tmp_path, stdout=asyncio.subprocess.PIPE
        )
        out, _ = await asyncio.wait_for(forced.communicate(), 120)
        assert forced.returncode == 0 and b"commands sent to Discord" in out
        assert len(discord_api.of_route("sync_global")) == 2
        assert not discord_api._sockets  # ``sync`` logs in over REST only: no gateway connection


async def test_a_sharded_bot_connects_every_shard_and_answers_in_each(
    tiny_wan: Path, sqlite_url: str, tmp_path: Path
) -> None:
    async with DiscordStandIn(
        guilds={FIRST: 700000000000000001, SECOND: 700000000000000002}, shards=2
    ) as api:
        env = bot_env(api, tiny_wan, sqlite_url, VIDEOBOT_WORKER__EMBEDDED="false")
        async with bot_process(api, env, tmp_path):
            assert sorted(api.identifies) == [[0, 2], [1, 2]]  # type: ignore[type-var]
            for guild in (FIRST, SECOND):  # each server's interactions arrive on its own shard
                reply = await reply_to(api, api.slash_command("queue", MEMBER, guild=guild))
                assert "no clips" in text(reply)


async def test_a_changed_description_is_sent_and_an_unchanged_one_is_not(
    discord_client: tuple[DiscordStandIn, discord.Client], sqlite_url: str
) -> None:
    standin, client = discord_client
    engine = create_engine(sqlite_url)
    try:
        await upgrade_to_head(engine)
        records = CommandSyncs(engine)

        async def hello(interaction: discord.Interaction) -> None:
            """Never run."""

        tree = app_commands.CommandTree(client)
        command = app_commands.Command(name="hello", description="Say hello", callback=hello)
        tree.add_command(command)
        assert await sync_if_changed(tree, records) and len(standin.of_route("sync_global")) == 1
        assert not await sync_if_changed(tree, records) and len(standin.of_route("sync_global")) == 1
        command.description = "Say hello, politely"
        assert await sync_if_changed(tree, records) and len(standin.of_route("sync_global")) == 2
        assert standin.commands[0]["description"] == "Say hello, politely"
        # Another server's commands are their own scope.
        assert await sync_if_changed(tree, records, discord.Object(FIRST))
        assert len(standin.of_route("sync_guild")) == 1
    finally:
        await engine.dispose()
