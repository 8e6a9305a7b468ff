"""Generation speed per model family and memory profile.

For each family: seconds per denoising step, and seconds per clip split into denoise, VAE decode (with
text encoding and set-up) and ffmpeg encode; peak memory; and on a GPU the fraction of the card's bf16
peak that the denoising loop reaches. On a GPU (``--real``) it builds the real architectures of
LTX-Video 2B and Wan 2.1 1.3B with random weights at their preset's default size (nothing is downloaded:
random weights are as fast as trained ones); on a CPU it runs the tiny configurations, so the script
itself stays tested.

    python -m bench.generation [--families wan ltx ...] [--profiles full model-offload] [--real]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from PIL import Image

from generation import RenderCancelledError, RenderRequest, VideoGenerator, encode_mp4
from generation.families import FAMILIES
from generation.memory import MemoryOptions
from generation.tiny import make_tiny

# Dense bf16 tensor-core peaks, FLOP/s, by device name fragment.
BF16_PEAK = {"H100": 989e12, "H200": 989e12, "A100": 312e12, "L40S": 362e12, "4090": 165e12}


@dataclass
class Row:
    family: str
    profile: str
    size: str
    steps: int
    step_s: float
    denoise_s: float
    decode_s: float
    encode_s: float
    peak_gib: float
    peak_fraction: float | None


def _peak_flops() -> float | None:
    if not torch.cuda.is_available():
        return None
    name = torch.cuda.get_device_name()
    return next((peak for key, peak in BF16_PEAK.items() if key in name), None)


def measure(generator: VideoGenerator, family: str, profile: str, workdir: Path) -> Row:
    generator.load()
    defaults = generator.preset.defaults
    image = Image.new("RGB", (defaults.width, defaults.height), (128, 90, 60))
    request = RenderRequest(
        prompt="a cat eating spaghetti", seed=0, image=image if generator.preset.family.needs_image else None
    )
    generator.render(request)  # warm-up: kernels, allocator, caches
    if torch.cuda.is_available():
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
    stamps: list[float] = []

    def on_step(step: int, total: int) -> None:
        if torch.cuda.is_available():
            torch.cuda.synchronize()
        stamps.append(time.perf_counter())

    flops = _denoiser_flops(generator, request) if torch.cuda.is_available() else None
    started = time.perf_counter()
    clip = generator.render(request, on_step=on_step)
    finished = time.perf_counter()
    step_s = statistics.median(np.diff(stamps)) if len(stamps) > 1 else stamps[0] - started
    denoise_s = stamps[-1] - stamps[0] + step_s
    decode_s = (finished - started) - denoise_s  # text encoding, set-up and VAE decode
    t = time.perf_counter()
    encode_mp4(clip.frames, clip.fps, workdir / f"{family}-{profile}.mp4", 50 * 1024 * 1024)
    encode_s = time.perf_counter() - t
    peak = torch.cuda.max_memory_allocated() / 1024**3 if torch.cuda.is_available() else 0.0
    peak_flops = _peak_flops()
    fraction = flops / step_s / peak_flops if flops and peak_flops else None
    return Row(
        family, profile, f"{clip.width}x{clip.height}x{clip.num_frames}", len(stamps),
        step_s, denoise_s, decode_s, encode_s, peak, fraction,
    )  # fmt: skip


def _denoiser_flops(generator: VideoGenerator, request: RenderRequest) -> float | None:
    """FLOPs of one denoising step (every denoiser call in it, guidance included), counted by torch."""
    from torch.utils.flop_counter import FlopCounterMode

    pipe: Any = generator._pipe
    denoiser = getattr(pipe, "transformer", None) or getattr(pipe, "unet", None)
    if denoiser is None:
        return None
    counter = FlopCounterMode(display=False)
    calls = 0
    original = denoiser.forward

    def counted(*args: Any, **kwargs: Any) -> Any:
        nonlocal calls
        calls += 1
        with counter:
            return original(*args, **kwargs)

    denoiser.forward = counted
    try:
        generator.render(request, should_cancel=lambda: True)  # stops after the first step
    except RenderCancelledError:
        pass
    finally:
        denoiser.forward = original
    return float(counter.get_total_flops()) if calls else None


def real_generator(family: str, profile: str) -> VideoGenerator:
    """The published architecture with random weights, saved and loaded like a downloaded model."""
    from bench.real_models import build_real

    directory = Path(tempfile.mkdtemp(prefix=f"real-{family}-"))
    build_real(family, directory)
    return VideoGenerator(str(directory), device="cuda", memory=MemoryOptions(profile=profile))


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--families", nargs="+", default=sorted(FAMILIES))
    parser.add_argument("--profiles", nargs="+", default=["full"])
    parser.add_argument("--real", action="store_true", help="real architectures at default size (GPU)")
    args = parser.parse_args()
    if args.real and not torch.cuda.is_available():
        print("--real needs a CUDA GPU", file=sys.stderr)
        return 2
    device = torch.cuda.get_device_name() if torch.cuda.is_available() else "CPU (tiny configurations)"
    print(f"device: {device}, torch {torch.__version__}")
    header = (
        "family",
        "profile",
        "WxHxF",
        "steps",
        "s/step",
        "denoise s",
        "decode s",
        "encode s",
        "peak GiB",
        "of bf16 peak",
    )
    print(" ".join(f"{h:>13}" for h in header))
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        for family in args.families:
            for profile in args.profiles:
                if args.real:
                    generator = real_generator(family, profile)
                else:
                    model = (
                        make_tiny(workdir / family, family)
                        if not (workdir / family).exists()
                        else workdir / family
                    )
                    generator = VideoGenerator(
                        str(model), device="auto", memory=MemoryOptions(profile=profile)
                    )
                row = measure(generator, family, profile, workdir)
                fraction = f"{row.peak_fraction:.1%}" if row.peak_fraction is not None else "n/a"
                cells = (
                    row.family, row.profile, row.size, str(row.steps), f"{row.step_s:.3f}",
                    f"{row.denoise_s:.2f}", f"{row.decode_s:.2f}", f"{row.encode_s:.2f}",
                    f"{row.peak_gib:.1f}", fraction,
                )  # fmt: skip
                print(" ".join(f"{c:>13}" for c in cells))
                del generator
                if torch.cuda.is_available():
                    torch.cuda.empty_cache()
    return 0


if __name__ == "__main__":
    sys.exit(main())
