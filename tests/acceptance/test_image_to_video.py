"""``/video`` with an attached image, end to end: checked, stored with the job, animated, posted."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

from PIL import Image

from generation.provenance import read_manifest
from standins.bot_process import bot_env, bot_process
from standins.discord import DiscordStandIn
from standins.discord.replies import private_reply, text
from tests.acceptance.support import MEMBER
from tests.conftest import ffprobe


def _png(color: tuple[int, int, int]) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (320, 200), color).save(out, format="PNG")
    return out.getvalue()


async def test_an_attached_png_is_animated_by_the_image_model(
    tiny_models: Callable[[str], Path], sqlite_url: str, tmp_path: Path
) -> None:
    text_model, image_model = tiny_models("wan"), tiny_models("svd")
    async with DiscordStandIn() as discord:
        env = bot_env(discord, text_model, sqlite_url, VIDEOBOT_GENERATION__IMAGE_MODEL=str(image_model))
        async with bot_process(discord, env, tmp_path):
            (command,) = [c for c in discord.commands if c["name"] == "video"]
            assert any(o["name"] == "image" and o["type"] == 11 for o in command["options"])

            # A renamed non-image is refused privately, after the download, and nothing is queued.
            fake = discord.slash_command(
                "video", MEMBER, prompt="a cat", files={"image": ("cat.png", b"MZ\x90")}
            )
            await discord.interact(fake)
            refusal = await discord.wait_for(private_reply(fake["token"]), 15, "refusal")
            assert "could not be read as an image" in text(refusal) and "Nothing was queued" in text(refusal)

            real = discord.slash_command(
                "video", MEMBER, prompt="make it move", files={"image": ("cat.png", _png((200, 30, 30)))}
            )
            await discord.interact(real)
            posted = await discord.wait_for(
                lambda r: r.route == "channel_message" and bool(r.files), 120, "clip"
            )
            ((filename, data),) = posted.files.values()
            clip = tmp_path / filename
            clip.write_bytes(data)
            (video,) = ffprobe(clip)["streams"]
            # The tiny SVD's 4 frames at 7 fps, raised to 24 fps over the same span: 3 * 24 // 7 + 1 = 11.
            assert int(video["nb_read_frames"]) == 11 and video["r_frame_rate"] == "24/1"
            fields = {f["name"]: f["value"] for f in posted.json["embeds"][0]["fields"]}
            assert "svd" in fields["Model"]  # the image model made it, not the text model
        assert len([r for r in discord.of_route("channel_message") if r.files]) == 1


async def test_a_text_only_bot_says_it_cannot_use_images(
    tiny_wan: Path, sqlite_url: str, tmp_path: Path
) -> None:
    async with (
        DiscordStandIn() as discord,
        bot_process(discord, bot_env(discord, tiny_wan, sqlite_url), tmp_path),
    ):
        payload = discord.slash_command(
            "video", MEMBER, prompt="a cat", files={"image": ("cat.png", _png((0, 0, 0)))}
        )
        await discord.interact(payload)
        refusal = await discord.wait_for(private_reply(payload["token"]), 10, "refusal")
        assert "text only" in text(refusal)
        assert not discord.of_route("webhook_edit")


async def test_members_pick_among_the_enabled_models(
    tiny_models: Callable[[str], Path], sqlite_url: str, tmp_path: Path
) -> None:
    wan, ltx = tiny_models("wan"), tiny_models("ltx")
    async with DiscordStandIn() as discord:
        env = bot_env(discord, wan, sqlite_url, VIDEOBOT_GENERATION__MODELS=f'["{ltx}"]')
        async with bot_process(discord, env, tmp_path):
            typing = discord.slash_command("video", MEMBER, prompt="a cat", model="ltx", focused="model")
            await discord.interact(typing)
            suggestions = await discord.wait_for(lambda r: typing["token"] in r.path, 10, "autocomplete")
            assert suggestions.json["type"] == 8
            # A local model goes by its directory's name: the owner's path is not shown to members.
            assert [c["value"] for c in suggestions.json["data"]["choices"]] == [ltx.name]
            assert str(ltx) not in str(suggestions.json)

            unknown = discord.slash_command("video", MEMBER, prompt="a cat", model="sora")
            await discord.interact(unknown)
            refusal = await discord.wait_for(private_reply(unknown["token"]), 10, "refusal")
            assert "not enabled" in text(refusal)

            await discord.interact(discord.slash_command("video", MEMBER, prompt="a cat", model=ltx.name))
            posted = await discord.wait_for(
                lambda r: r.route == "channel_message" and bool(r.files), 60, "clip"
            )
            ((filename, data),) = posted.files.values()
            (tmp_path / filename).write_bytes(data)
            (video,) = ffprobe(tmp_path / filename)["streams"]
            assert (int(video["width"]), int(video["height"])) == (
                32,
                32,
            )  # the tiny LTX's frame, not Wan's 64
            # The clip's card and its signed metadata name the model, not where it lies on the owner's disk.
            assert read_manifest(tmp_path / filename, "video/mp4").model == ltx.name
            assert str(ltx).encode() not in data
            assert all(str(ltx) not in str(r.json) for r in discord.requests if r.json)


async def test_a_short_clip_can_come_as_a_gif(tiny_wan: Path, sqlite_url: str, tmp_path: Path) -> None:
    async with (
        DiscordStandIn() as discord,
        bot_process(discord, bot_env(discord, tiny_wan, sqlite_url), tmp_path),
    ):
        await discord.interact(discord.slash_command("video", MEMBER, prompt="a cat", format="gif"))
        posted = await discord.wait_for(lambda r: r.route == "channel_message" and bool(r.files), 60, "gif")
    ((filename, data),) = posted.files.values()
    assert filename.endswith(".gif")
    with Image.open(io.BytesIO(data)) as gif:
        assert gif.format == "GIF" and gif.n_frames == 9
        assert b"AI-generated" in gif.info["comment"]
