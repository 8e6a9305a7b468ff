"""Tiny random-weight pipelines built from config, with no Hub access.

They exercise the same ``from_pretrained`` path a real model takes, in well under a second on a CPU, for
tests, CI and trying the bot on a machine without a GPU. Their output is noise: that is expected. Each is
its family's real pipeline class assembled with small numbers (see ``generation.checkpoints``).
"""

from __future__ import annotations

import json
from pathlib import Path

import torch

from generation.assemble import add_random_lora, build_pipeline, save_lora
from generation.checkpoints import (
    cogvideox,
    hunyuan_video,
    kandinsky5,
    ltx2,
    ltx_video,
    stable_diffusion,
    wan,
)
from generation.checkpoints.shared import TinyModel
from generation.presets import SIDECAR_NAME

TINY_MODELS: dict[str, TinyModel] = {
    t.family: t
    for t in (
        wan.TINY_WAN,
        wan.TINY_WAN22,
        wan.TINY_WAN_I2V,
        wan.TINY_WAN22_A14B,
        wan.TINY_WAN22_A14B_I2V,
        ltx_video.TINY_LTX,
        ltx_video.TINY_LTX_I2V,
        ltx2.TINY_LTX2,
        cogvideox.TINY,
        hunyuan_video.TINY_HUNYUANVIDEO,
        hunyuan_video.TINY_HUNYUANVIDEO15,
        hunyuan_video.TINY_HUNYUANVIDEO15_I2V,
        kandinsky5.TINY_KANDINSKY5,
        stable_diffusion.TINY_MODELSCOPE,
        stable_diffusion.TINY_ANIMATEDIFF,
        stable_diffusion.TINY_SVD,
    )
}


def make_tiny(directory: str | Path, family: str, seed: int = 0) -> Path:
    """Write a tiny pipeline of ``family`` to ``directory`` and return it.

    Families whose presets load distillation LoRAs (Wan 2.2 A14B) also get random LoRA files of the same
    layers under ``directory/lora``, to be loaded as a second source, as the Hub's are.
    """
    if family not in TINY_MODELS:
        raise ValueError(f"unknown family {family!r}: choose from {', '.join(sorted(TINY_MODELS))}")
    tiny = TINY_MODELS[family]
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(seed)
    pipe = build_pipeline(tiny.arch, "cpu")
    pipe.save_pretrained(out)
    for lora in tiny.arch.loras:
        save_lora(pipe, add_random_lora(pipe, lora, seed), str(out), {lora.into[0]: lora.weight_name})
    (out / SIDECAR_NAME).write_text(json.dumps({"family": family, **tiny.defaults}, indent=2) + "\n")
    return out
