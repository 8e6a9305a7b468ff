"""Where an enabled model's weights are: a local directory, or the Hugging Face cache (complete, partly
downloaded, or not yet), and how much a download would fetch. Reads the disk only: never downloads."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from generation.presets import ModelPreset

State = Literal["local", "cached", "partial", "missing"]
# A cache holding this share of the published download counts as complete (repos carry files a pipeline
# never fetches, and published sizes are rounded).
COMPLETE_SHARE = 0.95


@dataclass(frozen=True)
class ModelFiles:
    name: str
    sources: tuple[str, ...]  # Hub ids, or the one local directory
    state: State
    on_disk: int  # bytes already here
    download: int | None  # bytes the published checkpoint weighs (None: not published)

    @property
    def still_to_fetch(self) -> int:
        """Bytes a download would still fetch (0 when here; unknown sizes count as 0)."""
        if self.state in ("local", "cached") or self.download is None:
            return 0
        return max(0, self.download - self.on_disk)


def hub_cache_dir() -> Path:
    """The Hugging Face cache huggingface_hub uses: ``HF_HUB_CACHE``, else ``HF_HOME``/hub."""
    if cache := os.environ.get("HF_HUB_CACHE"):
        return Path(cache)
    home = os.environ.get("HF_HOME") or os.path.join(
        os.environ.get("XDG_CACHE_HOME", "~/.cache"), "huggingface"
    )
    return Path(home).expanduser() / "hub"


def sources_of(preset: ModelPreset) -> tuple[str, ...]:
    """Every Hub repository (or the local directory) the preset loads from."""
    found = [preset.source, *(c.source for c in preset.components), *(lora.source for lora in preset.loras)]
    return tuple(dict.fromkeys(found))


def model_files(preset: ModelPreset, cache: Path | None = None) -> ModelFiles:
    sources = sources_of(preset)
    local = Path(preset.source).expanduser()
    if local.is_dir():
        return ModelFiles(preset.name, (preset.source,), "local", _size(local), None)
    cache = cache or hub_cache_dir()
    on_disk, incomplete = 0, False
    for source in sources:
        blobs = cache / f"models--{source.replace('/', '--')}" / "blobs"
        if blobs.is_dir():
            for blob in blobs.iterdir():
                if blob.name.endswith(".incomplete"):
                    incomplete = True
                on_disk += blob.stat().st_size
    download = preset.architecture.download_bytes if preset.architecture is not None else None
    complete = on_disk > 0 and not incomplete and (download is None or on_disk >= COMPLETE_SHARE * download)
    state: State = "cached" if complete else ("partial" if on_disk else "missing")
    return ModelFiles(preset.name, sources, state, on_disk, download or None)


def _size(directory: Path) -> int:
    return sum(path.stat().st_size for path in directory.rglob("*") if path.is_file())


def existing_parent(path: Path) -> Path:
    """The path, or its nearest parent that exists (where it will be made)."""
    path = path.expanduser().resolve()
    while not path.exists() and path != path.parent:
        path = path.parent
    return path
