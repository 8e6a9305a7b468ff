"""A queued job's expected start and finish, from this deployment's measured render times and its queue.

Gathers what ``bot/render_estimate.py`` computes from: the model's measured timings, its queued and
running jobs, and the workers serving it. No Discord, no torch.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.model_catalog import clip_size
from bot.render_estimate import Eta, Running, queue_eta
from bot.store.base import utcnow
from bot.store.jobs import JobRecord, JobStore
from bot.store.timings import RenderTimings
from bot.store.workers import WorkerRegistry
from generation.presets import ModelPreset


@dataclass(frozen=True)
class Estimate:
    """``eta`` when the model has a measured render; else ``unmeasured`` says no clip was timed yet.
    ``workers``: how many live workers serve the model."""

    eta: Eta | None
    unmeasured: bool
    workers: int


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

    async def estimate(self, job: JobRecord, position: int) -> Estimate | None:
        """For a job at ``position`` in its model's queue; None for a model this process does not know."""
        preset = self._presets.get(job.model)
        if preset is None or job.options_error is not None:
            return None
        workers = len(await self._registry.serving(job.model))
        timings = await self._timings.of_model(job.model)
        if not timings:
            return Estimate(None, unmeasured=True, workers=workers)
        queued, running = await self._jobs.model_queue(job.model)
        eta = queue_eta(
            utcnow(),
            timings,
            clip_size(preset, job.options),
            ahead=max(position - 1, 0),
            queued=[clip_size(preset, j.options) for j in queued if j.options_error is None],
            running=[
                Running(clip_size(preset, j.options), j.started_at)
                for j in running
                if j.started_at is not None and j.options_error is None
            ],
            workers=workers,
        )
        return Estimate(eta, unmeasured=False, workers=workers)
