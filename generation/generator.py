"""Load a diffusers video pipeline once per process and render clips with it."""

from __future__ import annotations

import inspect
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from PIL import Image

from generation.device import Placement, choose_placement
from generation.images import fit_image
from generation.memory import GIB, MemoryOptions, Profile, apply_memory_profile, model_size, resolve_profile
from generation.presets import ModelPreset, RenderOverrides, resolve_loaded, resolve_model
from generation.speed import SpeedOptions, apply_speed_options, check_speed_options

log = logging.getLogger(__name__)

ProgressCallback = Callable[[int, int], None]


class RenderCancelledError(Exception):
    """The caller asked to stop; raised after the denoising step in progress."""


class _StopRender(Exception):
    """Raised from a legacy step callback to leave the denoising loop."""


class RenderInputError(ValueError):
    """The request does not suit the model (an image for a text-only model, or none for an image model)."""


@dataclass(frozen=True)
class RenderRequest:
    prompt: str
    seed: int
    negative_prompt: str | None = None
    width: int | None = None
    height: int | None = None
    num_frames: int | None = None
    image: Image.Image | None = None  # the first frame, for image-to-video
    steps: int | None = None  # None: the model's own


@dataclass
class RenderedClip:
    frames: np.ndarray  # uint8, (frames, height, width, 3)
    fps: int
    model: str
    seed: int
    steps: int
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def num_frames(self) -> int:
        return int(self.frames.shape[0])

    @property
    def width(self) -> int:
        return int(self.frames.shape[2])

    @property
    def height(self) -> int:
        return int(self.frames.shape[1])


class VideoGenerator:
    """One model, loaded on first use and reused for every render in this process.

    ``render`` is blocking (call it from a worker thread); concurrent calls are serialised, since one
    pipeline on one device runs one clip at a time.
    """

    def __init__(
        self,
        model: str | ModelPreset,
        device: str = "auto",
        overrides: RenderOverrides | None = None,
        memory: MemoryOptions | None = None,
        speed: SpeedOptions | None = None,
    ) -> None:
        self._overrides = overrides or RenderOverrides()
        self._memory = memory or MemoryOptions()
        self._speed = speed or SpeedOptions()
        check_speed_options(self._speed)
        self.memory_profile: Profile | None = None
        self.preset: ModelPreset = (
            model if isinstance(model, ModelPreset) else resolve_model(model, self._overrides)
        )
        self._device = device
        self._placement: Placement | None = None
        self._pipe: Any = None
        self._call_params: frozenset[str] = frozenset()
        self._lock = threading.Lock()

    @property
    def model_name(self) -> str:
        return self.preset.name

    @property
    def loaded(self) -> bool:
        return self._pipe is not None

    @property
    def accepts_image(self) -> bool:
        """Whether renders may start from an image (known once loaded; image families always)."""
        return self.preset.family.needs_image or "image" in self._call_params

    def load(self) -> None:
        with self._lock:
            self._load_locked()

    def _load_locked(self) -> None:
        if self._pipe is not None:
            return
        import diffusers

        placement = choose_placement(self._device)
        started = time.perf_counter()
        preset = self.preset
        extra = {
            c.name: getattr(diffusers, c.class_name).from_pretrained(c.source, dtype=placement.dtype)
            for c in preset.components
        }
        pipeline_class = getattr(diffusers, preset.pipeline_class or "DiffusionPipeline")
        pipe = pipeline_class.from_pretrained(preset.source, dtype=placement.dtype, **extra)
        if preset.scheduler is not None:
            scheduler_class, overrides = preset.scheduler
            pipe.scheduler = getattr(diffusers, scheduler_class).from_config(
                pipe.scheduler.config, **dict(overrides)
            )
        size = model_size(pipe)
        profile = resolve_profile(self._memory, placement.device, size)
        apply_memory_profile(pipe, profile, placement.device, placement.dtype, self._memory)
        apply_speed_options(pipe, self._speed)
        self.memory_profile = profile
        pipe.set_progress_bar_config(disable=True)
        self.preset = resolve_loaded(self.preset, type(pipe).__name__, self._overrides)
        self._call_params = frozenset(inspect.signature(pipe.__call__).parameters)
        self._placement = placement
        self._pipe = pipe
        log.info(
            "loaded %s (%s, %.1f GiB) on %s as %s, memory profile %s, in %.1fs",
            self.preset.name,
            type(pipe).__name__,
            size.total_bytes / GIB,
            placement.device,
            placement.dtype,
            profile,
            time.perf_counter() - started,
        )

    def warm_up(self) -> float:
        """Render a two-step clip at the default size, so compilation and kernel selection happen before
        the first member's job. Returns the seconds it took."""
        started = time.perf_counter()
        defaults = self.preset.defaults
        image = Image.new("RGB", (defaults.width, defaults.height), (127, 127, 127))
        self.render(
            RenderRequest(
                prompt="warm-up", seed=0, steps=2, image=image if self.preset.family.needs_image else None
            )
        )
        return time.perf_counter() - started

    def render(
        self,
        request: RenderRequest,
        on_step: ProgressCallback | None = None,
        should_cancel: Callable[[], bool] | None = None,
    ) -> RenderedClip:
        with self._lock:
            self._load_locked()
            return self._render_locked(request, on_step, should_cancel)

    def _render_locked(
        self,
        request: RenderRequest,
        on_step: ProgressCallback | None,
        should_cancel: Callable[[], bool] | None,
    ) -> RenderedClip:
        preset = self.preset
        family, defaults = preset.family, preset.defaults
        width = family.fit_side(request.width or defaults.width)
        height = family.fit_side(request.height or defaults.height)
        num_frames = family.fit_frames(request.num_frames or defaults.num_frames)
        steps = request.steps or defaults.steps
        cancelled_at = 0

        def after_step(step: int) -> bool:
            """Report progress; True when the render should stop."""
            nonlocal cancelled_at
            if on_step is not None:
                on_step(step + 1, steps)
            if should_cancel is not None and should_cancel():
                cancelled_at = step + 1
                return True
            return False

        def step_end(pipe: Any, step: int, timestep: Any, kwargs: dict[str, Any]) -> dict[str, Any]:
            if after_step(step):
                if not hasattr(type(pipe), "interrupt"):
                    raise _StopRender  # e.g. Stable Video Diffusion never checks the flag
                pipe._interrupt = True  # the loop ends after this step, and the pipeline tidies up
            return kwargs

        def legacy_step(step: int, timestep: Any, latents: Any) -> None:
            # Older pipelines (ModelScope) have no interrupt flag: leave the loop by raising.
            if after_step(step):
                raise _StopRender

        if family.needs_image and request.image is None:
            raise RenderInputError(f"{preset.name} makes video from an image: attach one")
        if request.image is not None and not self.accepts_image:
            raise RenderInputError(f"{preset.name} makes video from text only: it cannot use an image")
        kwargs: dict[str, Any] = {
            "height": height,
            "width": width,
            "num_frames": num_frames,
            "num_inference_steps": steps,
            family.guidance_param: defaults.guidance,
            "generator": torch.Generator(device="cpu").manual_seed(request.seed),
            "output_type": "np",
            "callback_on_step_end": step_end,
            "callback": legacy_step,
            "callback_steps": 1,
            family.fps_param: defaults.fps,
            **family.call_kwargs,
        }
        if family.takes_prompt:
            kwargs["prompt"] = request.prompt
        if request.image is not None:
            kwargs["image"] = fit_image(request.image, width, height)
        if request.negative_prompt and defaults.supports_negative:
            kwargs["negative_prompt"] = request.negative_prompt
        kwargs = {k: v for k, v in kwargs.items() if k in self._call_params}
        if "callback_on_step_end" in kwargs:
            kwargs.pop("callback", None)
            kwargs.pop("callback_steps", None)

        started = time.perf_counter()
        try:
            with torch.inference_mode():
                output = self._pipe(**kwargs)
        except _StopRender:
            output = None
        elapsed = time.perf_counter() - started
        if cancelled_at:
            raise RenderCancelledError(f"cancelled after step {cancelled_at} of {steps} ({elapsed:.1f}s)")
        frames = np.asarray(output.frames[0])
        frames = (np.clip(frames, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)
        return RenderedClip(
            frames=frames,
            fps=defaults.fps,
            model=preset.name,
            seed=request.seed,
            steps=steps,
            timings={"generate_s": elapsed},
        )
