"""``python -m bot models pull`` through huggingface_hub's real download path, against a local stand-in for
the Hugging Face Hub serving a tiny model: visible progress, only the pipeline's files, an interrupted
download resumed where it stopped, a disk budget too small refused before any weight is fetched, and
``HF_TOKEN`` for a gated model."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import sys
import time
from pathlib import Path

from standins.bot_process import ROOT
from standins.hub import HubStandIn
from tests.acceptance.support import HUB_REPO, WRITTEN_IN

REPO = HUB_REPO


def _env(hub: HubStandIn, home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VIDEOBOT_", "HF_"))}
    return env | {
        "VIDEOBOT_CONFIG": str(ROOT / "config.toml"),
        "VIDEOBOT_GENERATION__MODEL": REPO,
        "VIDEOBOT_GENERATION__DEVICE": "cpu",
        "HF_ENDPOINT": hub.url,
        "HF_HOME": str(home),
        "HF_HUB_DISABLE_TELEMETRY": "1",
        "PYTHONUNBUFFERED": "1",
        **extra,
    }


async def _start(env: dict[str, str], *args: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "models", *args, env=env, cwd=ROOT,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip


async def _models(env: dict[str, str], *args: str) -> tuple[int, str, str]:
    process = await _start(env, *args)
    out, err = await asyncio.wait_for(process.communicate(), 120)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


def _weights_fetched(hub: HubStandIn) -> list[str]:
    return [
        r.path.rsplit("/", 2)[-2]
        for r in hub.requests
        if r.method == "GET" and r.path.endswith(".safetensors")
    ]


def _incomplete(home: Path) -> list[Path]:
    return list(home.glob("hub/models--*/blobs/*.incomplete"))


async def test_a_pull_shows_progress_resumes_after_an_interruption_and_then_has_nothing_to_fetch(
    wide_wan: Path, tmp_path: Path
) -> None:
    name = "transformer/diffusion_pytorch_model.safetensors"
    size = (wide_wan / name).stat().st_size
    async with HubStandIn() as hub:
        hub.add_repo(REPO, wide_wan)
        home = tmp_path / "hf"
        env = _env(hub, home)

        # The connection stops moving past the first chunk of the transformer; the pull is killed there.
        hub.stall_after[name] = WRITTEN_IN + (size - WRITTEN_IN) // 2
        process = await _start(env, "pull", "--keep-free", "0")
        await asyncio.wait_for(hub.stalled.wait(), 120)
        deadline = time.monotonic() + 30
        while not any(p.stat().st_size >= WRITTEN_IN for p in _incomplete(home)):
            assert time.monotonic() < deadline, "the first half never reached the disk"
            await asyncio.sleep(0.05)
        process.send_signal(signal.SIGKILL)
        await process.wait()
        hub.release()
        (partial,) = _incomplete(home)
        assert partial.stat().st_size == WRITTEN_IN

        code, out, _ = await _models(env, "list")
        assert code == 0 and "partly downloaded" in out, out
        # A pull stopped with Ctrl-C deletes its partial file: what is left still is not the model, however
        # close its size (a Hub id that is not a preset has no published size to compare with).
        aside = tmp_path / "aside"
        partial.rename(aside)
        code, out, _ = await _models(env, "list")
        assert code == 0 and "partly downloaded" in out, out
        aside.rename(partial)

        # An hour later, the next pull clears what the killed one left, fetches only the files it did not
        # finish, and rides out a dropped connection by asking for the rest of the file.
        old = time.time() - 3600
        os.utime(partial, (old, old))
        done_before = {r.path for r in hub.requests if r.method == "GET" and "/resolve/" in r.path}
        hub.requests.clear()
        hub.drop_after[name] = WRITTEN_IN + 1000
        code, out, err = await _models(env, "pull", "--keep-free", "0")
        assert code == 0, (out, err)
        assert "removed 0.01 GB left by an interrupted download" in out, out
        assert "fetching" in out and f"✓ {REPO}: downloaded" in out, out
        assert "100%" in err, err  # huggingface_hub's progress bars
        fetched = [(r.path, r.range) for r in hub.requests if r.method == "GET" and "/resolve/" in r.path]
        assert not {path for path, _ in fetched} & (done_before - {p for p, _ in fetched if p.endswith(name)})
        assert [r for p, r in fetched if p.endswith("/" + name)] == [None, f"bytes={WRITTEN_IN}-"], fetched
        assert not _incomplete(home)
        (snapshot,) = (home / "hub" / f"models--{REPO.replace('/', '--')}" / "snapshots").iterdir()
        # The pipeline's files, whole; not the rest of the repository.
        fetched_files = {p.relative_to(snapshot).as_posix() for p in snapshot.rglob("*") if p.is_file()}
        repo_files = {p.relative_to(wide_wan).as_posix() for p in wide_wan.rglob("*") if p.is_file()}
        assert fetched_files == repo_files - {"samples/demo.mp4", "videobot.json"}
        for fetched_file in fetched_files:
            assert (snapshot / fetched_file).read_bytes() == (wide_wan / fetched_file).read_bytes()

        code, out, _ = await _models(env, "list")
        assert "downloaded" in out and "partly" not in out, out
        hub.requests.clear()
        code, out, _ = await _models(env, "pull")
        assert code == 0 and f"✓ {REPO}: already downloaded" in out, out
        assert not _weights_fetched(hub)


async def test_a_pull_that_would_fill_the_disk_is_refused_before_any_weight_is_fetched(
    tiny_wan: Path, tmp_path: Path
) -> None:
    async with HubStandIn() as hub:
        hub.add_repo(REPO, tiny_wan)
        free = shutil.disk_usage(tmp_path).free
        env = _env(hub, tmp_path / "hf")
        code, out, _ = await _models(env, "pull", REPO, "--keep-free", f"{free / 1000**3 + 1:.1f}")
        assert code == 1
        assert f"✗ {REPO} needs 0.0 GB more" in out and "does not fit" in out and "--keep-free" in out, out
        assert not _weights_fetched(hub)


async def test_a_gated_model_needs_hf_token(tiny_wan: Path, tmp_path: Path) -> None:
    async with HubStandIn(token="hf_secret") as hub:
        hub.add_repo(REPO, tiny_wan)
        code, out, _ = await _models(_env(hub, tmp_path / "hf"), "pull", "--keep-free", "0")
        assert code == 1 and "HF_TOKEN" in out, out
        assert not _weights_fetched(hub)
        env = _env(hub, tmp_path / "hf", HF_TOKEN="hf_secret")
        code, out, err = await _models(env, "pull", "--keep-free", "0")
        assert code == 0 and f"✓ {REPO}: downloaded" in out, (out, err)
        assert {r.authorization for r in hub.requests[-3:]} == {"Bearer hf_secret"}
