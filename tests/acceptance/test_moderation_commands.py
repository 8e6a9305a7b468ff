"""``/videomod`` through the real client: permissions, limits, blocklist, audit."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import numpy as np

from generation.ffmpeg_binary import ffmpeg_executable
from standins.bot_process import bot_env, bot_process
from standins.discord import DiscordStandIn
from standins.discord.payloads import ALL_PERMISSIONS
from standins.discord.replies import is_private, reply_to, text
from tests.acceptance.support import MEMBER, MODERATOR
from tests.conftest import ffprobe


async def test_moderators_shape_limits_block_terms_and_see_the_audit(
    tiny_wan: Path, sqlite_url: str, tmp_path: Path
) -> None:
    async with DiscordStandIn() as discord:
        env = bot_env(discord, tiny_wan, sqlite_url, VIDEOBOT_WORKER__EMBEDDED="false")
        async with bot_process(discord, env, tmp_path):
            (group,) = [c for c in discord.commands if c["name"] == "videomod"]
            assert (
                str(group["default_member_permissions"]) == "32"
            )  # Manage Server: Discord hides it from others

            def mod(*path: str, moderator: bool = True, **options: Any) -> dict[str, Any]:
                users = {k: options.pop(k) for k in ("user",) if k in options}
                extra = {"permissions": ALL_PERMISSIONS} if moderator else {}
                return discord.slash_command(
                    "videomod", MODERATOR, subcommand=path, users=users, **extra, **options
                )

            # Discord's check is not the bot's: a member who reaches the command anyway is refused.
            denied = await reply_to(
                discord, mod("limits", "set", moderator=False, user=MEMBER, max_pending=5)
            )
            assert is_private(denied) and "Manage Server" in text(denied)

            done = await reply_to(discord, mod("limits", "set", user=MEMBER, max_pending=1))
            assert is_private(done) and "pending at once: 1" in text(done)
            shown = await reply_to(discord, mod("limits", "show", user=MEMBER))
            assert "pending at once: 1" in text(shown) and "per hour: 10" in text(shown)

            first = discord.slash_command("video", MEMBER, prompt="a cat")
            await discord.interact(first)
            queued = await discord.wait_for(
                lambda r: r.route == "webhook_edit" and first["token"] in r.path, 10
            )
            assert "queued" in text(queued)
            second = await reply_to(discord, discord.slash_command("video", MEMBER, prompt="a dog"))
            assert is_private(second) and "at once" in text(second)

            added = await reply_to(discord, mod("blocklist", "add", term="Spaghetti"))
            assert "Blocked" in text(added)
            await reply_to(discord, mod("limits", "reset", user=MEMBER))
            blocked = await reply_to(
                discord, discord.slash_command("video", MEMBER, prompt="a cat eating SPAGHETTI")
            )
            assert is_private(blocked) and "blocked" in text(blocked)

            banned = await reply_to(discord, mod("ban", user=MEMBER, reason="**spam**"))
            assert "can no longer" in text(banned) and "queued jobs cancelled: 1" in text(banned)
            # The purged job's status message says what happened to it.
            await discord.wait_for(
                lambda r: (
                    r.route == "webhook_edit"
                    and first["token"] in r.path
                    and "cancelled by a moderator" in (r.json or {}).get("content", "")
                ),
                10,
            )
            refused = await reply_to(discord, discord.slash_command("video", MEMBER, prompt="a bird"))
            assert (
                is_private(refused) and "stopped you" in text(refused) and "\\*\\*spam\\*\\*" in text(refused)
            )

            audit = text(await reply_to(discord, mod("audit")))
            lines = audit.splitlines()
            assert "ban" in lines[0] and f"<@{MEMBER}>" in lines[0]
            assert any("blocklist add" in line for line in lines)
            assert any("limits set" in line for line in lines)
            assert all(f"<@{MODERATOR}>" in line for line in lines)


def _frames(path: Path) -> np.ndarray:
    """Decode a clip to RGB frames with the real ffmpeg."""
    probe = ffprobe(path)["streams"][0]
    width, height = int(probe["width"]), int(probe["height"])
    raw = subprocess.run(
        [ffmpeg_executable(), "-v", "error", "-i", str(path), "-f", "rawvideo", "-pix_fmt", "rgb24", "-"],
        check=True,
        capture_output=True,
    ).stdout
    return np.frombuffer(raw, dtype=np.uint8).reshape(-1, height, width, 3).astype(int)


async def test_a_server_can_mark_its_clips_visibly_as_ai(
    tiny_wan: Path, sqlite_url: str, tmp_path: Path
) -> None:
    clips = []
    async with (
        DiscordStandIn() as discord,
        # Frames as the model made them: the comparison below is of the badge, not of interpolation.
        bot_process(
            discord, bot_env(discord, tiny_wan, sqlite_url, VIDEOBOT_GENERATION__SMOOTH_FPS="0"), tmp_path
        ),
    ):
        for watermark in (False, True):
            if watermark:
                payload = discord.slash_command(
                    "videomod", MODERATOR, subcommand=("watermark",), permissions=ALL_PERMISSIONS, on=True
                )
                assert "now carry" in text(await reply_to(discord, payload))
            await discord.interact(discord.slash_command("video", MEMBER, prompt="a cat", seed=5))
            n = len(clips)
            await discord.wait_for(lambda r, n=n: len(discord.of_route("channel_message")) > n, 60, "clip")
            posted = discord.of_route("channel_message")[n]
            ((filename, data),) = posted.files.values()
            clips.append(tmp_path / f"{watermark}-{filename}")
            clips[-1].write_bytes(data)
    plain, marked = (_frames(c) for c in clips)
    h, w = plain.shape[1] // 2, plain.shape[2] // 2
    corner = np.abs(marked[:, h:, w:] - plain[:, h:, w:]).mean()
    elsewhere = np.abs(marked[:, :h, :w] - plain[:, :h, :w]).mean()
    assert corner > 4 * max(elsewhere, 0.5)
