"""How long renders take on this deployment, and when a queued job should start and be ready.

Pure arithmetic: no SQL, no Discord, no torch. The store keeps one running estimate per model and clip
size (width, height, frames), updated after each render by :func:`updated`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

# Each render moves the estimate this far towards what it measured...
WEIGHT = 0.3
# ...and a measurement counts as at most this many times the estimate, or at least its inverse: a first
# render that compiled kernels, or one that shared the GPU, cannot swing the estimate by much.
CLAMP = 3.0


@dataclass(frozen=True)
class ClipSize:
    width: int
    height: int
    frames: int

    @property
    def work(self) -> int:
        """Pixels to make, the measure render time is scaled by between sizes."""
        return self.width * self.height * self.frames


@dataclass(frozen=True)
class Timing:
    """The running estimate of one model's render seconds at one clip size."""

    size: ClipSize
    seconds: float
    samples: int


@dataclass(frozen=True)
class Running:
    """A job of the model being rendered now: its size and when it started."""

    size: ClipSize
    started_at: datetime


@dataclass(frozen=True)
class Eta:
    start: datetime
    ready: datetime


def updated(estimate: float | None, observed: float) -> float:
    """The estimate after a render that took ``observed`` seconds: an exponentially weighted mean of
    measurements, each first clamped to within ``CLAMP`` times the estimate so one outlier barely moves it."""
    observed = max(observed, 0.0)
    if estimate is None or estimate <= 0:
        return observed
    bounded = min(max(observed, estimate / CLAMP), estimate * CLAMP)
    return estimate + WEIGHT * (bounded - estimate)


def render_seconds(timings: Sequence[Timing], size: ClipSize) -> float | None:
    """Expected seconds to render ``size``: its own estimate when measured, else the best-measured size's
    scaled by the pixels to make; None before the model's first measured render."""
    for timing in timings:
        if timing.size == size:
            return timing.seconds
    if not timings:
        return None
    base = max(timings, key=lambda t: (t.samples, t.size.work))
    return base.seconds * size.work / max(base.size.work, 1)


def queue_eta(
    now: datetime,
    timings: Sequence[Timing],
    size: ClipSize,
    ahead: int,
    queued: Sequence[ClipSize],
    running: Sequence[Running],
    workers: int,
) -> Eta | None:
    """When a queued job of ``size`` should start and be ready: after the ``ahead`` jobs before it in the
    fair order (each taken as long as the average of the model's ``queued`` jobs) and what is left of
    those ``running`` now, shared among the ``workers`` serving its model. None before any measurement
    on the model: an honest ETA cannot be given then."""
    own = render_seconds(timings, size)
    if own is None:
        return None
    left_running = 0.0
    for job in running:
        expected = render_seconds(timings, job.size) or 0.0
        left_running += max(expected - (now - job.started_at).total_seconds(), 0.0)
    typical = [render_seconds(timings, job) or 0.0 for job in queued] or [own]
    waiting = ahead * sum(typical) / len(typical)
    start = now + timedelta(seconds=(left_running + waiting) / max(workers, 1))
    return Eta(start, start + timedelta(seconds=own))
