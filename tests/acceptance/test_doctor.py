"""``python -m bot doctor`` against the Discord stand-in, on this CPU machine with a tiny model: all in place
exits 0; a bad token, a database that is down, or no ffmpeg each give their ✗ line and a non-zero exit."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from standins.bot_process import ROOT, bot_env
from standins.discord import DiscordStandIn


async def _doctor(env: dict[str, str], cwd: Path) -> tuple[int, list[str]]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "doctor", env=env, cwd=cwd, stdout=asyncio.subprocess.PIPE
    )
    out, _ = await asyncio.wait_for(process.communicate(), 120)
    assert process.returncode is not None
    return process.returncode, out.decode().splitlines()


def _line(lines: list[str], label: str) -> str:
    (found,) = [line for line in lines if line[2:].startswith(label + ":")]
    return found


async def test_doctor_passes_when_all_is_in_place_and_names_each_problem(
    tiny_wan: Path, sqlite_url: str, tmp_path: Path
) -> None:
    async with DiscordStandIn() as discord:
        discord._store_commands([{"name": "video", "description": "Make a clip"}], None)
        env = bot_env(discord, tiny_wan, sqlite_url, VIDEOBOT_WORKER__CLIP_DIR=str(tmp_path / "clips"))
        code, lines = await _doctor(env, tmp_path)
        assert code == 0, lines
        assert lines[-1].startswith("Ready for a first run.")
        assert _line(lines, "Discord token") == "✓ Discord token: logs in as videobot (id 900000000000000001)"
        assert "&permissions=117760" in _line(lines, "Application")
        assert _line(lines, "Slash commands") == "✓ Slash commands: global: /video"
        assert _line(lines, "Database").startswith("✓ Database: SQLite; the bot creates")
        assert _line(lines, "ffmpeg").endswith("(libx264, aac)")
        assert _line(lines, "GPU") == "✓ GPU: not used ([generation] device = cpu)"
        assert _line(lines, f"Model {tiny_wan.name}").startswith("✓ Model")
        assert all(line.startswith(("✓", "Ready")) for line in lines)
        assert not (tmp_path / "videobot.db").exists()  # it reads: nothing was created

        # The token is refused.
        code, lines = await _doctor({**env, "DISCORD_TOKEN": "not-the-token"}, tmp_path)
        assert code == 1
        assert _line(lines, "Discord token") == "✗ Discord token: Discord refused it (401 Unauthorized)"
        assert lines[lines.index(_line(lines, "Discord token")) + 1].startswith("    → Developer portal")
        assert lines[-1] == "1 problem(s) to fix before the first run."

        # The database is down (nothing listens there).
        down = {**env, "VIDEOBOT_DATABASE__URL": "postgresql+asyncpg://videobot:secret@127.0.0.1:9/videobot"}
        code, lines = await _doctor(down, tmp_path)
        assert code == 1 and _line(lines, "Database").startswith(
            "✗ Database: cannot reach 127.0.0.1:9/videobot"
        )
        assert "secret" not in "\n".join(lines)

        # No ffmpeg: none on PATH, and the bundled one pointed at nothing.
        empty = tmp_path / "empty-path"
        empty.mkdir()
        no_ffmpeg = {**env, "PATH": str(empty), "IMAGEIO_FFMPEG_EXE": str(empty / "ffmpeg")}
        code, lines = await _doctor(no_ffmpeg, tmp_path)
        assert code == 1 and _line(lines, "ffmpeg").startswith("✗ ffmpeg: not usable")
        assert "install ffmpeg" in lines[lines.index(_line(lines, "ffmpeg")) + 1]


async def test_models_list_shows_where_each_enabled_model_is(tiny_wan: Path, tmp_path: Path) -> None:
    cache = tmp_path / "hf" / "hub"
    blobs = cache / "models--Wan-AI--Wan2.1-T2V-1.3B-Diffusers" / "blobs"
    blobs.mkdir(parents=True)
    with (blobs / ("a" * 64)).open("wb") as blob:
        blob.truncate(5_000_000_000)  # 5 GB of the 28.9 GB published, still downloading:
    (blobs / ("b" * 64 + ".incomplete")).write_bytes(b"")
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("VIDEOBOT_")},
        "VIDEOBOT_CONFIG": str(ROOT / "config.toml"),
        "VIDEOBOT_GENERATION__MODEL": str(tiny_wan),
        "VIDEOBOT_GENERATION__MODELS": '["wan2.1-t2v-1.3b", "ltx-video-distilled"]',
        "HF_HOME": str(tmp_path / "hf"),
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "models", "list", env=env, cwd=tmp_path, stdout=asyncio.subprocess.PIPE
    )
    out, _ = await asyncio.wait_for(process.communicate(), 120)
    rows = [line.split("  ") for line in out.decode().splitlines()]
    table = {row[0].strip(): [cell.strip() for cell in row[1:] if cell.strip()] for row in rows[1:-1]}
    assert process.returncode == 0
    assert table == {
        tiny_wan.name: ["local directory", "0.0 GB", "-"],
        "wan2.1-t2v-1.3b": ["partly downloaded", "5.0 GB", "28.9 GB"],
        "ltx-video-13b-distilled": ["not downloaded", "0.0 GB", "47.6 GB"],  # an alias, shown by its name
    }
    assert out.decode().splitlines()[-1] == f"(Hugging Face cache: {cache})"
