"""Speed knobs: attention backend, step caches and regional compilation of the denoiser(s).

The step caches are diffusers' own (0.42.1): first-block caching (skip the rest of a step whose first block
barely changed), TaylorSeer (predict blocks' outputs from a Taylor series between full steps) and MagCache
(skip blocks while the accumulated change in residual magnitude stays small). MagCache needs each model's
magnitude ratios: they are measured once by a calibration render and kept in a file.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from generation.memory import denoisers

log = logging.getLogger(__name__)

CACHES = ("off", "first-block", "taylorseer", "mag")


@dataclass(frozen=True)
class SpeedOptions:
    # A diffusers attention backend ("native", "flash", "sage", ...); None keeps the default.
    attention_backend: str | None = None
    cache: str = "off"  # one of CACHES
    # First-block cache: how little change lets a step be skipped. MagCache: the error it accumulates.
    cache_threshold: float = 0.05
    # torch.compile the denoiser's repeated blocks (one compile serves every block).
    compile: bool = False
    # Where MagCache's calibrations are kept, one JSON file per model and step count.
    calibration_dir: str | None = None


def check_speed_options(options: SpeedOptions) -> None:
    if options.attention_backend and options.attention_backend.endswith("_hub"):
        raise ValueError(f"attention backend {options.attention_backend!r} downloads kernels at run time")
    if options.cache not in CACHES:
        raise ValueError(f"unknown cache {options.cache!r}: use {', '.join(CACHES)}")


def apply_speed_options(
    pipe: Any, options: SpeedOptions, steps: int, mag_ratios: list[float] | None = None
) -> None:
    """Apply the options to every denoiser of ``pipe`` (MagCache with ``mag_ratios``, see ``calibrate``)."""
    check_speed_options(options)
    for denoiser in denoisers(pipe):
        name = type(denoiser).__name__
        if options.attention_backend:
            if hasattr(denoiser, "set_attention_backend"):
                denoiser.set_attention_backend(options.attention_backend)
            else:
                log.warning("%s cannot switch attention backends; keeping its default", name)
        config = cache_config(options, steps, mag_ratios)
        if config is not None:
            _enable_cache(denoiser, config, options.cache)
        if options.compile:
            if getattr(denoiser, "_repeated_blocks", None):
                denoiser.compile_repeated_blocks(fullgraph=True)
            else:
                denoiser.compile(fullgraph=False)


def _enable_cache(denoiser: Any, config: Any, cache: str) -> None:
    name = type(denoiser).__name__
    before = hook_count(denoiser)
    try:
        denoiser.enable_cache(config)
    except Exception as exc:  # a speed-up is optional: never fail loading the model over it
        # Each cache knows the block classes it can hook; a model it does not know runs uncached.
        log.warning("%s cannot use the %s cache (%s); running every block", name, cache, exc)
        return
    if hook_count(denoiser) == before:
        # Some caches find their blocks by module name (TaylorSeer: "^blocks.*attn", which Wan's "attn1" and
        # "attn2" do not match in full): enabled, they would hook nothing and skip nothing.
        log.warning("the %s cache finds none of %s's blocks; running every block", cache, name)
        denoiser.disable_cache()


def hook_count(module: Any) -> int:
    """How many diffusers hooks (step caches, group offloading) ``module`` and its submodules carry."""
    return sum(len(getattr(getattr(m, "_diffusers_hook", None), "hooks", ())) for m in module.modules())


def cache_config(options: SpeedOptions, steps: int, mag_ratios: list[float] | None = None) -> Any:
    if options.cache == "first-block":
        # Imported from the defining modules: diffusers' package root exports them lazily, and type
        # checkers see those exports as untyped.
        from diffusers.hooks.first_block_cache import FirstBlockCacheConfig

        return FirstBlockCacheConfig(threshold=options.cache_threshold)
    if options.cache == "taylorseer":
        from diffusers.hooks.taylorseer_cache import TaylorSeerCacheConfig

        # A full step every other step after the first three, first-order prediction: the defaults of the
        # TaylorSeer paper's diffusers integration, with the interval halved for few-step models.
        return TaylorSeerCacheConfig(cache_interval=2 if steps < 20 else 5, disable_cache_before_step=3)
    if options.cache == "mag":
        from diffusers.hooks.mag_cache import MagCacheConfig

        if mag_ratios is None:
            return MagCacheConfig(calibrate=True, num_inference_steps=steps)
        return MagCacheConfig(
            threshold=options.cache_threshold, num_inference_steps=steps, mag_ratios=mag_ratios
        )
    return None


def calibration_path(options: SpeedOptions, model: str, steps: int) -> Path | None:
    if options.calibration_dir is None:
        return None
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", model).strip("_")[:120] or "model"
    return Path(options.calibration_dir) / f"magcache-{safe}-{steps}.json"


def load_calibration(path: Path | None) -> list[float] | None:
    if path is None or not path.is_file():
        return None
    try:
        ratios = json.loads(path.read_text())["mag_ratios"]
    except (ValueError, KeyError, TypeError) as exc:
        log.warning("ignoring %s (%s); calibrating again", path, exc)
        return None
    return [float(r) for r in ratios]


def save_calibration(path: Path | None, ratios: list[float]) -> None:
    """Keep the ratios for the next start; a directory that cannot be written costs only that."""
    if path is None:
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({"mag_ratios": ratios}) + "\n")
    except OSError as exc:
        log.warning("cannot keep the MagCache calibration in %s (%s); it will be measured again", path, exc)


class MagCalibration(logging.Handler):
    """Collects the ratios MagCache logs at the end of a calibration render (its only way to report them)."""

    PATTERN = re.compile(r"MagCache Calibration Results: \[(.*)\]")

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.ratios: list[float] | None = None
        self._logger = logging.getLogger("diffusers.hooks.mag_cache")
        self._level = self._logger.level

    def __enter__(self) -> MagCalibration:
        self._logger.addHandler(self)
        self._logger.setLevel(logging.INFO)
        return self

    def __exit__(self, *exc: object) -> None:
        self._logger.removeHandler(self)
        self._logger.setLevel(self._level)

    def emit(self, record: logging.LogRecord) -> None:
        found = self.PATTERN.search(record.getMessage())
        if found:
            self.ratios = [float(x) for x in found.group(1).split(",") if x.strip()]


def disable_caches(pipe: Any) -> None:
    for denoiser in denoisers(pipe):
        if getattr(denoiser, "is_cache_enabled", False):
            denoiser.disable_cache()
