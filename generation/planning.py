"""Memory plans for presets: which profile a card of a given size would use for a clip, and why."""

from __future__ import annotations

from generation.families import Family, RenderDefaults
from generation.memory import GIB, Clip, MemoryOptions, Plan, footprint_of, plan
from generation.presets import ModelPreset

# The cards owners have: 8 to 16 GB consumer cards, 24 GB (RTX 3090/4090), 48 GB (A6000, L40S), 80 GB (A100,
# H100). A card sold as N GB has N GiB of memory (an RTX 4090 shows 24564 MiB in nvidia-smi), less what the
# driver keeps; once CUDA has started its context about 0.5 GiB more is gone. The bot plans on what is
# free then (torch.cuda.mem_get_info); these plans assume the same.
CARD_SIZES_GIB = (8, 12, 16, 24, 48, 80)
DRIVER_RESERVED_BYTES = 64 * 1024**2
CUDA_CONTEXT_BYTES = GIB // 2


def free_on_card(card_gib: float) -> int:
    """What the bot sees free on a card sold as ``card_gib`` GB, once CUDA has started."""
    return int(card_gib * GIB) - DRIVER_RESERVED_BYTES - CUDA_CONTEXT_BYTES


def is_guided(family: Family, defaults: RenderDefaults) -> bool:
    """Whether each step runs the denoiser twice (classifier-free guidance)."""
    return defaults.guidance > 1.0 and not family.embedded_guidance


def preset_clip(
    preset: ModelPreset, width: int | None = None, height: int | None = None, frames: int | None = None
) -> Clip:
    family, defaults = preset.family, preset.defaults
    return Clip(
        width=family.fit_side(width or defaults.width),
        height=family.fit_side(height or defaults.height),
        frames=min(family.fit_frames(frames or defaults.num_frames), family.longest_frames),
        guided=is_guided(family, defaults),
    )


# Members ask for clips of up to this many seconds (capped by each model's longest); memory is planned for
# the longest, so that no request can run out of it.
MAX_PLANNED_SECONDS = 20.0


def largest_clip(preset: ModelPreset) -> Clip:
    """The largest clip members can ask of this model: its longest, at its default area."""
    family, defaults = preset.family, preset.defaults
    frames = max(family.fit_frames(defaults.num_frames), family.frames_for(MAX_PLANNED_SECONDS, defaults.fps))
    return preset_clip(preset, frames=frames)


def plan_preset(
    preset: ModelPreset, vram_gib: float, clip: Clip | None = None, options: MemoryOptions | None = None
) -> Plan:
    if preset.architecture is None:
        raise ValueError(f"{preset.name} has no published architecture to plan from")
    options = options or MemoryOptions()
    footprint = footprint_of(preset.architecture, fp8=options.fp8)
    return plan(footprint, clip or largest_clip(preset), free_on_card(vram_gib), options)
