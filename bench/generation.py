"""Generation speed and memory for every preset, per memory profile and speed option.

For each preset: seconds per denoising step; seconds per clip split into denoise, VAE decode (with text
encoding and set-up) and ffmpeg encode; peak GPU memory next to the planner's estimate; and on a GPU the
fraction of the card's dense bf16 peak that the denoising loop reaches. Speed options (step caches,
compile) are reported with their speed-up over the same preset without them, measured in the same run; a
distilled preset is also run with its base model's recipe (steps and guidance), for the distillation's
speed-up.

On a GPU, ``--real`` builds each preset's published architecture with random weights at its default size
(nothing is downloaded; random weights are as fast as trained ones, but say nothing about quality or about
how much a step cache skips: measure caches with ``--downloaded``, which loads the real checkpoints). On a
CPU it runs each preset's family as a tiny pipeline, so the script itself stays tested.

    python -m bench.generation [--presets ...] [--profiles full model-offload] [--caches first-block mag]
                               [--compile] [--real | --downloaded]
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from PIL import Image

from generation.encode import encode_mp4
from generation.generator import RenderCancelledError, RenderRequest, VideoGenerator
from generation.memory import GIB, MemoryOptions
from generation.planning import plan_preset, preset_clip
from generation.presets import PRESETS, ModelPreset, resolve_model
from generation.speed import SpeedOptions
from generation.tiny import make_tiny

# Dense bf16 tensor-core peaks, FLOP/s, by device name fragment.
BF16_PEAK = {"H100": 989e12, "H200": 989e12, "A100": 312e12, "L40S": 362e12, "4090": 165e12}
# What a distilled preset's base model runs: (steps, guidance, guidance_2), from the same sources as the
# presets (Wan 2.2 A14B: 40 steps at 4.0/3.0; HunyuanVideo 1.5 I2V: 50 steps at CFG 6).
BASE_RECIPES = {
    "wan2.2-t2v-a14b-lightning": (40, 4.0, 3.0),
    "wan2.2-i2v-a14b-lightning": (40, 3.5, 3.5),
    "hunyuanvideo-1.5-480p-i2v-distilled": (50, 6.0, None),
}


@dataclass
class Row:
    preset: str
    variant: str  # profile, plus speed options or "base recipe"
    size: str
    steps: int
    step_s: float
    denoise_s: float
    decode_s: float
    encode_s: float
    clip_s: float
    peak_gib: float
    plan_gib: float
    peak_fraction: float | None
    speedup: float | None = None


def _peak_flops() -> float | None:
    if not torch.cuda.is_available():
        return None
    name = torch.cuda.get_device_name()
    return next((peak for key, peak in BF16_PEAK.items() if key in name), None)


def measure(generator: VideoGenerator, label: tuple[str, str], plan_gib: float, workdir: Path) -> Row:
    generator.load()
    preset = generator.preset
    d = preset.defaults
    image = Image.new("RGB", (d.width, d.height), (128, 90, 60)) if preset.family.needs_image else None
    request = RenderRequest(prompt="a cat eating spaghetti", seed=0, image=image)
    generator.render(request)  # warm-up: kernels, allocator, compilation, caches' first pass
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
    encode_mp4(clip.frames, clip.fps, workdir / f"{label[0]}.mp4", 50 * 1024 * 1024, audio=clip.audio)
    encode_s = time.perf_counter() - t
    peak = torch.cuda.max_memory_allocated() / GIB if torch.cuda.is_available() else 0.0
    peak_flops = _peak_flops()
    fraction = flops / step_s / peak_flops if flops and peak_flops else None
    return Row(
        label[0], label[1], f"{clip.width}x{clip.height}x{clip.num_frames}", len(stamps), step_s, denoise_s,
        decode_s, encode_s, denoise_s + decode_s + encode_s, peak, plan_gib, fraction,
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


def _variants(args: argparse.Namespace) -> Iterator[tuple[str, SpeedOptions]]:
    yield "", SpeedOptions()
    for cache in args.caches:
        yield f" +{cache}", SpeedOptions(cache=cache, calibration_dir=args.calibration_dir)
    if args.compile:
        yield " +compile", SpeedOptions(compile=True)


def _base_recipe(preset: ModelPreset) -> ModelPreset | None:
    recipe = BASE_RECIPES.get(preset.name)
    if recipe is None:
        return None
    steps, guidance, guidance_2 = recipe
    defaults = dataclasses.replace(preset.defaults, steps=steps, guidance=guidance, guidance_2=guidance_2)
    return dataclasses.replace(preset, defaults=defaults, loras=())


def _generators(
    name: str, profile: str, args: argparse.Namespace, workdir: Path
) -> Iterator[tuple[str, VideoGenerator, float]]:
    """(variant label, generator, planned peak GiB) for one preset and profile."""
    preset = PRESETS[name]
    memory = MemoryOptions(profile=profile)
    plan_gib = plan_preset(preset, 10_000, preset_clip(preset), memory).peak_bytes / GIB
    if args.real or args.downloaded:
        from bench.real_models import random_weights_loader

        extra: dict[str, Any] = {} if args.downloaded else {"loader": random_weights_loader()}
        for suffix, speed in _variants(args):
            yield (
                profile + suffix,
                VideoGenerator(preset, "cuda", memory=memory, speed=speed, **extra),
                plan_gib,
            )
        base = _base_recipe(preset)
        if base is not None:
            yield profile + " base recipe", VideoGenerator(base, "cuda", memory=memory, **extra), plan_gib
        return
    family = preset.family.name
    model = workdir / family
    if not model.exists():
        make_tiny(model, family)
    for suffix, speed in _variants(args):
        tiny = resolve_model(str(model))
        yield profile + suffix, VideoGenerator(tiny, "cpu", memory=memory, speed=speed), 0.0


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--presets", nargs="+", default=list(PRESETS), choices=list(PRESETS), metavar="PRESET"
    )
    parser.add_argument("--profiles", nargs="+", default=["full"])
    parser.add_argument("--caches", nargs="*", default=[], choices=["first-block", "taylorseer", "mag"])
    parser.add_argument("--compile", action="store_true", help="also run with regional torch.compile")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--real", action="store_true", help="published architectures, random weights (GPU)")
    mode.add_argument(
        "--downloaded", action="store_true", help="the real checkpoints, from the Hub cache (GPU)"
    )
    parser.add_argument("--calibration-dir", default=None, help="where MagCache keeps its calibrations")
    args = parser.parse_args()
    if (args.real or args.downloaded) and not torch.cuda.is_available():
        print("--real and --downloaded need a CUDA GPU", file=sys.stderr)
        return 2
    device = torch.cuda.get_device_name() if torch.cuda.is_available() else "CPU"
    what = (
        "real architectures, random weights"
        if args.real
        else "downloaded checkpoints"
        if args.downloaded
        else "tiny configurations"
    )
    print(f"device: {device}, torch {torch.__version__}, {what}")
    header = (
        "preset", "variant", "WxHxF", "steps", "s/step", "denoise s", "decode s", "encode s", "clip s",
        "peak GiB", "plan GiB", "bf16 peak", "speed-up",
    )  # fmt: skip
    print(" | ".join(header))
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        args.calibration_dir = args.calibration_dir or str(workdir / "calibration")
        for name in args.presets:
            for profile in args.profiles:
                reference: float | None = None
                for label, generator, plan_gib in _generators(name, profile, args, workdir):
                    row = measure(generator, (name, label), plan_gib, workdir)
                    # Speed-up over the preset's first row (its profile without speed options); a distilled
                    # preset's "base recipe" row shows below 1: the distillation's gain is its inverse.
                    if reference is None:
                        reference = row.clip_s
                    else:
                        row.speedup = reference / row.clip_s
                    print(_format(row), flush=True)
                    del generator
                    if torch.cuda.is_available():
                        torch.cuda.empty_cache()
    return 0


def _format(row: Row) -> str:
    fraction = f"{row.peak_fraction:.1%}" if row.peak_fraction is not None else "n/a"
    speedup = f"{row.speedup:.2f}x" if row.speedup is not None else ""
    cells = (
        row.preset, row.variant, row.size, str(row.steps), f"{row.step_s:.3f}", f"{row.denoise_s:.2f}",
        f"{row.decode_s:.2f}", f"{row.encode_s:.2f}", f"{row.clip_s:.2f}", f"{row.peak_gib:.1f}",
        f"{row.plan_gib:.1f}", fraction, speedup,
    )  # fmt: skip
    return " | ".join(cells)


if __name__ == "__main__":
    sys.exit(main())
