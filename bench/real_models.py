"""Every preset's published architecture with random weights, as a pipeline loader (GPU benchmarks).

Random weights run exactly as fast as trained ones and take as much memory; they say nothing about quality
or about the gains of step caches that skip work when outputs barely change. Nothing is downloaded: each
component is built from the configs in ``generation.checkpoints`` on the GPU (a 12B text encoder takes
minutes to initialise on a CPU), then moved to the CPU, where a loaded pipeline starts.
"""

from __future__ import annotations

from typing import Any

import torch

from generation.assemble import build_pipeline
from generation.loading import use_preset_scheduler
from generation.presets import ModelPreset


def random_weights_loader(build_device: str = "cuda") -> Any:
    """A ``VideoGenerator`` loader that builds the preset's architecture instead of downloading it."""

    def load(preset: ModelPreset, dtype: torch.dtype) -> Any:
        if preset.architecture is None:
            raise SystemExit(f"{preset.name} has no published architecture to build")
        pipe = build_pipeline(preset.architecture, build_device, dtype)
        use_preset_scheduler(pipe, preset)
        pipe.to("cpu")
        if torch.cuda.is_available():
            torch.cuda.empty_cache()
        return pipe

    return load
