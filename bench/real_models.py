"""The published architectures with random weights, written as diffusers directories (GPU benchmarks).

Sizes from the models' published configs (see ../shared/notes/diffusers-offline.md). Random weights run
exactly as fast as trained ones; they say nothing about quality or about step-caching gains. Each
directory carries the preset's defaults, so the benchmark renders at the preset's real size.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path
from typing import Any

import torch

from generation.presets import PRESETS, SIDECAR_NAME
from generation.tiny import _tokenizer

XXL = {"d_model": 4096, "d_kv": 64, "d_ff": 10240, "num_layers": 24, "num_heads": 64,
       "feed_forward_proj": "gated-gelu", "relative_attention_num_buckets": 32}  # fmt: skip


@contextlib.contextmanager
def _building_on(device: str) -> Iterator[None]:
    """Build modules on ``device`` in bf16: a 5B-parameter text encoder takes too long to build on a CPU.
    ("meta" builds them without memory, to check the configurations.)"""
    previous = torch.get_default_dtype()
    torch.set_default_dtype(torch.bfloat16)
    try:
        with torch.device(device):
            yield
    finally:
        torch.set_default_dtype(previous)


def _wan(device: str) -> tuple[Any, str]:
    from diffusers import (
        AutoencoderKLWan,
        FlowMatchEulerDiscreteScheduler,
        WanPipeline,
        WanTransformer3DModel,
    )
    from transformers import UMT5Config, UMT5EncoderModel

    with _building_on(device):
        transformer = WanTransformer3DModel(
            patch_size=(1, 2, 2), num_attention_heads=12, attention_head_dim=128, in_channels=16,
            out_channels=16, text_dim=4096, freq_dim=256, ffn_dim=8960, num_layers=30, cross_attn_norm=True,
            qk_norm="rms_norm_across_heads", eps=1e-6, rope_max_seq_len=1024,
        )  # fmt: skip
        text_encoder = UMT5EncoderModel(UMT5Config(vocab_size=256384, **XXL)).eval()
        vae = AutoencoderKLWan()
    pipe = WanPipeline(
        tokenizer=_tokenizer(), text_encoder=text_encoder, vae=vae,
        scheduler=FlowMatchEulerDiscreteScheduler(shift=3.0), transformer=transformer,
    )  # fmt: skip
    return pipe, "wan2.1-t2v-1.3b"


def _ltx(device: str) -> tuple[Any, str]:
    from diffusers import (
        AutoencoderKLLTXVideo,
        FlowMatchEulerDiscreteScheduler,
        LTXPipeline,
        LTXVideoTransformer3DModel,
    )
    from transformers import T5Config, T5EncoderModel

    with _building_on(device):
        transformer = LTXVideoTransformer3DModel()
        text_encoder = T5EncoderModel(T5Config(vocab_size=32128, **XXL)).eval()
        vae = AutoencoderKLLTXVideo()
    pipe = LTXPipeline(
        scheduler=FlowMatchEulerDiscreteScheduler(), vae=vae, text_encoder=text_encoder,
        tokenizer=_tokenizer(), transformer=transformer,
    )  # fmt: skip
    return pipe, "ltx-video-distilled"


BUILDERS = {"wan": _wan, "ltx": _ltx}


def real_pipeline(family: str, device: str = "cuda") -> tuple[Any, str]:
    """The pipeline with the published sizes and random weights, and the preset it stands for."""
    if family not in BUILDERS:
        raise SystemExit(f"--real knows the architectures of: {', '.join(BUILDERS)}")
    return BUILDERS[family](device)


def build_real(family: str, directory: Path) -> Path:
    pipe, preset_name = real_pipeline(family)
    pipe.save_pretrained(directory)
    defaults = asdict(PRESETS[preset_name].defaults)
    defaults.pop("supports_negative")
    (directory / SIDECAR_NAME).write_text(json.dumps({"family": family, **defaults}))
    del pipe
    torch.cuda.empty_cache()
    return directory
