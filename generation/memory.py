"""Memory profiles, planned from the model's real sizes: how much of a pipeline lives on the GPU.

From most to least VRAM: the whole pipeline on the device; model CPU offload (one component on the GPU at a
time); group offload (each component streamed block by block); sequential offload (layer by layer, for the
smallest cards). VAE tiling bounds decoding memory; fp8 layer-wise casting halves the denoiser's weights.

The planner estimates each profile's peak as the weights it keeps on the device (bytes per component at the
run's dtype) plus the working memory of the clip: the denoiser's activations for the clip's token count and
the VAE's decoding buffers. It then picks the fastest profile whose peak fits, and says why.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from generation.architecture import Architecture, Geometry

if TYPE_CHECKING:
    import torch

log = logging.getLogger(__name__)

GIB = 1024**3
# The components that run at every denoising step, by the names diffusers pipelines give them.
DENOISERS = ("transformer", "transformer_2", "unet")


class Profile(enum.StrEnum):
    FULL = "full"
    MODEL_OFFLOAD = "model-offload"
    GROUP_OFFLOAD = "group-offload"
    SEQUENTIAL_OFFLOAD = "sequential-offload"


@dataclass(frozen=True)
class MemoryOptions:
    profile: str = "auto"  # "auto" or a Profile value
    vae_tiling: bool | None = None  # None: tile unless the whole decode fits with the chosen profile
    fp8: bool = False


@dataclass(frozen=True)
class Footprint:
    """What a pipeline needs on the device: weight bytes per component at the run dtype, and its geometry."""

    weights: dict[str, int]
    denoisers: tuple[str, ...]
    geometry: Geometry | None  # None: unknown model, a fixed working reserve stands in for activations
    vae: str = "vae"

    @property
    def total(self) -> int:
        return sum(self.weights.values())


@dataclass(frozen=True)
class Clip:
    width: int
    height: int
    frames: int
    guided: bool = True  # classifier-free guidance runs the denoiser on two inputs


@dataclass(frozen=True)
class Plan:
    profile: Profile
    vae_tiling: bool
    peak_bytes: int
    fits: bool
    reason: str


# Kernel workspaces (cuBLAS, cuDNN, attention) and the allocator's fragmentation, held back from the free
# memory the plan sees (which is after CUDA's own context).
RESERVE_BYTES = GIB // 2
# The estimates below are within 17% of the published peaks they were checked against, over and under: a
# plan must fit with this much to spare.
PLANNING_MARGIN = 1.15
# When nothing says how large a model's activations are (a directory or Hub id the bot has no
# architecture for), assume this much.
UNKNOWN_WORKING_BYTES = 6 * GIB
# A DiT block keeps its input, the normalised input, q, k, v, the attention output, residuals and the
# modulated copies alive (about 10 x hidden per token), and its feed-forward layer the expansion, its
# activation and their copies (4 x ffn). Calibrated on the Wan 2.1/2.2 and HunyuanVideo peaks their authors
# published (tests/unit/test_planner.py): within 17% of each, over more often than under.
ACTIVATION_WIDTHS = (10, 4)
# A VAE decoder's last stages hold about four bf16 maps of its last-stage width per output pixel;
# calibrated on the diffusers docs' CogVideoX-2B figures (19 GB to decode 49 frames at 720x480).
DECODE_MAPS = 4
# diffusers' video VAEs tile 512x512 pixels (or less) and 16 frames at a time when tiling is on.
TILE_PIXELS = 512 * 512
TILE_FRAMES = 16


def footprint_of(arch: Architecture, dtype_bytes: int = 2, fp8: bool = False) -> Footprint:
    """The footprint of a published checkpoint loaded at ``dtype_bytes`` per parameter."""
    weights = {}
    for spec in arch.models:
        per_param = 1 if fp8 and spec.name in arch.denoisers else dtype_bytes
        weights[spec.name] = (spec.params or 0) * per_param
    return Footprint(weights=weights, denoisers=arch.denoisers, geometry=arch.geometry)


def footprint_of_pipeline(pipe: Any, geometry: Geometry | None, fp8: bool = False) -> Footprint:
    """The footprint of a loaded pipeline, from the bytes its modules really hold (denoisers halved when
    fp8 storage will be turned on)."""
    import torch

    weights = {
        name: sum(t.numel() * t.element_size() for t in (*module.parameters(), *module.buffers()))
        for name, module in pipe.components.items()
        if isinstance(module, torch.nn.Module)
    }
    denoisers = tuple(n for n in DENOISERS if n in weights)
    if fp8:
        weights.update({n: weights[n] // 2 for n in denoisers})
    return Footprint(weights=weights, denoisers=denoisers, geometry=geometry)


def activation_bytes(geometry: Geometry, clip: Clip, dtype_bytes: int = 2) -> int:
    tokens = geometry.tokens(clip.width, clip.height, clip.frames)
    wide, ffn = ACTIVATION_WIDTHS
    batch = 2 if clip.guided else 1
    return batch * tokens * (wide * geometry.hidden + ffn * geometry.ffn) * dtype_bytes


def decode_bytes(geometry: Geometry, clip: Clip, tiled: bool) -> int:
    frames = geometry.decode_chunk_frames or clip.frames
    pixels = clip.width * clip.height
    if tiled:
        frames, pixels = min(frames, TILE_FRAMES), min(pixels, TILE_PIXELS)
    output = clip.frames * clip.width * clip.height * 3 * 4  # the decoded video, float32, on the device
    return frames * pixels * DECODE_MAPS * geometry.decoder_channels * 2 + output


def profile_peaks(footprint: Footprint, clip: Clip, tiled: bool) -> dict[Profile, int]:
    """The estimated peak of each profile for this clip."""
    weights = footprint.weights
    if footprint.geometry is None:
        denoise = decode = UNKNOWN_WORKING_BYTES
        blocks = 1
    else:
        denoise = activation_bytes(footprint.geometry, clip)
        decode = decode_bytes(footprint.geometry, clip, tiled)
        blocks = max(1, footprint.geometry.blocks)

    def working(name: str) -> int:
        if name in footprint.denoisers:
            return denoise
        return decode if name == footprint.vae else 0

    denoiser_bytes = max((weights[n] for n in footprint.denoisers if n in weights), default=0)
    one_block = denoiser_bytes // blocks
    return {
        Profile.FULL: footprint.total + max(denoise, decode),
        Profile.MODEL_OFFLOAD: max((size + working(name) for name, size in weights.items()), default=0),
        # Block-level streaming keeps a block in use, the next one arriving, and the unrepeated layers.
        Profile.GROUP_OFFLOAD: max(3 * one_block + denoise, weights.get(footprint.vae, 0) + decode),
        Profile.SEQUENTIAL_OFFLOAD: max(one_block + denoise, decode),
    }


def needed_bytes(peak: int) -> int:
    """What a plan with this estimated peak asks of the card: the peak with its margin, plus CUDA's share."""
    return int(peak * PLANNING_MARGIN) + RESERVE_BYTES


def plan(footprint: Footprint, clip: Clip, device_bytes: int, options: MemoryOptions | None = None) -> Plan:
    """The fastest profile whose estimated peak fits in ``device_bytes`` (what the card has free)."""
    options = options or MemoryOptions()
    whole = profile_peaks(footprint, clip, tiled=False)
    tiled = profile_peaks(footprint, clip, tiled=True)
    candidates = list(Profile) if options.profile == "auto" else [Profile(options.profile)]
    for profile in candidates:
        for tiling, peaks in ((False, whole), (True, tiled)):
            if options.vae_tiling is not None and options.vae_tiling != tiling:
                continue
            if needed_bytes(peaks[profile]) <= device_bytes:
                reason = _reason(profile, tiling, peaks[profile], device_bytes)
                return Plan(profile, tiling, peaks[profile], True, reason)
    last = candidates[-1]
    tiling = options.vae_tiling is not False
    peak = (tiled if tiling else whole)[last]
    reason = (
        f"even {last} needs about {needed_bytes(peak) / GIB:.1f} GiB with its margin, and "
        f"{device_bytes / GIB:.1f} GiB is free: make the clip shorter or smaller, or turn on fp8"
    )
    return Plan(last, tiling, peak, False, reason)


def _reason(profile: Profile, tiled: bool, peak: int, device_bytes: int) -> str:
    why = {
        Profile.FULL: "the whole pipeline fits",
        Profile.MODEL_OFFLOAD: "its largest component fits, not the whole pipeline",
        Profile.GROUP_OFFLOAD: "its largest component does not fit; it is streamed block by block",
        Profile.SEQUENTIAL_OFFLOAD: "only layer-by-layer offloading fits",
    }[profile]
    tiles = ", decoding in tiles" if tiled else ""
    return (
        f"{why}{tiles}: expected peak {peak / GIB:.1f} GiB, "
        f"{needed_bytes(peak) / GIB:.1f} GiB with its margin, of {device_bytes / GIB:.1f} GiB"
    )


def free_device_bytes(device: str) -> int | None:
    import torch

    if device.startswith("cuda") and torch.cuda.is_available():
        free, _total = torch.cuda.mem_get_info(torch.device(device))
        return int(free)
    return None  # a CPU's memory is the machine's: everything stays "on the device"


def gpu_memory() -> list[tuple[int, int, int]]:
    """Each CUDA device's (index, used bytes, total bytes) as the driver sees them (every process's use);
    empty without CUDA. Loads torch."""
    import torch

    if not torch.cuda.is_available():
        return []
    found = []
    for index in range(torch.cuda.device_count()):
        free, total = torch.cuda.mem_get_info(index)
        found.append((index, int(total - free), int(total)))
    return found


def resolve_plan(options: MemoryOptions, device: str, footprint: Footprint, clip: Clip) -> Plan:
    free = free_device_bytes(device)
    if free is None:
        profile = Profile.FULL if options.profile == "auto" else Profile(options.profile)
        # Nothing to plan against: an owner who offloads asked to save memory, so decoding tiles too.
        tiling = options.vae_tiling if options.vae_tiling is not None else profile is not Profile.FULL
        return Plan(profile, tiling, footprint.total, True, "not on a GPU: the machine's memory holds it all")
    return plan(footprint, clip, free, options)


def apply_memory_profile(
    pipe: Any, profile: Profile, device: str, dtype: torch.dtype, options: MemoryOptions, tiling: bool
) -> None:
    """Place ``pipe`` (loaded on the CPU) according to ``profile``."""
    import torch

    if options.fp8:
        for denoiser in denoisers(pipe):
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
    vae = getattr(pipe, "vae", None)
    if tiling and vae is not None and hasattr(vae, "enable_tiling"):
        try:
            vae.enable_tiling()
        except NotImplementedError:
            log.info("%s cannot decode in tiles; decoding whole frames", type(vae).__name__)


def denoisers(pipe: Any) -> Iterable[Any]:
    """The pipeline's denoisers (one, or Wan 2.2 A14B's two experts)."""
    for name in DENOISERS:
        module = getattr(pipe, name, None)
        if module is not None:
            yield module
