"""Where an enabled model's weights are, read from a Hugging Face cache laid out as huggingface_hub writes it
(models--owner--name/blobs), without downloading anything."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from generation.hub_cache import model_files, sources_of
from generation.presets import PRESETS

WAN = PRESETS["wan2.1-t2v-1.3b"]


def _blob(cache: Path, repo: str, name: str, size: int) -> None:
    blobs = cache / f"models--{repo.replace('/', '--')}" / "blobs"
    blobs.mkdir(parents=True, exist_ok=True)
    with (blobs / name).open("wb") as file:
        file.truncate(size)  # sparse: the size is what counts


def test_a_model_is_missing_then_partial_and_its_size_alone_never_makes_it_downloaded(tmp_path: Path) -> None:
    assert WAN.architecture is not None
    published = WAN.architecture.download_bytes
    missing = model_files(WAN, tmp_path)
    assert (missing.state, missing.on_disk, missing.still_to_fetch) == ("missing", 0, published)
    _blob(tmp_path, WAN.source, "a" * 64, published // 2)
    _blob(tmp_path, WAN.source, "b" * 64 + ".incomplete", 1000)
    partial = model_files(WAN, tmp_path)
    assert partial.state == "partial" and partial.still_to_fetch == published - published // 2 - 1000
    # As many bytes as the checkpoint weighs, but no snapshot of the pipeline's files: not downloaded.
    # (A real download reads back as "downloaded": tests/acceptance/test_models_pull.py.)
    (tmp_path / f"models--{WAN.source.replace('/', '--')}" / "blobs" / ("b" * 64 + ".incomplete")).unlink()
    _blob(tmp_path, WAN.source, "b" * 64, published - published // 2)
    assert model_files(WAN, tmp_path).state == "partial"


def test_every_source_counts_and_a_local_directory_is_measured(tmp_path: Path) -> None:
    animatediff = PRESETS["animatediff-sd15"]
    assert sources_of(animatediff) == (
        "stable-diffusion-v1-5/stable-diffusion-v1-5",
        "guoyww/animatediff-motion-adapter-v1-5-2",
    )
    local = tmp_path / "my-model"
    local.mkdir()
    (local / "model_index.json").write_text("{}")
    files = model_files(replace(WAN, source=str(local)), tmp_path / "cache")
    assert (files.state, files.on_disk, files.still_to_fetch) == ("local", 2, 0)


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, "~/.cache/huggingface/hub"),
        ({"HF_HOME": "/srv/hf"}, "/srv/hf/hub"),
        ({"HUGGINGFACE_HUB_CACHE": "/srv/old-name"}, "/srv/old-name"),
        ({"HF_HOME": "/srv/hf", "HF_HUB_CACHE": "/srv/elsewhere"}, "/srv/elsewhere"),
    ],
)
def test_the_cache_is_where_huggingface_hub_puts_it(env: dict[str, str], expected: str) -> None:
    # huggingface_hub reads its variables once, at import: ask a fresh interpreter.
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "HUGGINGFACE_", "XDG_CACHE"))}
    found = subprocess.run(
        [sys.executable, "-c", "from generation.hub_cache import hub_cache_dir; print(hub_cache_dir())"],
        env=clean | env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert found == os.path.expanduser(expected)
