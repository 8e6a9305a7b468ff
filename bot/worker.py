"""The worker: claims jobs, renders them with ``generation``, and hands the clip to a delivery.

It knows nothing of Discord: the delivery (``bot.discord_app.delivery``) does the talking.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
import os
import socket
import time
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from PIL import Image

from bot.store.jobs import JobRecord, JobStore
from bot.store.moderation import ModerationStore
from bot.store.workers import WorkerRegistry
from generation.encode import ClipTooLargeError, EncodedClip
from generation.generator import RenderCancelledError, RenderInputError, RenderRequest, VideoGenerator
from generation.gif import MAX_GIF_SECONDS
from generation.output import ClipFile, write_clip
from generation.presets import ModelPreset
from generation.provenance import ClipFacts, ProvenanceError, SigningCredentials
from generation.watermark import add_watermark

log = logging.getLogger(__name__)


# How often a running job checks whether it was cancelled (one primary-key read).
WATCH_INTERVAL = 0.5
# How often a worker refreshes its advertisement (see bot.store.workers.STALE_AFTER).
ANNOUNCE_EVERY = 30.0
# Least time between progress edits of a status message.
PROGRESS_INTERVAL = 3.0


class Delivery(Protocol):
    async def started(self, job: JobRecord) -> None: ...

    async def progress(self, job: JobRecord, step: int, steps: int) -> None: ...

    async def find_posted(self, job: JobRecord) -> int | None:
        """The id of a message already carrying this job's clip (posted before a crash), if any."""
        ...

    async def deliver(self, job: JobRecord, clip: EncodedClip, model: str) -> int:
        """Post the clip; return the id of the message that carries it."""
        ...

    async def failed(self, job: JobRecord, reason: str) -> None: ...


class DeliveryError(Exception):
    """The clip could not be posted (Discord unreachable, missing permissions, ...)."""


@dataclass(frozen=True)
class WorkerOptions:
    name: str
    poll_interval: float
    lease_seconds: float
    max_attempts: int
    clip_dir: Path
    # Content Credentials for every clip: no clip is posted without them.
    credentials: SigningCredentials
    warmup: bool = True
    # Clips below this frame rate are interpolated up to it unless the member asked otherwise (0: never).
    smooth_fps: int = 24


def default_worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


class Worker:
    def __init__(
        self,
        store: JobStore,
        moderation: ModerationStore,
        registry: WorkerRegistry,
        generators: Sequence[VideoGenerator],
        delivery: Delivery,
        options: WorkerOptions,
    ) -> None:
        self._store = store
        self._moderation = moderation
        self._registry = registry
        # One pipeline per model this worker serves, each loaded once.
        self._generators = {g.model_name: g for g in generators}
        self._delivery = delivery
        self._options = options
        self._wake = asyncio.Event()
        self._stopping = asyncio.Event()
        # The job being processed and the event that stops its render.
        self._running: tuple[int, asyncio.Event] | None = None
        self._tasks: set[asyncio.Task[None]] = set()  # progress edits in flight

    @property
    def name(self) -> str:
        return self._options.name

    def wake(self) -> None:
        self._wake.set()

    def cancelled(self, job_id: int) -> None:
        """A job was cancelled in this process: stop its render at the end of the current step."""
        if self._running is not None and self._running[0] == job_id:
            self._running[1].set()

    def stop(self) -> None:
        self._stopping.set()
        self._wake.set()

    async def run(self) -> None:
        self._options.clip_dir.mkdir(parents=True, exist_ok=True)
        # Advertise first: members are told their model is served while it loads.
        announced = await self._announce()
        try:
            for model, generator in self._generators.items():
                log.info("worker %s loading %s", self.name, model)
                await asyncio.to_thread(generator.load)
                if self._options.warmup:
                    seconds = await asyncio.to_thread(generator.warm_up)
                    log.info("worker %s warmed up %s in %.1fs", self.name, model, seconds)
            log.info("worker %s serving %s", self.name, ", ".join(self._generators))
            while not self._stopping.is_set():
                if time.monotonic() - announced > ANNOUNCE_EVERY:
                    announced = await self._announce()
                await self._step()
        finally:
            with contextlib.suppress(Exception):
                await self._registry.retire(self.name)

    @property
    def models(self) -> frozenset[str]:
        return frozenset(self._generators)

    async def _announce(self) -> float:
        try:
            await self._registry.announce(self.name, self.models)
        except Exception:
            log.exception("could not advertise this worker")
        return time.monotonic()

    async def _step(self) -> None:
        """Run one job, or wait for one."""
        job: JobRecord | None
        try:
            for dead in await self._store.abandoned(self._options.max_attempts):
                await self._report_failure(dead, dead.error or "the worker stopped")
            job = await self._store.claim(
                self.name, self._options.lease_seconds, self._options.max_attempts, self.models
            )
        except Exception:
            log.exception("could not reach the job store; retrying")
            job = None
        if job is None:
            await self._idle()
            return
        await self.process(job)

    async def _idle(self) -> None:
        self._wake.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), self._options.poll_interval)

    async def process(self, job: JobRecord) -> None:
        lease_lost = asyncio.Event()
        self._running = (job.id, lease_lost)
        heartbeat = asyncio.create_task(self._heartbeat(job.id, lease_lost))
        path = self._options.clip_dir / f"job-{job.id}.mp4"
        try:
            if job.delivery_started_at is not None and await self._adopt_earlier_post(job):
                return
            await self._delivery.started(job)
            try:
                clip, model = await self._render(job, path, lease_lost)
            except RenderCancelledError as exc:
                if self._stopping.is_set() and await self._store.release(job.id, self.name):
                    log.info("job %d: back in the queue for the next start", job.id)
                else:
                    log.info("job %d: generation stopped (cancelled, or lease lost) %s", job.id, exc)
                return
            except RenderInputError as exc:
                await self._fail(job, f"the video model could not use this request: {exc}")
                return
            except ClipTooLargeError:
                await self._fail(
                    job, "the clip could not be made small enough for this server's upload limit"
                )
                return
            except ProvenanceError as exc:
                # Never post a clip without its Content Credentials.
                log.error("job %d: signing failed: %s", job.id, exc)
                await self._fail(
                    job, f"the clip could not be signed as AI-generated (logged as job #{job.id})"
                )
                return
            except Exception:
                log.exception("job %d: generation failed", job.id)
                await self._fail(job, f"the video model hit an error (logged as job #{job.id})")
                return
            if not clip.signed:  # write_clip signs or raises; this guards the rule, not a path taken
                await self._fail(
                    job, f"the clip could not be signed as AI-generated (logged as job #{job.id})"
                )
                return
            if lease_lost.is_set() or not await self._store.begin_delivery(job.id, self.name):
                log.info("job %d: cancelled while encoding; not posting it", job.id)
                return
            try:
                message_id = await self._delivery.deliver(job, clip, model)
            except DeliveryError as exc:
                log.error("job %d: delivery failed: %s", job.id, exc)
                await self._fail(job, f"the clip was made but could not be posted here ({exc})")
                return
            if not await self._store.mark_delivered(job.id, self.name, message_id):
                log.warning("job %d: delivered, but the lease had moved on", job.id)
            log.info("job %d delivered as message %d", job.id, message_id)
        finally:
            self._running = None
            heartbeat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await heartbeat
            for encoded_file in (path, path.with_suffix(".gif")):
                encoded_file.unlink(missing_ok=True)

    async def _adopt_earlier_post(self, job: JobRecord) -> bool:
        """A previous attempt crashed while posting: if its message exists, record it instead of reposting."""
        try:
            message_id = await self._delivery.find_posted(job)
        except Exception:
            log.exception("job %d: could not look for an earlier post; rendering again", job.id)
            return False
        if message_id is None:
            return False
        await self._store.mark_delivered(job.id, self.name, message_id)
        log.info("job %d was already posted as message %d before a crash; recorded it", job.id, message_id)
        return True

    async def _render(self, job: JobRecord, path: Path, lease_lost: asyncio.Event) -> tuple[EncodedClip, str]:
        image = None
        if job.options.get("image"):
            png = await self._store.image(job.id)
            if png is None:
                raise RenderInputError("its image is missing")
            image = Image.open(io.BytesIO(png)).convert("RGB")
        generator = self._generators[job.model]
        gif = job.options.get("format") == "gif"
        request = RenderRequest(
            prompt=job.prompt,
            seed=job.seed,
            negative_prompt=job.negative_prompt,
            image=image,
            # GIFs play at 15 fps at most and are silent: no interpolation, no sound.
            fps=None if gif else target_fps(generator.preset, job.options, self._options.smooth_fps),
            sound=not gif and job.options.get("sound", True) is not False,
            **shape_for(generator.preset, job.options),
        )

        def should_stop() -> bool:
            return lease_lost.is_set() or self._stopping.is_set()

        on_step = self._progress_reporter(job)
        clip = await asyncio.to_thread(generator.render, request, on_step, should_stop)
        frames = clip.frames
        if await self._moderation.watermark(job.guild_id):
            frames = await asyncio.to_thread(add_watermark, frames)
        facts = ClipFacts(
            model=clip.model, seed=clip.seed, prompt=job.prompt, negative_prompt=job.negative_prompt
        )
        out = ClipFile(frames, clip.fps, facts, clip.audio, "gif" if gif else "mp4")
        encoded = await asyncio.to_thread(
            write_clip, out, path.with_suffix(f".{out.format}"), job.max_bytes, self._options.credentials
        )
        return encoded, clip.model

    def _progress_reporter(self, job: JobRecord) -> Callable[[int, int], None]:
        """A step callback for the render thread that updates the status message, at most every
        PROGRESS_INTERVAL seconds (Discord rate-limits message edits)."""
        loop = asyncio.get_running_loop()
        last = time.monotonic()

        def on_step(step: int, steps: int) -> None:
            nonlocal last
            now = time.monotonic()
            if now - last < PROGRESS_INTERVAL or step == steps:
                return
            last = now
            loop.call_soon_threadsafe(
                lambda: self._background(self._delivery.progress(job, step, steps), f"job {job.id} progress")
            )

        return on_step

    def _background(self, work: Coroutine[Any, Any, None], what: str) -> None:
        task = asyncio.create_task(work, name=what)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _heartbeat(self, job_id: int, lease_lost: asyncio.Event) -> None:
        """Renew the lease, and notice within WATCH_INTERVAL when the job was cancelled or taken over, so
        that generation stops at the end of the denoising step in progress."""
        renew_every = self._options.lease_seconds / 3
        since_renewal = 0.0
        while True:
            await asyncio.sleep(WATCH_INTERVAL)
            since_renewal += WATCH_INTERVAL
            try:
                if since_renewal >= renew_every:
                    since_renewal = 0.0
                    mine = await self._store.renew_lease(job_id, self.name, self._options.lease_seconds)
                else:
                    mine = await self._store.still_mine(job_id, self.name)
            except Exception:
                log.exception("job %d: could not reach the job store", job_id)
                continue
            if not mine:
                lease_lost.set()
                return

    async def _fail(self, job: JobRecord, reason: str) -> None:
        if await self._store.mark_failed(job.id, self.name, reason):
            await self._report_failure(job, reason)

    async def _report_failure(self, job: JobRecord, reason: str) -> None:
        try:
            await self._delivery.failed(job, reason)
        except Exception:
            log.exception("job %d: could not tell the user it failed", job.id)


def target_fps(preset: ModelPreset, options: dict[str, Any], smooth_fps: int) -> int | None:
    """The playback rate to interpolate up to: the member's choice (0: the model's own), else the owner's
    smooth_fps; None when that is not above the model's own rate."""
    wanted = int(options["fps"]) if options.get("fps") is not None else smooth_fps
    return wanted if wanted > preset.defaults.fps else None


def shape_for(preset: ModelPreset, options: dict[str, Any]) -> dict[str, int]:
    """Width, height and frame count for a job's aspect and duration, by its model's rules."""
    defaults, family = preset.defaults, preset.family
    shape: dict[str, int] = {}
    if options.get("aspect"):
        shape["width"], shape["height"] = family.size_for(
            str(options["aspect"]), defaults.width, defaults.height
        )
    if options.get("duration"):
        shape["num_frames"] = family.frames_for(float(options["duration"]), defaults.fps)
    if options.get("format") == "gif":
        # GIFs are for short clips: cap the length, stepping down by the model's frame rule.
        frames = shape.get("num_frames", defaults.num_frames)
        shape["num_frames"] = family.frames_within(frames, defaults.fps, MAX_GIF_SECONDS)
    return shape
