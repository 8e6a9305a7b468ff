"""The Extend button through the real client: a clip continued from its last frame by the image model,
after a restart, up to the owner's maximum length."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from standins.bot_process import bot_env, bot_process
from standins.discord import DiscordStandIn
from standins.discord.replies import private_reply, text
from tests.acceptance.support import (
    MEMBER,
    OTHER_MEMBER,
    button_ids,
    clip_posts,
    job,
    posted_video,
    wait_until,
)


def _video_facts(discord: DiscordStandIn, job_id: int, tmp_path: Path) -> tuple[int, str, int, int]:
    """(frames, frame rate, width, height) of the clip posted for ``job_id``."""
    video = posted_video(discord, job_id, tmp_path)
    return int(video["nb_read_frames"]), video["r_frame_rate"], int(video["width"]), int(video["height"])


async def test_extend_continues_a_clip_with_the_image_model_up_to_the_maximum(
    tiny_models: Callable[[str], Path], sqlite_url: str, tmp_path: Path
) -> None:
    text_model, image_model = tiny_models("wan"), tiny_models("svd")
    async with DiscordStandIn() as discord:
        env = bot_env(
            discord,
            text_model,
            sqlite_url,
            VIDEOBOT_GENERATION__IMAGE_MODEL=str(image_model),
            VIDEOBOT_GENERATION__MAX_EXTEND_SECONDS="2.5",
        )
        async with bot_process(discord, env, tmp_path):
            await discord.interact(discord.slash_command("video", MEMBER, prompt="a cat walks", seed=4))
            await wait_until(lambda: bool(clip_posts(discord, 1)), 90, "the clip")
        (clip,) = clip_posts(discord, 1)
        assert "Extend" in button_ids(clip)
        frames, rate, width, height = _video_facts(discord, 1, tmp_path)

        async with bot_process(discord, env, tmp_path):
            # After a restart, anyone in the server may extend it; the form's prompt may be left empty.
            # Each extension continues the one before, until the 2.5 s maximum is (nearly) reached.
            latest, job_id = clip, 1
            while "extended up to 2.5 s" not in (answer := await _extend(discord, latest)):
                assert job_id < 6, "extensions never reached the maximum"
                job_id += 1
                await wait_until(lambda n=job_id: bool(clip_posts(discord, n)), 120, f"extension {job_id}")
                extended = await job(sqlite_url, job_id)
                assert extended.options.extends == job_id - 1 and extended.parent_job_id == job_id - 1
                assert extended.prompt == "a cat walks" and extended.model != (await job(sqlite_url, 1)).model
                longer, longer_rate, longer_width, longer_height = _video_facts(discord, job_id, tmp_path)
                # The clip, then its continuation at the clip's size and rate, never past the maximum.
                assert (longer_rate, longer_width, longer_height) == (rate, width, height)
                fps = int(rate.split("/")[0])
                assert frames < longer <= int(2.5 * fps)
                assert extended.clip_seconds == longer / fps
                frames, (latest,) = longer, clip_posts(discord, job_id)
            assert job_id >= 2 and answer


async def _extend(discord: DiscordStandIn, clip: dict[str, Any]) -> str:
    """Click Extend on ``clip`` as another member and submit the form untouched; the private refusal, if
    the click was refused, else ""."""
    click = discord.click(int(clip["id"]), button_ids(clip)["Extend"], OTHER_MEMBER)
    await discord.interact(click)
    refused = private_reply(click["token"])
    await wait_until(
        lambda: click["token"] in discord.forms or any(map(refused, discord.requests)), 15, "Extend"
    )
    if click["token"] not in discord.forms:
        return text(next(r for r in discord.requests if refused(r)))
    await discord.interact(discord.fill_form(click["token"], OTHER_MEMBER))
    return ""
