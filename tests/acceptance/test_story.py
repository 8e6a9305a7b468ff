"""``/story`` through the real client: several shots in one posted clip, shown shot by shot, cancellable."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from generation.story import crossfade_frames
from standins.bot_process import bot_env, bot_process
from standins.discord import DiscordStandIn
from standins.discord.replies import private_reply, text
from tests.acceptance.support import (
    MEMBER,
    SLOW_RENDER,
    clip_posts,
    job,
    posted_video,
    status_text,
    wait_until,
)


def frames_of(discord: DiscordStandIn, job_id: int, tmp_path: Path) -> tuple[int, int]:
    """(frames, frame rate) of the clip posted for ``job_id``."""
    video = posted_video(discord, job_id, tmp_path)
    return int(video["nb_read_frames"]), int(video["r_frame_rate"].split("/")[0])


async def test_a_story_of_three_shots_is_one_clip_cross_faded(
    tiny_wan: Path, sqlite_url: str, tmp_path: Path
) -> None:
    async with DiscordStandIn() as discord:
        async with bot_process(discord, bot_env(discord, tiny_wan, sqlite_url), tmp_path):
            await discord.interact(discord.slash_command("video", MEMBER, prompt="a cat", seed=3))
            await wait_until(lambda: bool(clip_posts(discord, 1)), 90, "the single clip")
            story = discord.slash_command(
                "story", MEMBER, shots="a cat finds spaghetti | the cat eats it | the cat naps", seed=3
            )
            await discord.interact(story)
            await wait_until(lambda: bool(clip_posts(discord, 2)), 120, "the story")
        shot_frames, fps = frames_of(discord, 1, tmp_path)
        story_frames, story_fps = frames_of(discord, 2, tmp_path)
        assert story_fps == fps
        assert story_frames == 3 * shot_frames - 2 * crossfade_frames(fps, shot_frames)
        record = await job(sqlite_url, 2)
        assert record.options.shots == 3
        assert record.prompt == "a cat finds spaghetti | the cat eats it | the cat naps"
        (message,) = clip_posts(discord, 2)
        assert "the cat eats it" in message["embeds"][0]["description"]


async def test_a_story_shows_its_shots_and_stops_when_cancelled(
    tiny_wan: Path, sqlite_url: str, tmp_path: Path
) -> None:
    async with DiscordStandIn() as discord:
        env = bot_env(discord, tiny_wan, sqlite_url, **SLOW_RENDER)
        async with bot_process(discord, env, tmp_path):
            refused = discord.slash_command("story", MEMBER, shots="only one shot")
            await discord.interact(refused)
            answer = await discord.wait_for(private_reply(refused["token"]), 10, "the refusal")
            assert "2 to 6 shots" in text(answer)

            story = discord.slash_command("story", MEMBER, shots="a cat\nthe cat again")
            await discord.interact(story)
            await wait_until(lambda: "shot 1 of 2" in status_text(discord, story), 60, "shot 1 of 2")
            cancel: dict[str, Any] = discord.slash_command("cancel", MEMBER, job=1)
            await discord.interact(cancel)
            await discord.wait_for(private_reply(cancel["token"]), 10, "the cancel")
            await wait_until(lambda: "cancelled" in status_text(discord, story), 30, "the story cancelled")
        assert not clip_posts(discord, 1)
        assert (await job(sqlite_url, 1)).state == "cancelled"
