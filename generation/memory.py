"""Memory profiles: how much of a pipeline lives on the GPU, chosen from free VRAM or set by the owner.

From most to least VRAM: the whole pipeline on the device; model CPU offload (one component on the GPU at a
time); group offload (the denoiser streamed block by block); sequential offload (layer by layer, for the
smallest cards). VAE tiling bounds decoding memory; fp8 layer-wise casting halves the denoiser's weights.
The same preset runs on a 24 GB and an 80 GB card with only the profile different.
"""

from __future__ import annotations

import enum
import logging
from dataclasses import dataclass
from typing import Any

import torch

log = logging.getLogger(__name__)

GIB = 1024**3


class Profile(enum.StrEnum):
    FULL = "full"
    MODEL_OFFLOAD = "model-offload"
    GROUP_OFFLOAD = "group-offload"
    SEQUENTIAL_OFFLOAD = "sequential-offload"


@dataclass(frozen=True)
class MemoryOptions:
    profile: str = "auto"  # "auto" or a Profile value
    vae_tiling: bool | None = None  # None: tile unless the whole pipeline fits with room to spare
    fp8: bool = False


@dataclass(frozen=True)
class ModelSize:
    total_bytes: int
    largest_bytes: int  # the largest single component, which offloading must still hold at once


def model_size(pipe: Any) -> ModelSize:
    sizes = [
        sum(t.numel() * t.element_size() for t in (*module.parameters(), *module.buffers()))
        for module in pipe.components.values()
        if isinstance(module, torch.nn.Module)
    ]
    return ModelSize(total_bytes=sum(sizes), largest_bytes=max(sizes, default=0))


# Video activations, the VAE decode and CUDA's own context need room beyond the weights.
HEADROOM_BYTES = 6 * GIB


def choose_profile(free_bytes: int, size: ModelSize) -> Profile:
    """The profile that keeps the most on the GPU while leaving room for activations."""
    if free_bytes >= size.total_bytes + HEADROOM_BYTES:
        return Profile.FULL
    if free_bytes >= size.largest_bytes + HEADROOM_BYTES:
        return Profile.MODEL_OFFLOAD
    if free_bytes >= size.largest_bytes // 4 + HEADROOM_BYTES // 2:
        return Profile.GROUP_OFFLOAD
    return Profile.SEQUENTIAL_OFFLOAD


def free_device_bytes(device: str) -> int | None:
    if device.startswith("cuda") and torch.cuda.is_available():
        free, _total = torch.cuda.mem_get_info(torch.device(device))
        return int(free)
    return None  # a CPU's memory is the machine's: everything stays "on the device"


def resolve_profile(options: MemoryOptions, device: str, size: ModelSize) -> Profile:
    if options.profile != "auto":
        return Profile(options.profile)
    free = free_device_bytes(device)
    return Profile.FULL if free is None else choose_profile(free, size)


def apply_memory_profile(
    pipe: Any, profile: Profile, device: str, dtype: torch.dtype, options: MemoryOptions
) -> None:
    """Place ``pipe`` (loaded on the CPU) according to ``profile``."""
    denoiser = getattr(pipe, "transformer", None) or getattr(pipe, "unet", None)
    if options.fp8 and denoiser is not None:
        denoiser.enable_layerwise_casting(storage_dtype=torch.float8_e4m3fn, compute_dtype=dtype)
    target = torch.device(device)
    if profile is Profile.FULL:
        pipe.to(device)
    elif profile is Profile.MODEL_OFFLOAD:
        pipe.enable_model_cpu_offload(device=target)
    elif profile is Profile.GROUP_OFFLOAD:
        pipe.enable_group_offload(
            onload_device=target,
            offload_type="block_level",
            num_blocks_per_group=1,
            use_stream=target.type == "cuda",
        )
    else:
        pipe.enable_sequential_cpu_offload(device=target)
    tiling = options.vae_tiling if options.vae_tiling is not None else profile is not Profile.FULL
    vae = getattr(pipe, "vae", None)
    if tiling and vae is not None and hasattr(vae, "enable_tiling"):
        try:
            vae.enable_tiling()
        except NotImplementedError:
            log.info("%s cannot decode in tiles; decoding whole frames", type(vae).__name__)
