"""A model missing on ``run`` downloads in the background through huggingface_hub, from a local stand-in for
the Hugging Face Hub: the gateway answers and the other models are served meanwhile, a member who queues is
told how far the download is (counting what an earlier start fetched), a download the Hub refuses is tried
again, a stop does not wait for it, and the clip comes once the model is here."""

from __future__ import annotations

import asyncio
import json
import re
import sys
from pathlib import Path

from standins.bot_process import ROOT, bot_env, bot_process
from standins.discord import DiscordStandIn
from standins.discord.replies import reply_to, text
from standins.hub import HubStandIn
from tests.acceptance.support import (
    HUB_RENDER,
    HUB_REPO,
    MEMBER,
    OTHER_MEMBER,
    WRITTEN_IN,
    clip_posts,
    status_text,
    wait_until,
)

DOWNLOADING = re.compile(r"⏬ The model is downloading \((\d+)%\)\.")
TRANSFORMER = "transformer/diffusion_pytorch_model.safetensors"


def _env(
    discord: DiscordStandIn, hub: HubStandIn, database_url: str, tmp_path: Path, **overrides: str
) -> dict[str, str]:
    """The bot, its default model the tiny Wan on the Hub stand-in (HUB_RENDER gives its sizes)."""
    env = bot_env(
        discord,
        tmp_path,
        database_url,
        VIDEOBOT_GENERATION__MODEL=HUB_REPO,
        HF_ENDPOINT=hub.url,
        HF_HOME=str(tmp_path / "hf"),
        HF_HUB_DISABLE_TELEMETRY="1",
        HF_HUB_DOWNLOAD_TIMEOUT="300",  # a stalled connection stays stalled until the test releases it
        **HUB_RENDER,
        **overrides,
    )
    env.pop("HF_TOKEN", None)
    return env


def _percent(card: str) -> int:
    shown = DOWNLOADING.search(card)
    return int(shown[1]) if shown else -1


async def _status_command(env: dict[str, str]) -> str:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "status", env=env, cwd=ROOT,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    out, _ = await asyncio.wait_for(process.communicate(), 60)
    return out.decode()


async def test_a_missing_model_downloads_in_the_background_and_members_see_how_far_it_is(
    wide_wan: Path, sqlite_url: str, tmp_path: Path
) -> None:
    async with HubStandIn() as hub, DiscordStandIn() as discord:
        env = _env(discord, hub, sqlite_url, tmp_path)
        log = tmp_path / "bot.log"
        # The Hub does not have the model yet: the bot starts anyway and keeps trying.
        async with bot_process(discord, env, tmp_path):
            await wait_until(
                lambda: "could not download tiny-org/tiny-wan" in log.read_text(), 60, "the refusal logged"
            )
            assert "the Hub has no such model" in log.read_text()
            video = discord.slash_command("video", MEMBER, prompt="a cat")
            await discord.interact(video)
            await wait_until(lambda: "held up" in status_text(discord, video), 30, "the held-up card")
            assert status_text(discord, video).startswith("⏳ Job #1 is queued and up next.")

            # The model appears on the Hub; the next try fetches it, and stalls past the transformer's
            # first chunk.
            size = (wide_wan / TRANSFORMER).stat().st_size
            hub.stall_after[TRANSFORMER] = WRITTEN_IN + (size - WRITTEN_IN) // 2
            hub.add_repo(HUB_REPO, wide_wan)
            await asyncio.wait_for(hub.stalled.wait(), 60)
            await wait_until(lambda: _percent(status_text(discord, video)) > 0, 30, "the download's progress")
            assert _percent(status_text(discord, video)) < 100, status_text(discord, video)
            assert "Expected to start" not in status_text(discord, video)
            # The gateway answers while the model downloads.
            listing = await reply_to(discord, discord.slash_command("queue", MEMBER))
            assert "#1" in text(listing), text(listing)
            # In the log at most every 10 s: the line of the share comes within that.
            progress_line = re.compile(r"downloading tiny-org/tiny-wan: \d+% \(0\.\d\d of 0\.\d\d GB\)")
            await wait_until(lambda: bool(progress_line.search(log.read_text())), 20, "the progress logged")
            status = await _status_command(env)
            assert re.search(r"downloading tiny-org/tiny-wan: \d+% \(", status), status

            # The connection comes back: the download resumes, the model loads, the clip is posted.
            hub.release()
            await wait_until(lambda: bool(clip_posts(discord, 1)), 120, "the clip")
            assert "is done" in status_text(discord, video)
            ranges = [r.range for r in hub.requests if r.method == "GET" and r.path.endswith(TRANSFORMER)]
            assert ranges[-1] == f"bytes={WRITTEN_IN}-", ranges
            assert "downloaded tiny-org/tiny-wan" in log.read_text()


async def test_a_bot_stopped_while_its_model_downloads_exits_at_once_and_the_next_start_finishes_it(
    wide_wan: Path, sqlite_url: str, tmp_path: Path
) -> None:
    async with HubStandIn() as hub, DiscordStandIn() as discord:
        env = _env(discord, hub, sqlite_url, tmp_path)
        hub.add_repo(HUB_REPO, wide_wan)
        hub.stall_after[TRANSFORMER] = WRITTEN_IN + 1000
        async with bot_process(discord, env, tmp_path) as process:
            await asyncio.wait_for(hub.stalled.wait(), 60)
            await asyncio.sleep(3)  # what was sent before the stall is read: the connection is silent now
            stopped_at = asyncio.get_running_loop().time()
        # Stopped with SIGTERM by the harness, which would have killed it after 40 s: a download blocked on
        # its silent connection (300 s before huggingface_hub gives up) does not hold the process.
        assert process.returncode == 0
        assert asyncio.get_running_loop().time() - stopped_at < 30
        assert "stopped before its models were all here" in (tmp_path / "bot.log").read_text()

        async with bot_process(discord, env, tmp_path):
            video = discord.slash_command("video", MEMBER, prompt="a cat")
            await discord.interact(video)
            await wait_until(lambda: bool(clip_posts(discord, 1)), 120, "the clip")


async def test_other_models_are_served_while_one_downloads_and_a_restart_counts_what_is_here(
    wide_wan: Path, tiny_wan: Path, sqlite_url: str, tmp_path: Path
) -> None:
    async with HubStandIn() as hub, DiscordStandIn() as discord:
        # The Hub's model is the default; a local directory is enabled beside it.
        beside = json.dumps([str(tiny_wan)])
        env = _env(discord, hub, sqlite_url, tmp_path, VIDEOBOT_GENERATION__MODELS=beside)
        hub.add_repo(HUB_REPO, wide_wan)
        hub.stall_after[TRANSFORMER] = WRITTEN_IN + 1000
        async with bot_process(discord, env, tmp_path):
            await asyncio.wait_for(hub.stalled.wait(), 60)
            local = discord.slash_command("video", MEMBER, prompt="a cat", model=tiny_wan.name)
            await discord.interact(local)
            await wait_until(lambda: bool(clip_posts(discord, 1)), 90, "the local model's clip")
            waiting = discord.slash_command("video", OTHER_MEMBER, prompt="a dog")
            await discord.interact(waiting)
            await wait_until(lambda: _percent(status_text(discord, waiting)) > 0, 30, "the download's share")

        # Restarted, the bot counts the files the first start finished: the share it shows never starts
        # again from nothing, even while the transformer's first byte is still to come.
        hub.stalled.clear()
        hub.stall_after[TRANSFORMER] = 0
        restarted = asyncio.get_running_loop().time()
        async with bot_process(discord, env, tmp_path):
            await asyncio.wait_for(hub.stalled.wait(), 60)
            await wait_until(lambda: _percent(status_text(discord, waiting)) > 0, 30, "the share, restarted")
            hub.release()
            await wait_until(lambda: bool(clip_posts(discord, 2)), 120, "the downloaded model's clip")
        shown = [
            _percent(r.json["content"])
            for r in discord.of_route("webhook_edit")
            if waiting["token"] in r.path and r.at > restarted and r.json and "content" in r.json
        ]
        assert [p for p in shown if p >= 0] and 0 not in shown, shown
