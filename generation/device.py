"""Choice of device and dtype: bf16 (or fp16) on CUDA, float32 on CPU."""

from __future__ import annotations

import shutil
import subprocess
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


@dataclass(frozen=True)
class GpuInfo:
    index: int
    name: str
    free: int  # bytes, as the driver sees them (other processes' use taken out)
    total: int


def gpu_report() -> tuple[list[GpuInfo], str | None]:
    """The CUDA devices this process sees, and the NVIDIA driver's version (from nvidia-smi, if there)."""
    gpus = []
    if torch.cuda.is_available():
        for index in range(torch.cuda.device_count()):
            free, total = torch.cuda.mem_get_info(index)
            gpus.append(GpuInfo(index, torch.cuda.get_device_name(index), int(free), int(total)))
    return gpus, _driver_version()


def _driver_version() -> str | None:
    smi = shutil.which("nvidia-smi")
    if smi is None:
        return None
    try:
        result = subprocess.run(
            [smi, "--query-gpu=driver_version", "--format=csv,noheader"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    lines = result.stdout.strip().splitlines()
    return lines[0].strip() if result.returncode == 0 and lines else None
