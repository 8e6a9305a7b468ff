"""Where an enabled model's weights are: a local directory, or the Hugging Face cache (complete, partly
downloaded, or not yet), and how much a download would fetch. Reads the disk only: never downloads."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from generation.presets import ModelPreset

State = Literal["local", "cached", "partial", "missing"]
# What a component from its own repository loads (diffusers' ModelMixin file names).
COMPONENT_FILES = (
    "config.json",
    "diffusion_pytorch_model.safetensors",
    "diffusion_pytorch_model.safetensors.index.json",
    "diffusion_pytorch_model-*.safetensors",
)


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
    """The Hugging Face cache huggingface_hub uses (``HF_HUB_CACHE``, ``HF_HOME``/hub, ...), as it reads
    them from the environment."""
    from huggingface_hub import constants

    return Path(constants.HF_HUB_CACHE).expanduser()


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
    on_disk = 0
    for source in sources:
        blobs = cache / f"models--{source.replace('/', '--')}" / "blobs"
        for blob in blobs.iterdir() if blobs.is_dir() else ():
            with contextlib.suppress(FileNotFoundError):  # a download in progress renames its files
                on_disk += blob.stat().st_size
    download = preset.architecture.download_bytes if preset.architecture is not None else None
    state: State = "cached" if complete_on_disk(preset, cache) else ("partial" if on_disk else "missing")
    return ModelFiles(preset.name, sources, state, on_disk, download or None)


def complete_on_disk(preset: ModelPreset, cache: Path | None = None) -> bool:
    """Whether every file ``preset`` loads is in the cache, exactly and without the network: diffusers picks
    the pipeline's files from its cached ``model_index.json``, and huggingface_hub checks them against the
    repository listing it kept when they were fetched (a snapshot that listing cannot vouch for counts as
    complete). Extra components and LoRAs from their own repositories are checked the same way."""
    import diffusers
    from huggingface_hub import snapshot_download

    options: dict[str, Any] = {"cache_dir": cache, "local_files_only": True}
    try:
        pipeline_class = getattr(diffusers, preset.pipeline_class or "DiffusionPipeline")
        pipeline_class.download(preset.source, variant=preset.variant, **options)
        for component in preset.components:
            snapshot_download(component.source, allow_patterns=list(COMPONENT_FILES), **options)
        for lora in preset.loras:
            snapshot_download(lora.source, allow_patterns=[lora.weight_name], **options)
    except Exception:  # not in the cache, partly, or unreadable: a download will tell
        return False
    return True


def _size(directory: Path) -> int:
    return sum(path.stat().st_size for path in directory.rglob("*") if path.is_file())


def existing_parent(path: Path) -> Path:
    """The path, or its nearest parent that exists (where it will be made)."""
    path = path.expanduser().resolve()
    while not path.exists() and path != path.parent:
        path = path.parent
    return path
