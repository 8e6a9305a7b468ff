"""Load a diffusers video pipeline once per process and render clips with it."""

from __future__ import annotations

import contextlib
import inspect
import logging
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import torch
from PIL import Image

from generation.audio import AudioTrack, audio_from_output
from generation.device import Placement, choose_placement
from generation.explained import ExplainedError
from generation.images import fit_image
from generation.interpolate import interpolate
from generation.loading import load_pipeline
from generation.memory import (
    GIB,
    MemoryOptions,
    Plan,
    Profile,
    apply_memory_profile,
    denoisers,
    footprint_of_pipeline,
    resolve_plan,
)
from generation.planning import largest_clip
from generation.presets import (
    ModelPreset,
    ModelResolutionError,
    RenderOverrides,
    resolve_loaded,
    resolve_model,
)
from generation.speed import (
    MagCalibration,
    SpeedOptions,
    apply_speed_options,
    calibration_path,
    check_speed_options,
    disable_caches,
    load_calibration,
    save_calibration,
)

log = logging.getLogger(__name__)

ProgressCallback = Callable[[int, int], None]
# How a generator gets its pipeline, on the CPU: from its sources (production), or built from the published
# architecture with random weights (benchmarks on a GPU with nothing downloaded).
PipelineLoader = Callable[[ModelPreset, torch.dtype], Any]


class RenderCancelledError(Exception):
    """The caller asked to stop; raised after the denoising step in progress."""


class _StopRender(Exception):
    """Raised from a legacy step callback to leave the denoising loop."""


class RenderInputError(ExplainedError):
    """The request does not suit the model (an image for a text-only model, or none for an image model),
    or what it builds on is gone."""


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
    # Playback rate: above the model's own, frames are interpolated up to it (same span); None keeps it.
    fps: int | None = None
    # Keep the sound of models that make it (LTX-2); False renders the same clip, silent.
    sound: bool = True


@dataclass
class RenderedClip:
    frames: np.ndarray  # uint8, (frames, height, width, 3)
    fps: int
    model: str
    seed: int
    steps: int
    timings: dict[str, float] = field(default_factory=dict)
    audio: AudioTrack | None = None
    native_fps: int = 0  # the model's own rate, before interpolation (0: same as fps)

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
        loader: PipelineLoader = load_pipeline,
    ) -> None:
        self._overrides = overrides or RenderOverrides()
        self._memory = memory or MemoryOptions()
        self._speed = speed or SpeedOptions()
        check_speed_options(self._speed)
        self.memory_plan: Plan | None = None
        self.preset: ModelPreset = (
            model if isinstance(model, ModelPreset) else resolve_model(model, self._overrides)
        )
        self._device = device
        self._loader = loader
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
        """Whether renders may start from an image: the preset's answer, decided when the model was resolved
        (for a Hub id, once its pipeline class is known) and checked against the loaded pipeline's call."""
        return self.preset.takes_image

    def load(self) -> None:
        with self._lock:
            self._load_locked()

    def _load_locked(self) -> None:
        if self._pipe is not None:
            return
        placement = choose_placement(self._device)
        started = time.perf_counter()
        pipe = self._loader(self.preset, placement.dtype)
        self.preset = resolve_loaded(self.preset, type(pipe).__name__, self._overrides)
        preset = self.preset
        # Checked before planning and placing the model: a mismatch refuses it without the costly part.
        self._call_params = frozenset(inspect.signature(pipe.__call__).parameters)
        self._check_image_support(type(pipe).__name__)
        self._warn_ignored_arguments(type(pipe).__name__)
        if preset.family.guidance_via_guider and getattr(pipe, "guider", None) is not None:
            pipe.guider = pipe.guider.new(guidance_scale=preset.defaults.guidance)
        geometry = preset.architecture.geometry if preset.architecture is not None else None
        footprint = footprint_of_pipeline(pipe, geometry, fp8=self._memory.fp8)
        plan = resolve_plan(self._memory, placement.device, footprint, largest_clip(preset))
        if not plan.fits:
            log.warning("%s may not fit this GPU: %s", preset.name, plan.reason)
        apply_memory_profile(
            pipe, plan.profile, placement.device, placement.dtype, self._memory, plan.vae_tiling
        )
        self.memory_plan = plan
        pipe.set_progress_bar_config(disable=True)
        self._placement = placement
        self._pipe = pipe
        try:
            self._apply_speed_options()
        except BaseException:
            self._pipe = None
            raise
        log.info(
            "loaded %s (%s, %.1f GiB) on %s as %s in %.1fs; memory profile %s%s (%s)",
            preset.name,
            type(pipe).__name__,
            footprint.total / GIB,
            placement.device,
            placement.dtype,
            time.perf_counter() - started,
            plan.profile,
            ", VAE tiling" if plan.vae_tiling else "",
            plan.reason,
        )

    def _check_image_support(self, pipeline_class: str) -> None:
        """The loaded pipeline's call must agree with what resolution decided about images."""
        preset = self.preset
        takes = "image" in self._call_params
        if takes == preset.takes_image:
            return
        if preset.takes_image:
            raise ModelResolutionError(
                f"{preset.name} was resolved as starting clips from an image ({preset.family.name} family), "
                f"but it loads as {pipeline_class}, whose call takes no image"
            )
        log.warning(
            "%s loads as %s, whose call takes an image, but it was resolved as text-only (%s family): "
            "images are refused",
            preset.name,
            pipeline_class,
            preset.family.name,
        )

    def _warn_ignored_arguments(self, pipeline_class: str) -> None:
        """Name the family's and the preset's call arguments the pipeline does not take: they are dropped."""
        ignored = sorted(k for k in self._recipe_kwargs() if k not in self._call_params)
        if ignored:
            log.warning(
                "%s: %s takes no %s; ignoring %s",
                self.preset.name,
                pipeline_class,
                ", ".join(ignored),
                "it" if len(ignored) == 1 else "them",
            )

    def _apply_speed_options(self) -> None:
        speed, steps = self._speed, self._default_steps()
        ratios = None
        if speed.cache == "mag":
            path = calibration_path(speed, self.preset.name, steps)
            ratios = load_calibration(path)
            if ratios is None:
                ratios = self._calibrate_magcache(steps)
                if ratios is None:
                    speed = replace(speed, cache="off")
                else:
                    save_calibration(path, ratios)
                    log.info("calibrated MagCache for %s at %d steps: %s", self.preset.name, steps, ratios)
        apply_speed_options(self._pipe, speed, steps, ratios)

    def _calibrate_magcache(self, steps: int) -> list[float] | None:
        """Measure the model's magnitude ratios on one render at its default size, with nothing skipped.
        None (and a warning) when MagCache cannot serve this model: then nothing is rendered."""
        experts = list(denoisers(self._pipe))
        if len(experts) > 1:
            # Each expert runs only part of the steps, so MagCache never completes a calibration for either.
            log.warning(
                "%s has %d denoisers; MagCache needs one: running every block", self.preset.name, len(experts)
            )
            return None
        apply_speed_options(self._pipe, replace(self._speed, compile=False, attention_backend=None), steps)
        if not all(getattr(expert, "is_cache_enabled", False) for expert in experts):
            log.warning("%s cannot use MagCache: running every block", self.preset.name)
            return None
        try:
            with MagCalibration() as calibration:
                self._render_locked(self._default_request(), None, None)
        finally:
            disable_caches(self._pipe)
        if calibration.ratios is None or len(calibration.ratios) != steps:
            log.warning("%s gave no MagCache calibration: running every block", self.preset.name)
            return None
        return calibration.ratios

    def _default_steps(self) -> int:
        return self.preset.fixed_steps or self.preset.defaults.steps

    def _default_request(self, steps: int | None = None) -> RenderRequest:
        defaults = self.preset.defaults
        image = Image.new("RGB", (defaults.width, defaults.height), (127, 127, 127))
        return RenderRequest(
            prompt="a cat eating spaghetti",
            seed=0,
            steps=steps,
            image=image if self.preset.family.needs_image else None,
        )

    @property
    def memory_profile(self) -> Profile | None:
        return self.memory_plan.profile if self.memory_plan is not None else None

    def warm_up(self) -> float:
        """Render a two-step clip at the default size, so compilation and kernel selection happen before
        the first member's job. Returns the seconds it took."""
        started = time.perf_counter()
        self.render(self._default_request(steps=2))
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
        if preset.family.needs_image and request.image is None:
            raise RenderInputError("{model} makes video from an image: attach one", model=preset.name)
        if request.image is not None and not self.accepts_image:
            raise RenderInputError(
                "{model} makes video from text only: it cannot use an image", model=preset.name
            )
        # A distilled model's fixed schedule sets the number of steps; otherwise the request or the default.
        steps = preset.fixed_steps or request.steps or preset.defaults.steps
        progress = _Progress(steps, on_step, should_cancel)
        kwargs = self._call_kwargs(request, steps, progress)
        started = time.perf_counter()
        output = self._call_pipeline(kwargs, progress)
        elapsed = time.perf_counter() - started
        if progress.cancelled_at:
            raise RenderCancelledError(
                f"cancelled after step {progress.cancelled_at} of {steps} ({elapsed:.1f}s)"
            )
        return self._clip_of(output, request, steps, elapsed, should_cancel)

    def _recipe_kwargs(self) -> dict[str, Any]:
        """The call arguments the family and the preset's recipe add: the same for every render."""
        preset = self.preset
        recipe: dict[str, Any] = {**preset.family.call_kwargs, **dict(preset.call_kwargs)}
        if preset.defaults.guidance_2 is not None:
            recipe["guidance_scale_2"] = preset.defaults.guidance_2
        return recipe

    def _call_kwargs(self, request: RenderRequest, steps: int, progress: _Progress) -> dict[str, Any]:
        """The pipeline call for ``request``: sizes fitted to the family, then only what the call takes."""
        family, defaults = self.preset.family, self.preset.defaults
        width = family.fit_side(request.width or defaults.width)
        height = family.fit_side(request.height or defaults.height)
        kwargs: dict[str, Any] = {
            "height": height,
            "width": width,
            "num_frames": family.fit_frames(request.num_frames or defaults.num_frames),
            "num_inference_steps": steps,
            family.guidance_param: defaults.guidance,
            "generator": torch.Generator(device="cpu").manual_seed(request.seed),
            "output_type": "np",
            "callback_on_step_end": progress.step_end,
            "callback": progress.legacy_step,
            "callback_steps": 1,
            family.fps_param: defaults.fps,
            **self._recipe_kwargs(),
        }
        if family.takes_prompt:
            kwargs["prompt"] = request.prompt
        if request.image is not None:
            kwargs["image"] = fit_image(request.image, width, height)
        if request.negative_prompt and defaults.supports_negative:
            kwargs["negative_prompt"] = request.negative_prompt
        # What the call does not take is left out (the recipe's arguments among them were named at load).
        kwargs = {k: v for k, v in kwargs.items() if k in self._call_params}
        if "callback_on_step_end" in kwargs:
            kwargs.pop("callback", None)
            kwargs.pop("callback_steps", None)
        return kwargs

    def _call_pipeline(self, kwargs: dict[str, Any], progress: _Progress) -> Any:
        """The pipeline's output, or None when the render was stopped by raising out of its loop."""
        # Pipelines with no step callback at all (HunyuanVideo 1.5) report through their scheduler's step.
        hook = None if {"callback_on_step_end", "callback"} & self._call_params else progress.after_step
        try:
            with torch.inference_mode(), _scheduler_steps_reported(self._pipe.scheduler, hook):
                return self._pipe(**kwargs)
        except BaseException as exc:
            # Leaving the call early skips the pipeline's own tidying: step caches keep this clip's state
            # (the next clip would differ) and offloaded components stay on the GPU. Do it here.
            self._tidy_after_interrupted_call()
            if not isinstance(exc, _StopRender):
                raise
            return None

    def _clip_of(
        self,
        output: Any,
        request: RenderRequest,
        steps: int,
        elapsed: float,
        should_cancel: Callable[[], bool] | None,
    ) -> RenderedClip:
        """The pipeline's output as a clip: uint8 frames, its sound if asked, interpolated up to ``fps``."""
        defaults = self.preset.defaults
        frames = np.asarray(output.frames[0])
        frames = (np.clip(frames, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)
        timings = {"generate_s": elapsed}
        audio = None
        if request.sound:
            audio = audio_from_output(getattr(output, "audio", None), self._audio_sample_rate())
        fps = defaults.fps
        if request.fps is not None and request.fps > fps:
            if should_cancel is not None and should_cancel():
                raise RenderCancelledError("cancelled before interpolating the frames")
            started = time.perf_counter()
            frames = interpolate(frames, fps, request.fps)
            fps = request.fps
            timings["interpolate_s"] = time.perf_counter() - started
        return RenderedClip(
            frames=frames,
            fps=fps,
            model=self.preset.name,
            seed=request.seed,
            steps=steps,
            timings=timings,
            audio=audio,
            native_fps=defaults.fps,
        )

    def _tidy_after_interrupted_call(self) -> None:
        with contextlib.suppress(Exception):
            self._pipe.maybe_free_model_hooks()  # resets stateful step caches and offload hooks
        for denoiser in denoisers(self._pipe):
            with contextlib.suppress(Exception):
                denoiser._reset_stateful_cache()

    def _audio_sample_rate(self) -> int:
        """The rate of the waveform the pipeline returns: its vocoder's output rate (LTX-2: 24 kHz)."""
        vocoder = getattr(self._pipe, "vocoder", None)
        config = getattr(vocoder, "config", None)
        rate = getattr(config, "output_sampling_rate", None) or getattr(config, "sampling_rate", None)
        return int(rate or getattr(self._pipe, "audio_sampling_rate", 0) or 0)


class _Progress:
    """Reports each finished denoising step and stops the render when the caller cancels, through whichever
    hook the pipeline offers: a step-end callback, a legacy callback, or its scheduler's step."""

    def __init__(
        self, steps: int, on_step: ProgressCallback | None, should_cancel: Callable[[], bool] | None
    ) -> None:
        self.steps = steps
        self.on_step = on_step
        self.should_cancel = should_cancel
        self.cancelled_at = 0  # the step after which the caller cancelled (0: not cancelled)

    def after_step(self, step: int) -> bool:
        """Report progress; True when the render should stop."""
        if self.on_step is not None:
            self.on_step(step + 1, self.steps)
        if self.should_cancel is not None and self.should_cancel():
            self.cancelled_at = step + 1
            return True
        return False

    def step_end(self, pipe: Any, step: int, timestep: Any, kwargs: dict[str, Any]) -> dict[str, Any]:
        if self.after_step(step):
            if not hasattr(type(pipe), "interrupt"):
                raise _StopRender  # e.g. Stable Video Diffusion never checks the flag
            pipe._interrupt = True  # the loop ends after this step, and the pipeline tidies up
        return kwargs

    def legacy_step(self, step: int, timestep: Any, latents: Any) -> None:
        # Older pipelines (ModelScope) have no interrupt flag: leave the loop by raising.
        if self.after_step(step):
            raise _StopRender


@contextlib.contextmanager
def _scheduler_steps_reported(scheduler: Any, after_step: Callable[[int], bool] | None) -> Iterator[None]:
    """Call ``after_step`` after each of the scheduler's steps (stopping the render when it says so)."""
    if after_step is None:
        yield
        return
    shadowed = "step" in vars(scheduler)  # an instance attribute of its own, to be put back
    previous = vars(scheduler).get("step")
    original = scheduler.step
    count = 0

    def step(*args: Any, **kwargs: Any) -> Any:
        nonlocal count
        result = original(*args, **kwargs)
        count += 1
        if after_step(count - 1):
            raise _StopRender
        return result

    scheduler.step = step
    try:
        yield
    finally:
        if shadowed:
            scheduler.step = previous
        else:
            del scheduler.step  # the class's own method again
