"""Choice of device and dtype: bf16 (or fp16) on CUDA, float32 on CPU."""

from __future__ import annotations

from dataclasses import dataclass

import torch


@dataclass(frozen=True)
class Placement:
    device: str
    dtype: torch.dtype


def choose_placement(device: str = "auto") -> Placement:
    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    if device.startswith("cuda"):
        if not torch.cuda.is_available():
            raise RuntimeError("generation.device asks for CUDA, but torch sees no CUDA device")
        dtype = torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
        return Placement(device=device, dtype=dtype)
    if device == "cpu":
        return Placement(device="cpu", dtype=torch.float32)
    raise ValueError(f"unknown device {device!r}: use auto, cpu, cuda or cuda:N")
