"""A queued job's expected start and finish, from this deployment's measured render times and its queue.

Gathers what ``bot/render_estimate.py`` computes from: the model's measured timings, its queued and
running jobs, and the workers serving it. No Discord, no torch.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.model_catalog import clip_size
from bot.model_downloads import DownloadState, furthest_download
from bot.render_estimate import Eta, Running, Timing, queue_eta
from bot.store.base import utcnow
from bot.store.jobs import JobRecord, JobStore
from bot.store.timings import RenderTimings
from bot.store.workers import WorkerRegistry
from generation.presets import ModelPreset


@dataclass(frozen=True)
class Estimate:
    """``eta`` when the model has a measured render; else ``unmeasured`` says no clip was timed yet.
    ``workers``: how many live workers serve the model. ``download``: the model is still downloading on
    every one of them, this far (no time is promised until it is here)."""

    eta: Eta | None
    unmeasured: bool
    workers: int
    download: DownloadState | None = None


@dataclass(frozen=True)
class ModelQueue:
    """What a model's estimates are computed from, read once for all its waiting jobs."""

    timings: list[Timing]
    queued: list[JobRecord]
    running: list[JobRecord]
    workers: int
    download: DownloadState | None = None


class QueueEstimator:
    def __init__(
        self,
        jobs: JobStore,
        timings: RenderTimings,
        registry: WorkerRegistry,
        presets: dict[str, ModelPreset],
    ) -> None:
        self._jobs = jobs
        self._timings = timings
        self._registry = registry
        self._presets = presets

    async def model_queue(self, model: str) -> ModelQueue:
        serving = await self._registry.serving(model)
        download = furthest_download(list(serving.values()))
        timings = await self._timings.of_model(model) if download is None else []
        queued, running = await self._jobs.model_queue(model) if timings else ([], [])
        return ModelQueue(timings, queued, running, len(serving), download)

    async def estimate(
        self, job: JobRecord, position: int, queue: ModelQueue | None = None
    ) -> Estimate | None:
        """For a job at ``position`` in its model's queue (``queue``: that model's, if already read);
        None for a model this process does not know."""
        preset = self._presets.get(job.model)
        if preset is None or job.options_error is not None:
            return None
        if queue is None:
            queue = await self.model_queue(job.model)
        if queue.download is not None:
            return Estimate(None, unmeasured=False, workers=queue.workers, download=queue.download)
        if not queue.timings:
            return Estimate(None, unmeasured=True, workers=queue.workers)
        if not queue.workers:  # nothing would start it: no time to promise
            return Estimate(None, unmeasured=False, workers=0)
        eta = queue_eta(
            utcnow(),
            queue.timings,
            clip_size(preset, job.options),
            ahead=max(position - 1, 0),
            queued=[clip_size(preset, j.options) for j in queue.queued if j.options_error is None],
            running=[
                Running(clip_size(preset, j.options), j.started_at)
                for j in queue.running
                if j.started_at is not None and j.options_error is None
            ],
            workers=queue.workers,
        )
        return Estimate(eta, unmeasured=False, workers=queue.workers)
