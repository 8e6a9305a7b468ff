"""``/video`` end to end: real discord.py client, real pipeline, real ffmpeg, real database."""

from __future__ import annotations

import asyncio
import datetime as dt
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from alembic.script import ScriptDirectory
from cryptography.hazmat.primitives.asymmetric import ec

from bot.store.engine import create_engine
from bot.store.jobs import JobStore
from bot.store.migrate import alembic_config, current_revision
from bot.store.schema import JobState
from generation.provenance import read_manifest
from standins.bot_process import bot_env, bot_process
from standins.discord import DiscordStandIn, Recorded
from tests.acceptance.support import MEMBER, OTHER_MEMBER, ROOT, wait_until
from tests.certificates import key_pem, owner_chain, pem
from tests.conftest import ffprobe

HOSTILE_PROMPT = (
    "@everyone @here <@&800000000000000001> <@223456789012345678> a **cat** eating `spaghetti` "
    "|| spoiler || [click](https://example.com) # heading"
)


def _posted(rec: Recorded) -> bool:
    return rec.route == "channel_message"


async def _job_state(
    database_url: str, job_id: int, settled: JobState | None = None, timeout: float = 10.0
) -> tuple[JobState, int | None]:
    """The job's state and message; with ``settled``, waits for that state (the worker records a delivery
    just after the status edit that announces it)."""
    engine = create_engine(database_url)
    try:
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            job = await JobStore(engine).get(job_id)
            assert job is not None
            if settled is None or job.state is settled or asyncio.get_running_loop().time() > deadline:
                return job.state, job.result_message_id
            await asyncio.sleep(0.1)
    finally:
        await engine.dispose()


async def test_video_end_to_end(tiny_wan: Path, database_url: str, tmp_path: Path) -> None:
    limit = 8 * 1024 * 1024
    async with (
        DiscordStandIn() as discord,
        bot_process(discord, bot_env(discord, tiny_wan, database_url), tmp_path),
    ):
        (command,) = [c for c in discord.commands if c["name"] == "video"]
        options = {o["name"]: o for o in command["options"]}
        assert options["prompt"]["required"] and options["prompt"]["max_length"] == 500
        assert options["seed"]["min_value"] == 0 and options["seed"]["max_value"] == 4294967295

        payload = discord.slash_command(
            "video",
            MEMBER,
            prompt=HOSTILE_PROMPT,
            seed=42,
            negative="blurry",
            aspect="9:16",
            duration=2.0,
            attachment_size_limit=limit,
        )
        interaction_id = payload["id"]
        await discord.interact(payload)

        defer = await discord.wait_for(lambda r: r.route == "callback", 10, "defer")
        assert interaction_id in defer.path
        assert defer.json["type"] == 5 and not (defer.json.get("data") or {}).get("flags", 0) & 64

        queued = await discord.wait_for(
            lambda r: r.route == "webhook_edit" and "queued" in (r.json or {}).get("content", ""),
            10,
            "status",
        )
        assert "Job #" in queued.json["content"]
        job_id = int(queued.json["content"].split("#")[1].split()[0])

        posted = await discord.wait_for(_posted, 120, "clip")
        body = posted.json
        assert body["allowed_mentions"] == {"parse": [], "users": [MEMBER]}
        assert body["content"].startswith(f"<@{MEMBER}>")
        assert HOSTILE_PROMPT not in body["content"]
        (embed,) = body["embeds"]
        description = embed["description"]
        assert "@everyone" not in description and "@here" not in description
        assert "<@&" not in description and "<@2" not in description
        assert "**" not in description and "`spaghetti`" not in description and "](" not in description
        fields = {f["name"]: f["value"] for f in embed["fields"]}
        assert fields["Seed"] == "42" and fields["Negative"] == "blurry"
        assert embed["footer"]["text"] == "AI-generated video · signed with Content Credentials (C2PA)"

        ((filename, data),) = posted.files.values()
        assert filename.endswith(".mp4")
        clip = tmp_path / filename
        clip.write_bytes(data)
        probe = ffprobe(clip)
        (video,) = probe["streams"]
        assert video["codec_name"] == "h264" and video["pix_fmt"] == "yuv420p"
        # 2 s at the tiny model's 8 fps, by Wan's 4k+1 rule: 17 frames, raised to the default 24 fps by
        # interpolation over the same span: 49 frames. 9:16 at its 64x64 area: 48x80.
        assert int(video["nb_read_frames"]) == 49 and video["r_frame_rate"] == "24/1"
        assert (int(video["width"]), int(video["height"])) == (48, 80)
        assert fields["Length"] == "2.0 s at 48x80, 24 fps"
        assert len(data) < limit
        assert "AI-generated" in probe["format"]["tags"]["comment"]
        manifest = read_manifest(clip, "video/mp4")
        assert manifest.ai_generated and manifest.intact and manifest.untrusted
        assert (manifest.seed, manifest.prompt, manifest.negative_prompt) == (42, HOSTILE_PROMPT, "blurry")
        # Signed with the chain the bot made on its first start; its root verifies it.
        root = (tmp_path / "data" / "provenance" / "root.pem").read_bytes()
        assert read_manifest(clip, "video/mp4", trust_anchors_pem=root).validation_state == "Trusted"

        message_id = posted.response["id"]
        await discord.wait_for(
            lambda r: r.route == "webhook_edit" and message_id in (r.json or {}).get("content", ""),
            10,
            "done",
        )
        assert await _job_state(database_url, job_id, JobState.DELIVERED) == (
            JobState.DELIVERED,
            int(message_id),
        )
        assert "warmed up" in (tmp_path / "bot.log").read_text()
        assert len(discord.of_route("channel_message")) == 1


async def test_bad_input_and_failures_are_explained_to_the_requester(
    tiny_wan: Path, sqlite_url: str, tmp_path: Path
) -> None:
    async with (
        DiscordStandIn() as discord,
        bot_process(discord, bot_env(discord, tiny_wan, sqlite_url), tmp_path),
    ):
        # Whitespace only: Discord's length check passes it, ours refuses it, privately.
        await discord.interact(discord.slash_command("video", MEMBER, prompt=" \u200b "))
        refusal = await discord.wait_for(lambda r: r.route == "callback", 10, "refusal")
        assert refusal.json["type"] == 4 and refusal.json["data"]["flags"] & 64
        assert "empty" in refusal.json["data"]["content"]

        # An upload limit no clip can meet: the job fails and the requester is told why, by name.
        await discord.interact(
            discord.slash_command("video", OTHER_MEMBER, prompt="a cat", attachment_size_limit=300)
        )
        failure = await discord.wait_for(_posted, 60, "failure notice")
        assert failure.json["content"].startswith(f"<@{OTHER_MEMBER}> sorry")
        assert "upload limit" in failure.json["content"]
        assert failure.json["allowed_mentions"] == {"parse": [], "users": [OTHER_MEMBER]}
        assert not failure.files
        await discord.wait_for(
            lambda r: r.route == "webhook_edit" and "failed" in (r.json or {}).get("content", ""),
            10,
            "status",
        )


async def test_queued_jobs_survive_a_restart(tiny_wan: Path, sqlite_url: str, tmp_path: Path) -> None:
    async with DiscordStandIn() as discord:
        no_worker = bot_env(discord, tiny_wan, sqlite_url, VIDEOBOT_WORKER__EMBEDDED="false")
        async with bot_process(discord, no_worker, tmp_path):
            await discord.interact(discord.slash_command("video", MEMBER, prompt="a cat", seed=1))
            await discord.wait_for(lambda r: r.route == "webhook_edit", 10, "queued status")
        assert not discord.of_route("channel_message")
        async with bot_process(discord, bot_env(discord, tiny_wan, sqlite_url), tmp_path):
            posted = await discord.wait_for(_posted, 120, "clip after restart")
            assert posted.files


def test_without_a_token_the_bot_says_how_to_get_one(tmp_path: Path) -> None:
    env = {k: v for k, v in __import__("os").environ.items() if k != "DISCORD_TOKEN"}
    result = subprocess.run(
        [sys.executable, "-m", "bot"], env=env, cwd=tmp_path, capture_output=True, text=True
    )
    assert result.returncode == 2
    assert "DISCORD_TOKEN is not set" in result.stderr
    assert "discord.com/developers/applications" in result.stderr


def test_a_bad_setting_stops_the_bot_naming_the_key(tmp_path: Path) -> None:
    env = dict(__import__("os").environ, DISCORD_TOKEN="x", VIDEOBOT_GENERATION__STEPS="0")
    result = subprocess.run(
        [sys.executable, "-m", "bot", "--config", str(ROOT / "config.toml")],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2
    assert "generation.steps" in result.stderr and "VIDEOBOT_GENERATION__STEPS" in result.stderr


def test_migrate_command_brings_the_database_up_to_date(database_url: str, tmp_path: Path) -> None:
    env = dict(__import__("os").environ, VIDEOBOT_DATABASE__URL=database_url)
    result = subprocess.run(
        [sys.executable, "-m", "bot", "migrate"], env=env, cwd=tmp_path, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert "up to date" in result.stdout

    async def revision() -> str | None:
        engine = create_engine(database_url)
        try:
            return await current_revision(engine)
        finally:
            await engine.dispose()

    assert asyncio.run(revision()) == ScriptDirectory.from_config(alembic_config()).get_current_head()


async def test_a_separate_worker_process_renders_and_posts(
    tiny_wan: Path, database_url: str, tmp_path: Path
) -> None:
    async with DiscordStandIn() as discord:
        bot_only = bot_env(discord, tiny_wan, database_url, VIDEOBOT_WORKER__EMBEDDED="false")
        worker_dir = tmp_path / "worker"
        worker_dir.mkdir()
        async with (
            bot_process(discord, bot_only, tmp_path),
            bot_process(discord, bot_env(discord, tiny_wan, database_url), worker_dir, "worker"),
        ):
            await discord.interact(discord.slash_command("video", MEMBER, prompt="a dog", seed=9))
            posted = await discord.wait_for(_posted, 120, "clip from the worker process")
            assert posted.files and posted.authorized
        # The bot has no worker of its own here: the clip came from the worker process.
        assert "delivered as message" in (worker_dir / "bot.log").read_text()
        assert "delivered as message" not in (tmp_path / "bot.log").read_text()
        assert len(discord.of_route("channel_message")) == 1


async def test_postgres_notifications_wake_an_idle_worker_at_once(
    tiny_wan: Path, postgres_url: str, tmp_path: Path
) -> None:
    async with DiscordStandIn() as discord:
        bot_only = bot_env(discord, tiny_wan, postgres_url, VIDEOBOT_WORKER__EMBEDDED="false")
        # Polling alone would take a minute: only the notification can start the job within the wait below.
        slow_polling = bot_env(discord, tiny_wan, postgres_url, VIDEOBOT_WORKER__POLL_INTERVAL="60")
        worker_dir = tmp_path / "worker"
        worker_dir.mkdir()
        async with (
            bot_process(discord, bot_only, tmp_path),
            bot_process(discord, slow_polling, worker_dir, "worker"),
        ):
            for _ in range(200):
                if "listening for new jobs" in (worker_dir / "bot.log").read_text():
                    break
                await asyncio.sleep(0.1)
            await asyncio.sleep(1)  # the worker has made its first claim and is idle
            await discord.interact(discord.slash_command("video", MEMBER, prompt="a dog", seed=9))
            posted = await discord.wait_for(_posted, 30, "clip from a worker woken by NOTIFY")
            assert posted.files


async def test_two_worker_processes_post_every_clip_exactly_once(
    tiny_wan: Path, postgres_url: str, tmp_path: Path
) -> None:
    async with DiscordStandIn() as discord:
        bot_only = bot_env(discord, tiny_wan, postgres_url, VIDEOBOT_WORKER__EMBEDDED="false")
        dirs = [tmp_path / "w1", tmp_path / "w2"]
        for d in dirs:
            d.mkdir()
        # Two workers on one machine with two GPUs ("auto": one each; the GPU locks are in their shared
        # clip directory, as on a compose volume). CUDA is absent here, so they render on the CPU.
        shared = {
            "VIDEOBOT_WORKER__GPU": "auto",
            "VIDEOBOT_WORKER__CLIP_DIR": str(tmp_path / "clips"),
            "CUDA_VISIBLE_DEVICES": "0,1",
        }
        workers = [
            bot_env(discord, tiny_wan, postgres_url, VIDEOBOT_WORKER__NAME=d.name, **shared) for d in dirs
        ]
        async with (
            bot_process(discord, bot_only, tmp_path),
            bot_process(discord, workers[0], dirs[0], "worker"),
            bot_process(discord, workers[1], dirs[1], "worker"),
        ):
            await wait_until(lambda: all("rendering on GPU" in _log(d) for d in dirs), 60, "GPUs chosen")
            assert sorted(_log(d).split("rendering on GPU ")[1][0] for d in dirs) == ["0", "1"]
            third = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bot",
                "worker",
                env={**workers[0], "VIDEOBOT_WORKER__NAME": "w3"},
                cwd=tmp_path,
                stderr=asyncio.subprocess.PIPE,
            )
            _, refused = await asyncio.wait_for(third.communicate(), 60)
            assert third.returncode == 2
            assert b"worker.gpu: all 2 GPU(s) here (0, 1) are held by other workers" in refused
            for i in range(6):
                await discord.interact(discord.slash_command("video", MEMBER + i, prompt=f"cat {i}"))
            for _ in range(600):
                if len([m for m in discord.channel_messages() if m["attachments"]]) >= 6:
                    break
                await asyncio.sleep(0.1)
            await asyncio.sleep(1)
        titles = [m["embeds"][0]["title"] for m in discord.channel_messages() if m["attachments"]]
        assert sorted(titles) == sorted(f"Job #{i}" for i in range(1, 7))


def _log(workdir: Path) -> str:
    path = workdir / "bot.log"
    return path.read_text() if path.exists() else ""


async def test_sound_native_frame_rate_and_gifs_are_posted_signed(
    tiny_models: Callable[[str], Path], sqlite_url: str, tmp_path: Path
) -> None:
    """A model with sound (tiny LTX-2) posts H.264 with AAC of the picture's length; a GIF is signed too."""
    async with (
        DiscordStandIn() as discord,
        bot_process(discord, bot_env(discord, tiny_models("ltx2"), sqlite_url), tmp_path),
    ):
        await discord.interact(discord.slash_command("video", MEMBER, prompt="a cat", seed=1))
        posted = await discord.wait_for(_posted, 120, "clip with sound")
        ((filename, data),) = posted.files.values()
        clip = tmp_path / filename
        clip.write_bytes(data)
        streams = {s["codec_type"]: s for s in ffprobe(clip)["streams"]}
        assert streams["audio"]["codec_name"] == "aac" and streams["video"]["r_frame_rate"] == "24/1"
        assert abs(float(streams["audio"]["duration"]) - int(streams["video"]["nb_read_frames"]) / 24) < 0.05
        assert "with sound" in {f["name"]: f["value"] for f in posted.json["embeds"][0]["fields"]}["Length"]
        assert read_manifest(clip, "video/mp4").ai_generated

        discord.requests.clear()
        await discord.interact(discord.slash_command("video", MEMBER, prompt="a dog", seed=2, format="gif"))
        posted = await discord.wait_for(_posted, 120, "gif")
        ((filename, data),) = posted.files.values()
        assert filename.endswith(".gif")
        (tmp_path / filename).write_bytes(data)
        manifest = read_manifest(tmp_path / filename, "image/gif")
        assert manifest.ai_generated and manifest.prompt == "a dog"


async def test_sound_from_a_silent_model_is_refused_and_fps_0_keeps_the_models_rate(
    tiny_wan: Path, sqlite_url: str, tmp_path: Path
) -> None:
    async with (
        DiscordStandIn() as discord,
        bot_process(discord, bot_env(discord, tiny_wan, sqlite_url), tmp_path),
    ):
        for options, expected in (
            ({"sound": True}, "makes silent clips"),
            ({"sound": True, "format": "gif"}, "GIFs are silent"),
            ({"fps": 24, "format": "gif"}, "GIFs play at 15"),
        ):
            discord.requests.clear()
            await discord.interact(discord.slash_command("video", MEMBER, prompt="a cat", **options))
            reply = await discord.wait_for(lambda r: r.route == "callback", 10, "refusal")
            assert reply.json["data"]["flags"] & 64 and expected in reply.json["data"]["content"]
        await asyncio.sleep(0.5)
        assert not [r for r in discord.requests if _posted(r)]

        # The tiny Wan makes 8 fps; asked for its own rate, it is not interpolated to the default 24.
        await discord.interact(discord.slash_command("video", MEMBER, prompt="a cat", seed=1, fps=0))
        posted = await discord.wait_for(_posted, 120, "clip at the model's own rate")
        ((filename, data),) = posted.files.values()
        (tmp_path / filename).write_bytes(data)
        (video,) = ffprobe(tmp_path / filename)["streams"]
        assert video["r_frame_rate"] == "8/1" and int(video["nb_read_frames"]) == 9


async def test_a_clip_that_cannot_be_signed_is_not_posted_and_its_member_is_told(
    tiny_wan: Path, sqlite_url: str, tmp_path: Path
) -> None:
    """The owner's certificate expires while the bot runs: the clip is rendered but never posted unsigned."""
    leaf_key = ec.generate_private_key(ec.SECP256R1())
    expires = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=45)
    leaf, intermediate, _root = owner_chain(leaf_key, not_after=expires)
    (tmp_path / "chain.pem").write_bytes(pem(leaf) + pem(intermediate))
    (tmp_path / "key.pem").write_bytes(key_pem(leaf_key))
    env = {
        "VIDEOBOT_PROVENANCE__CERTIFICATE": str(tmp_path / "chain.pem"),
        "VIDEOBOT_PROVENANCE__PRIVATE_KEY": str(tmp_path / "key.pem"),
    }
    async with (
        DiscordStandIn() as discord,
        bot_process(discord, bot_env(discord, tiny_wan, sqlite_url, **env), tmp_path),
    ):
        await asyncio.sleep(max(0.0, (expires - dt.datetime.now(dt.UTC)).total_seconds() + 1))
        await discord.interact(discord.slash_command("video", MEMBER, prompt="a cat", seed=1))
        told = await discord.wait_for(
            lambda r: _posted(r) and "could not be signed" in (r.json or {}).get("content", ""),
            120,
            "failure",
        )
        assert told.json["content"].startswith(f"<@{MEMBER}>")
        assert not [r for r in discord.requests if _posted(r) and r.files]
    assert "the signing certificate expired" in (tmp_path / "bot.log").read_text()
