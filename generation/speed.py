"""Speed knobs: attention backend, step caching and regional compilation of the denoiser."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SpeedOptions:
    # A diffusers attention backend ("native", "flash", "sage", ...); None keeps the default.
    attention_backend: str | None = None
    # "first-block": skip the rest of a step when the first block's output barely changed.
    cache: str = "off"
    cache_threshold: float = 0.05
    # torch.compile the denoiser's repeated blocks (one compile serves every block).
    compile: bool = False


def check_speed_options(options: SpeedOptions) -> None:
    if options.attention_backend and options.attention_backend.endswith("_hub"):
        raise ValueError(f"attention backend {options.attention_backend!r} downloads kernels at run time")
    if options.cache not in ("off", "first-block"):
        raise ValueError(f"unknown cache {options.cache!r}: use off or first-block")


def apply_speed_options(pipe: Any, options: SpeedOptions) -> None:
    check_speed_options(options)
    denoiser = getattr(pipe, "transformer", None) or getattr(pipe, "unet", None)
    if denoiser is None:
        return
    name = type(denoiser).__name__
    if options.attention_backend:
        if hasattr(denoiser, "set_attention_backend"):
            denoiser.set_attention_backend(options.attention_backend)
        else:
            log.warning("%s cannot switch attention backends; keeping its default", name)
    if options.cache == "first-block":
        from diffusers import FirstBlockCacheConfig

        if hasattr(denoiser, "enable_cache"):
            denoiser.enable_cache(FirstBlockCacheConfig(threshold=options.cache_threshold))
        else:
            log.warning("%s has no step cache; running every block", name)
    if options.compile:
        if getattr(denoiser, "_repeated_blocks", None):
            denoiser.compile_repeated_blocks(fullgraph=True)
        else:
            denoiser.compile(fullgraph=False)
