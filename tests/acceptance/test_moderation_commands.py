"""``/videomod`` through the real client: permissions, limits, blocklist, audit."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import numpy as np

from generation.ffmpeg_binary import ffmpeg_executable
from tests.acceptance.harness import bot_env, bot_process
from tests.conftest import ffprobe
from tests.standin import DiscordStandIn, Recorded
from tests.standin.payloads import ALL_PERMISSIONS

MEMBER = 123456789012345678
MODERATOR = 323456789012345678


async def _ask(discord: DiscordStandIn, payload: dict[str, Any]) -> Recorded:
    """Send an interaction and return the bot's reply to it (its callback or ephemeral follow-up)."""
    await discord.interact(payload)
    token = payload["token"]

    def reply(r: Recorded) -> bool:
        if token not in r.path:
            return False
        if r.route == "followup":
            return True
        return r.route == "callback" and (r.json or {}).get("type") == 4

    return await discord.wait_for(reply, 10, f"reply to {payload['data']['name']}")


def _text(rec: Recorded) -> str:
    body = rec.json or {}
    return str((body.get("data") or body).get("content", ""))


def _private(rec: Recorded) -> bool:
    body = rec.json or {}
    return bool((body.get("data") or body).get("flags", 0) & 64)


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
            denied = await _ask(discord, mod("limits", "set", moderator=False, user=MEMBER, max_pending=5))
            assert _private(denied) and "Manage Server" in _text(denied)

            done = await _ask(discord, mod("limits", "set", user=MEMBER, max_pending=1))
            assert _private(done) and "pending at once: 1" in _text(done)
            shown = await _ask(discord, mod("limits", "show", user=MEMBER))
            assert "pending at once: 1" in _text(shown) and "per hour: 10" in _text(shown)

            first = discord.slash_command("video", MEMBER, prompt="a cat")
            await discord.interact(first)
            queued = await discord.wait_for(
                lambda r: r.route == "webhook_edit" and first["token"] in r.path, 10
            )
            assert "queued" in _text(queued)
            second = await _ask(discord, discord.slash_command("video", MEMBER, prompt="a dog"))
            assert _private(second) and "at once" in _text(second)

            added = await _ask(discord, mod("blocklist", "add", term="Spaghetti"))
            assert "Blocked" in _text(added)
            await _ask(discord, mod("limits", "reset", user=MEMBER))
            blocked = await _ask(
                discord, discord.slash_command("video", MEMBER, prompt="a cat eating SPAGHETTI")
            )
            assert _private(blocked) and "blocked" in _text(blocked)

            banned = await _ask(discord, mod("ban", user=MEMBER, reason="**spam**"))
            assert "can no longer" in _text(banned) and "1 queued job" in _text(banned)
            # The purged job's status message says what happened to it.
            await discord.wait_for(
                lambda r: (
                    r.route == "webhook_edit"
                    and first["token"] in r.path
                    and "cancelled by a moderator" in (r.json or {}).get("content", "")
                ),
                10,
            )
            refused = await _ask(discord, discord.slash_command("video", MEMBER, prompt="a bird"))
            assert (
                _private(refused) and "stopped you" in _text(refused) and "\\*\\*spam\\*\\*" in _text(refused)
            )

            audit = _text(await _ask(discord, mod("audit")))
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
                assert "now carry" in _text(await _ask(discord, payload))
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
