"""Load a preset's pipeline from its sources: the checkpoint, any component or LoRA from a second source, and
the scheduler and guidance its recipe asks for. Everything goes through diffusers' ``from_pretrained``."""

from __future__ import annotations

import logging
from typing import Any

import torch

from generation.architecture import LoraSpec
from generation.presets import ModelPreset

log = logging.getLogger(__name__)


def load_pipeline(preset: ModelPreset, dtype: torch.dtype) -> Any:
    """The preset's pipeline on the CPU at ``dtype``, LoRAs fused, ready to be placed on a device."""
    import diffusers

    extra = {
        c.name: getattr(diffusers, c.class_name).from_pretrained(c.source, dtype=dtype)
        for c in preset.components
    }
    options: dict[str, Any] = {"dtype": dtype, **extra}
    if preset.variant:
        options["variant"] = preset.variant
    pipeline_class = getattr(diffusers, preset.pipeline_class or "DiffusionPipeline")
    pipe = pipeline_class.from_pretrained(preset.source, **options)
    use_preset_scheduler(pipe, preset)
    if preset.loras:
        fuse_loras(pipe, preset.loras)
    return pipe


def use_preset_scheduler(pipe: Any, preset: ModelPreset) -> None:
    """Replace the pipeline's scheduler with the one the preset's recipe names, from the same config."""
    if preset.scheduler is None:
        return
    import diffusers

    scheduler_class, overrides = preset.scheduler
    pipe.scheduler = getattr(diffusers, scheduler_class).from_config(pipe.scheduler.config, **dict(overrides))


def fuse_loras(pipe: Any, loras: tuple[LoraSpec, ...]) -> None:
    """Load each LoRA into its denoiser, fuse it into the weights and drop the adapter layers, so that the
    denoising loop runs as fast as the plain model (and fp8 casting and offloading see ordinary weights)."""
    for lora in loras:
        for denoiser in lora.into:
            second = {"load_into_transformer_2": True} if denoiser == "transformer_2" else {}
            pipe.load_lora_weights(
                lora.source, weight_name=lora.weight_name, adapter_name=lora.adapter_name, **second
            )
            pipe.fuse_lora(components=[denoiser], adapter_names=[lora.adapter_name], lora_scale=1.0)
            log.info("fused LoRA %s/%s into %s", lora.source, lora.weight_name, denoiser)
    pipe.unload_lora_weights()
