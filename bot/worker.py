"""The worker: claims jobs, renders them with ``generation``, and hands the clip to a delivery.

It knows nothing of Discord: the delivery (``bot.discord_app.delivery``) does the talking.

Every job it takes ends in one outcome its member sees: the clip, or one notice of why not. Nothing a job
meets ends the worker: a database outage is waited out (each write is retried until it lands), a full disk
or an unreachable Discord sends the job back or waits with backoff, and only what will not pass (the model
failing, a clip that cannot fit) fails the job, with an honest reason.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
import shutil
import time
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path
from typing import Any, Protocol, TypeVar

from PIL import Image

from bot.faults import (
    ClipUnavailableError,
    Fault,
    FaultKind,
    ModelFailedError,
    UnreadableJobError,
    classify,
    is_store_outage,
)
from bot.i18n import tr
from bot.log_context import about_job, as_worker
from bot.metrics import Metrics
from bot.model_catalog import clip_size
from bot.model_fetcher import ModelFetcher
from bot.store.jobs import JobRecord, JobStore
from bot.store.schema import JobState
from bot.store.server_settings import ServerSettingsStore
from bot.store.timings import RenderTimings
from bot.store.workers import WorkerRegistry
from bot.video_request import story_shots
from bot.worker_identity import held_workspaces
from generation.clip_shape import shape_clip
from generation.decode import DecodedClip, UnreadableClipError, decode_clip
from generation.encode import EncodedClip
from generation.explained import first_line
from generation.generator import (
    RenderCancelledError,
    RenderedClip,
    RenderInputError,
    RenderRequest,
    VideoGenerator,
)
from generation.output import ClipFile, write_clip
from generation.provenance import ClipFacts, SigningCredentials
from generation.story import continue_clip, join_shots
from generation.watermark import add_watermark

log = logging.getLogger(__name__)

T = TypeVar("T")

# How often a running job checks whether it was cancelled (one primary-key read).
WATCH_INTERVAL = 0.5
# How often a worker refreshes its advertisement (see bot.store.workers.STALE_AFTER).
ANNOUNCE_EVERY = 30.0
# Least time between progress edits of a status message.
PROGRESS_INTERVAL = 3.0
# How often owed notices are sent again and retention runs.
HOUSEKEEPING_EVERY = 60.0
# Longest wait between retries of a database write, and of claiming after a fault.
MAX_BACKOFF = 30.0
# How long a finished clip waits for Discord to accept it before its member is told it could not be posted.
DELIVERY_PATIENCE = 600.0
# How many poll intervals a worker waits, at least, after a machine fault (full disk) before claiming.
FAULT_PAUSE_POLLS = 15
# Free space a render needs where clips are written, beyond the clip itself (ffmpeg's scratch files).
DISK_HEADROOM = 64 * 1024 * 1024
# Temporary files older than this in the shared clip directory are leftovers of a killed process.
STALE_TEMPORARY = timedelta(hours=1)
# Under clip_dir: each worker's scratch directory, by its identity.
WORKSPACES = "work"
# What older versions left at the top of clip_dir (the only files there the worker ever deletes).
LEFTOVERS = ("job-*.mp4", "job-*.gif", "tmp*.mp4", ".encode-*")


@dataclass(frozen=True)
class Posted:
    """Where a clip was posted, and by which route ("channel", "followup" or "dm")."""

    channel_id: int
    message_id: int
    jump_url: str
    via: str = "channel"
    seconds: float | None = None  # the clip's length; unknown for a post found after a crash


class DeliveryError(Exception):
    """The clip or notice could not be posted, and trying again will not help (no permission anywhere,
    the channel is gone, the member accepts no direct messages)."""


class DeliveryUnavailableError(Exception):
    """Discord did not answer or answered with a server error: worth trying again later."""


class Delivery(Protocol):
    async def started(self, job: JobRecord) -> None: ...

    async def progress(self, job: JobRecord, step: int, steps: int, shot: int = 0) -> None:
        """``shot``: which of a story's shots is rendering (from 1); 0 for a single clip."""

    async def requeued(self, job: JobRecord, reason: str) -> None:
        """The job went back in the queue after a passing fault."""
        ...

    async def find_posted(self, job: JobRecord) -> Posted | None:
        """The message already carrying this job's clip (posted before a crash), if any."""
        ...

    async def deliver(self, job: JobRecord, clip: EncodedClip, model: str) -> Posted:
        """Post the clip: in its channel, else as an interaction follow-up, else by direct message.
        Raises DeliveryError or DeliveryUnavailableError."""
        ...

    async def delivered(self, job: JobRecord, posted: Posted) -> None:
        """Show the status message's final state: done, with a link."""

    async def clip_of(self, job: JobRecord) -> bytes:
        """The file of the clip posted for ``job``, read back from Discord (to extend it). Raises
        DeliveryError when it is gone, DeliveryUnavailableError when Discord did not answer."""
        ...

    async def retract(self, job: JobRecord, posted: Posted) -> None:
        """Delete a clip whose job was cancelled while it was being posted."""
        ...

    async def failed(self, job: JobRecord, reason: str) -> None:
        """Tell the member why there is no clip, and show it on the status message. Raises when nobody
        could be told."""
        ...


@dataclass(frozen=True)
class Retention:
    """How long files outlive their jobs (0: deleted as the job ends) and prompts are kept."""

    files: timedelta = timedelta(0)
    prompt_days: int = 30


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
    max_extend_seconds: float = 20.0  # Extend stops a clip growing past this
    retention: Retention = Retention()
    # This worker's own scratch directory under clip_dir (its identity's name, made file-safe).
    workspace: str = ""
    # Free disk, in bytes, that downloading a missing model must leave.
    keep_free: int = 5 * 1000**3


class StopRequestedError(Exception):
    """The worker is stopping while the database is unreachable: the write is left for its next life."""


class Worker:
    def __init__(
        self,
        store: JobStore,
        settings: ServerSettingsStore,
        registry: WorkerRegistry,
        timings: RenderTimings,
        generators: Sequence[VideoGenerator],
        delivery: Delivery,
        options: WorkerOptions,
        metrics: Metrics | None = None,
    ) -> None:
        self._store = store
        self._metrics = metrics or Metrics()  # this process's, served by the health endpoint
        self._settings = settings
        self._registry = registry
        self._timings = timings
        # One pipeline per model this worker serves, each loaded once.
        self._generators = {g.model_name: g for g in generators}
        self._delivery = delivery
        self._options = options
        self._wake = asyncio.Event()
        self._stopping = asyncio.Event()
        # The job being processed and the event that stops its render.
        self._running: tuple[int, asyncio.Event] | None = None
        self._tasks: set[asyncio.Task[None]] = set()  # progress edits in flight
        self._store_down_since: float | None = None
        self._paused_until = 0.0
        self._pause_seconds = 0.0
        self._fetcher = ModelFetcher(
            self.name, self._advertise, options.keep_free, self._stopping, self._downloaded
        )
        self._to_load: list[str] = []  # models on disk, to load between jobs

    @property
    def name(self) -> str:
        return self._options.name

    @property
    def models(self) -> frozenset[str]:
        return frozenset(self._generators)

    @property
    def loaded_models(self) -> frozenset[str]:
        """The models whose pipelines are loaded: this worker can render them now."""
        return frozenset(name for name, generator in self._generators.items() if generator.loaded)

    @property
    def _workdir(self) -> Path:
        return self._options.clip_dir / WORKSPACES / (self._options.workspace or "worker")

    @property
    def _kept_dir(self) -> Path:
        return self._options.clip_dir / "kept"

    def wake(self) -> None:
        self._wake.set()

    def cancelled(self, job_id: int) -> None:
        """A job was cancelled in this process: stop its render at the end of the current step."""
        if self._running is not None and self._running[0] == job_id:
            self._running[1].set()

    def stop(self) -> None:
        self._stopping.set()
        self._wake.set()

    # -- the loop -----------------------------------------------------------------------------------
    async def run(self) -> None:
        as_worker(self.name)  # what this task, and every task it starts, logs names this worker
        self._prepare_directories()
        # Advertise first: members are told their model is served while it loads.
        announced = await self._announce()
        housekeeping: asyncio.Task[None] | None = None
        downloads: asyncio.Task[None] | None = None
        try:
            recovered = await self._persist(lambda: self._store.recover(self.name), "take back jobs")
            if recovered:
                log.info("worker %s takes back job(s) %s from before its restart", self.name, recovered)
            # Owed notices and retention run beside the jobs, however long a render takes.
            housekeeping = asyncio.create_task(self._housekeep_forever(), name="housekeeping")
            # Models not on disk download in the background; the others load now and are served meanwhile.
            missing = await self._fetcher.missing([g.preset for g in self._generators.values()])
            if missing:
                downloads = asyncio.create_task(self._fetcher.fetch_all(missing), name="downloads")
                announced = await self._announce()
            self._to_load = [m for m in self._generators if m not in {p.name for p in missing}]
            while not self._stopping.is_set():
                # Between jobs: a model that cannot load ends the worker, at start or once downloaded.
                await self._load_ready()
                try:
                    if time.monotonic() - announced > ANNOUNCE_EVERY:
                        announced = await self._announce()
                    if self.loaded_models:
                        await self._step()
                    else:
                        await self._idle(self._options.poll_interval)
                except StopRequestedError:
                    break
                except Exception:
                    # A fault in one job never ends the worker, nor touches the next job.
                    log.exception("worker %s: unexpected fault; carrying on", self.name)
                    await self._idle(self._backoff())
            if downloads is not None and not downloads.done():
                log.info("worker %s stopped before its models were all here", self.name)
        finally:
            for task in (housekeeping, downloads):
                if task is not None:
                    task.cancel()
                    await asyncio.gather(task, return_exceptions=True)
            with contextlib.suppress(Exception):
                await self._registry.retire(self.name)

    def _prepare_directories(self) -> None:
        self._options.clip_dir.mkdir(parents=True, exist_ok=True)
        # Only this worker's identity uses its workspace: what a killed earlier life left there is litter.
        shutil.rmtree(self._workdir, ignore_errors=True)
        self._workdir.mkdir(parents=True, exist_ok=True)

    def _downloaded(self, model: str) -> None:
        """The fetcher has ``model`` on disk now: load it between jobs."""
        self._to_load.append(model)
        self._wake.set()

    async def _load_ready(self) -> None:
        """Load and warm up the models that are on disk and not loaded yet, in turn."""
        while self._to_load and not self._stopping.is_set():
            model = self._to_load.pop(0)
            generator = self._generators[model]
            log.info("worker %s loading %s", self.name, model)
            await asyncio.to_thread(generator.load)
            if self._options.warmup:
                seconds = await asyncio.to_thread(generator.warm_up)
                log.info("worker %s warmed up %s in %.1fs", self.name, model, seconds)
            log.info("worker %s serving %s", self.name, ", ".join(sorted(self.loaded_models)))

    async def _announce(self) -> float:
        """Advertise the models this worker serves, and how far those still downloading are; never raises."""
        try:
            await self._registry.announce(self.name, self.models, self._fetcher.downloads())
        except Exception as exc:
            self._store_trouble(exc, "advertise this worker")
        return time.monotonic()

    async def _advertise(self) -> None:
        await self._announce()

    async def _step(self) -> None:
        """Run one job, or wait for one."""
        if time.monotonic() < self._paused_until:
            await self._idle(self._paused_until - time.monotonic())
            return
        try:
            for dead in await self._store.abandoned(self._options.max_attempts):
                self._metrics.job_failures.labels("attempts_exhausted").inc()
                with about_job(dead.id, dead.guild_id):
                    await self._tell_failure(dead, dead.error or "the worker stopped")
            job = await self._store.claim(
                self.name, self._options.lease_seconds, self._options.max_attempts, self.loaded_models
            )
        except Exception as exc:
            if not is_store_outage(exc):
                raise
            self._store_trouble(exc, "claim a job")
            await self._idle(self._backoff())
            return
        self._store_back()
        if job is None:
            self._pause_seconds = 0.0
            await self._idle(self._options.poll_interval)
            return
        with about_job(job.id, job.guild_id):
            await self.process(job)

    async def _idle(self, seconds: float) -> None:
        self._wake.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), max(seconds, 0.0))

    async def _sleep(self, seconds: float) -> None:
        """Wait, but not past a request to stop."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), seconds)

    def _backoff(self) -> float:
        self._pause_seconds = min(max(self._pause_seconds * 2, self._options.poll_interval), MAX_BACKOFF)
        return self._pause_seconds

    # -- the database, through outages -----------------------------------------------------------------
    async def _persist(self, operation: Callable[[], Awaitable[T]], what: str) -> T:
        """Run a store operation, waiting out a database outage with backoff; give up only when stopping."""
        delay = 0.25
        while True:
            try:
                result = await operation()
            except Exception as exc:
                if not is_store_outage(exc):
                    raise
                self._store_trouble(exc, what)
                if self._stopping.is_set():
                    raise StopRequestedError(what) from exc
                await self._sleep(delay)
                delay = min(delay * 2, MAX_BACKOFF)
                continue
            self._store_back()
            return result

    def _store_trouble(self, exc: BaseException, what: str) -> None:
        """One warning when the database goes away, not a traceback per retry."""
        if self._store_down_since is None:
            self._store_down_since = time.monotonic()
            log.warning("cannot reach the database to %s (%s); retrying with backoff", what, first_line(exc))

    def _store_back(self) -> None:
        if self._store_down_since is not None:
            log.warning(
                "the database is reachable again after %.1fs", time.monotonic() - self._store_down_since
            )
            self._store_down_since = None

    # -- one job ------------------------------------------------------------------------------------
    async def process(self, job: JobRecord) -> None:
        lease_lost = asyncio.Event()
        self._running = (job.id, lease_lost)
        heartbeat = asyncio.create_task(self._heartbeat(job.id, lease_lost))
        path = self._workdir / f"job-{job.id}.mp4"
        try:
            if job.delivery_started_at is not None:
                if await self._adopt_earlier_post(job):
                    return
                if job.attempts > self._options.max_attempts:
                    stopped = "the worker stopped during each of {count} attempts"
                    await self._fail(job, tr(job.locale, stopped, count=job.attempts - 1), "worker_stopped")
                    return
                await self._persist(lambda: self._store.forget_delivery(job.id, self.name), "start afresh")
                job = replace(job, delivery_started_at=None)
            await self._quietly(self._delivery.started(job), job, "show it rendering")
            try:
                self._workdir.mkdir(parents=True, exist_ok=True)
                self._check_disk(job)
                began = time.monotonic()
                clip, model = await self._render(job, path, lease_lost)
                await self._time_render(job, time.monotonic() - began)
            except RenderCancelledError as exc:
                if self._stopping.is_set() and await self._persist(
                    lambda: self._store.release(job.id, self.name), "hand the job back"
                ):
                    log.info("job %d: back in the queue for the next start", job.id)
                else:
                    log.info("job %d: generation stopped (cancelled, or lease lost) %s", job.id, exc)
                return
            except StopRequestedError:
                raise
            except Exception as exc:
                await self._render_fault(job, classify(exc), exc)
                return
            if not clip.signed:  # write_clip signs or raises; this guards the rule, not a path taken
                await self._fail(job, Fault(FaultKind.SIGNING).reason(job.id, job.locale), FaultKind.SIGNING)
                return
            started = None
            if not lease_lost.is_set():
                started = await self._persist(
                    lambda: self._store.begin_delivery(job.id, self.name), "begin posting"
                )
            if started is None:
                log.info("job %d: cancelled while encoding; not posting it", job.id)
                return
            # From here on, a retry looks for a post made since this moment before posting again.
            job = replace(job, delivery_started_at=started)
            await self._settle_progress()
            posted = await self._post(job, clip, model, lease_lost)
            if posted is not None:
                await self._record_post(job, posted)
        finally:
            self._running = None
            heartbeat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await heartbeat
            self._put_away(job, path)

    async def _render_fault(self, job: JobRecord, fault: Fault, exc: Exception) -> None:
        if fault.kind in (FaultKind.MODEL, FaultKind.GPU_MEMORY, FaultKind.INTERNAL):
            log.error("job %d: generation failed", job.id, exc_info=exc)
        else:
            log.error("job %d: %s: %s", job.id, fault.kind, first_line(exc))
        if fault.transient and job.attempts < self._options.max_attempts:
            # The fault is the machine's, not the job's: back in the queue, and this worker waits a little.
            requeued = await self._persist(
                lambda: self._store.release(
                    job.id, self.name, count_attempt=True, error=fault.retry_notice(job.locale)
                ),
                "put the job back",
            )
            if requeued:
                await self._settle_progress()
                notice = fault.retry_notice(job.locale)
                await self._quietly(self._delivery.requeued(job, notice), job, "show the retry")
            # A full disk or a lost database rarely clears in seconds: wait longer before the next claim.
            pause = max(self._backoff(), FAULT_PAUSE_POLLS * self._options.poll_interval)
            self._paused_until = time.monotonic() + pause
            return
        await self._fail(job, fault.reason(job.id, job.locale), fault.kind)

    def _check_disk(self, job: JobRecord) -> None:
        """Refuse to spend a render on a clip that cannot be saved."""
        free = shutil.disk_usage(self._workdir).free
        if free < job.max_bytes + DISK_HEADROOM:
            raise OSError(28, f"only {free // (1024 * 1024)} MB free where clips are written")

    async def _post(
        self, job: JobRecord, clip: EncodedClip, model: str, lease_lost: asyncio.Event
    ) -> Posted | None:
        """Post the clip, waiting out Discord outages; None when it was not posted (and the member told,
        unless the job was cancelled or the worker is stopping)."""
        deadline = time.monotonic() + DELIVERY_PATIENCE
        delay = 5.0
        while True:
            if lease_lost.is_set():  # cancelled while waiting for Discord: nothing more to post
                return None
            try:
                return await self._delivery.deliver(job, clip, model)
            except DeliveryError as exc:
                log.error("job %d: could not post the clip: %s", job.id, exc)
                unposted = "the clip was made but could not be posted ({why})"
                await self._fail(job, tr(job.locale, unposted, why=exc), "undeliverable")
                return None
            except DeliveryUnavailableError as exc:
                if self._stopping.is_set():
                    # Whoever takes the job up next looks for this post before posting again.
                    log.warning("job %d: posting interrupted (%s); left for the next attempt", job.id, exc)
                    return None
                if time.monotonic() > deadline:
                    minutes = DELIVERY_PATIENCE / 60
                    refused = "Discord did not accept the clip for {minutes} minutes"
                    await self._fail(
                        job, tr(job.locale, refused, minutes=f"{minutes:.0f}"), "discord_unavailable"
                    )
                    return None
                log.warning("job %d: Discord is unavailable (%s); trying again in %.0fs", job.id, exc, delay)
            await self._sleep(delay)
            delay = min(delay * 2, 60.0)
            # A post whose answer was lost may have landed: never post twice.
            with contextlib.suppress(Exception):
                if (found := await self._delivery.find_posted(job)) is not None:
                    return found

    async def _record_post(self, job: JobRecord, posted: Posted) -> None:
        if await self._persist(
            lambda: self._store.mark_delivered(
                job.id, self.name, posted.message_id, posted.channel_id, posted.seconds
            ),
            "record the post",
        ):
            log.info("job %d delivered as message %d", job.id, posted.message_id)
            await self._settle_progress()
            await self._quietly(self._delivery.delivered(job, posted), job, "show it done")
            return
        current = await self._persist(lambda: self._store.get(job.id), "read the job")
        if current is not None and current.state is JobState.CANCELLED:
            log.info("job %d: cancelled while posting; removing message %d", job.id, posted.message_id)
            for attempt in range(3):  # the clip must not stay up: try again through a blip
                try:
                    await self._delivery.retract(job, posted)
                    break
                except Exception as exc:
                    log.warning(
                        "job %d: could not remove the cancelled clip yet: %s", job.id, first_line(exc)
                    )
                    await self._sleep(2.0 * (attempt + 1))
        else:
            log.warning("job %d: posted as message %d, but the lease had moved on", job.id, posted.message_id)

    def _put_away(self, job: JobRecord, path: Path) -> None:
        """Delete the job's encoded file, or keep it for the owner's retention period."""
        for encoded in (path, path.with_suffix(".gif")):
            if not encoded.exists():
                continue
            if self._options.retention.files:
                with contextlib.suppress(OSError):
                    self._kept_dir.mkdir(parents=True, exist_ok=True)
                    encoded.replace(self._kept_dir / encoded.name)
            encoded.unlink(missing_ok=True)

    async def _adopt_earlier_post(self, job: JobRecord) -> bool:
        """A previous attempt crashed while posting: if its message exists, record it instead of reposting.
        If Discord cannot be asked, the job goes back to the queue rather than risk a second post."""
        try:
            posted = await self._delivery.find_posted(job)
        except Exception as exc:
            log.warning(
                "job %d: could not look for an earlier post (%s); trying later", job.id, first_line(exc)
            )
            await self._persist(lambda: self._store.release(job.id, self.name), "hand the job back")
            self._paused_until = time.monotonic() + self._backoff()
            return True
        if posted is None:
            return False
        if await self._persist(
            lambda: self._store.mark_delivered(job.id, self.name, posted.message_id, posted.channel_id),
            "record the post",
        ):
            log.info(
                "job %d was already posted as message %d before a crash; recorded it",
                job.id,
                posted.message_id,
            )
            await self._quietly(self._delivery.delivered(job, posted), job, "show it done")
        return True

    async def _render(self, job: JobRecord, path: Path, lease_lost: asyncio.Event) -> tuple[EncodedClip, str]:
        if job.options_error is not None:
            raise UnreadableJobError(job.options_error)
        image = None
        before: DecodedClip | None = None
        if job.options.extends is not None:
            before = await self._clip_to_extend(job, job.options.extends)
            image = Image.fromarray(before.frames[-1])
        elif job.options.image:
            png = await self._persist(lambda: self._store.image(job.id), "read the job's image")
            if png is None:
                raise RenderInputError("its image is missing")
            image = Image.open(io.BytesIO(png)).convert("RGB")
        generator = self._generators[job.model]
        options = job.options
        smooth_fps = self._options.smooth_fps
        shape = shape_clip(
            generator.preset, options.aspect, options.duration, options.gif, options.fps, smooth_fps
        )
        if before is not None:  # the continuation has the clip's size and rate
            height, width = before.frames.shape[1:3]
            shape = replace(shape, width=width, height=height, fps=before.fps)
        request = RenderRequest(
            prompt=job.prompt,
            seed=job.seed,
            negative_prompt=job.negative_prompt,
            image=image,
            width=shape.width,
            height=shape.height,
            num_frames=shape.num_frames,
            fps=shape.fps,
            sound=not options.gif and options.sound is not False,  # GIFs are silent
        )

        def should_stop() -> bool:
            return lease_lost.is_set() or self._stopping.is_set()

        try:
            if options.shots:
                clip = await self._render_story(job, generator, request, should_stop)
            else:
                on_step = self._progress_reporter(job)
                clip = await asyncio.to_thread(generator.render, request, on_step, should_stop)
        except (RenderCancelledError, RenderInputError):
            raise
        except Exception as exc:
            raise ModelFailedError(first_line(exc)) from exc
        if before is not None:
            clip = await asyncio.to_thread(
                continue_clip, before.frames, before.fps, before.audio, clip, self._options.max_extend_seconds
            )
        frames = clip.frames
        if await self._persist(lambda: self._settings.watermark(job.guild_id), "read the server's settings"):
            frames = await asyncio.to_thread(add_watermark, frames)
        facts = ClipFacts(
            model=clip.model, seed=clip.seed, prompt=job.prompt, negative_prompt=job.negative_prompt
        )
        out = ClipFile(frames, clip.fps, facts, clip.audio, options.format)
        encoded = await asyncio.to_thread(
            write_clip, out, path.with_suffix(f".{out.format}"), job.max_bytes, self._options.credentials
        )
        return encoded, clip.model

    async def _clip_to_extend(self, job: JobRecord, parent_id: int) -> DecodedClip:
        """The posted clip that ``job`` continues, read back from Discord and decoded."""
        parent = await self._persist(lambda: self._store.get(parent_id), "read the clip to extend")
        if parent is None or parent.result_message_id is None:
            raise RenderInputError("the clip to extend is no longer known to the bot")
        try:
            data = await self._delivery.clip_of(parent)
        except DeliveryError as exc:
            log.warning("job %d: the clip of job #%d cannot be read back: %s", job.id, parent_id, exc)
            raise RenderInputError(
                "the clip to extend is no longer on Discord, or the bot can no longer read it"
            ) from exc
        except DeliveryUnavailableError as exc:
            raise ClipUnavailableError(str(exc)) from exc
        path = self._workdir / f"job-{job.id}-extends-{parent_id}.mp4"
        try:
            path.write_bytes(data)
            return await asyncio.to_thread(decode_clip, path)
        except UnreadableClipError as exc:
            log.warning("job %d: the clip of job #%d cannot be decoded: %s", job.id, parent_id, exc)
            raise RenderInputError("the clip to extend cannot be read") from exc
        finally:
            path.unlink(missing_ok=True)

    async def _render_story(
        self,
        job: JobRecord,
        generator: VideoGenerator,
        request: RenderRequest,
        should_stop: Callable[[], bool],
    ) -> RenderedClip:
        """A story's shots one after the other, with one seed; with a model that takes images, each shot
        starts from the last frame of the one before. Then one clip, the shots cross-faded."""
        shots: list[RenderedClip] = []
        prompts = story_shots(job.prompt, job.options.shots)
        if prompts is None:
            raise RenderInputError("the story's prompts are no longer kept")
        for number, prompt in enumerate(prompts, 1):
            if should_stop():
                raise RenderCancelledError(f"stopped before shot {number}")
            if shots and generator.accepts_image:
                request = replace(request, image=Image.fromarray(shots[-1].frames[-1]))
            shot = replace(request, prompt=prompt)
            on_step = self._progress_reporter(job, number)
            shots.append(await asyncio.to_thread(generator.render, shot, on_step, should_stop))
        return await asyncio.to_thread(join_shots, shots)

    async def _time_render(self, job: JobRecord, seconds: float) -> None:
        """Fold a finished render's time into its model's estimate, for the queue's ETAs, and into the
        metrics (a courtesy: a failure is logged, never allowed to stop the job)."""
        preset = self._generators[job.model].preset
        steps = (preset.fixed_steps or preset.defaults.steps) * max(1, job.options.shots)
        self._metrics.observe_render(job.model, seconds, steps)
        size = clip_size(preset, job.options)
        try:
            await self._timings.record(job.model, size, seconds)
        except Exception as exc:
            log.warning("job %d: render time not recorded: %s", job.id, first_line(exc))

    def _progress_reporter(self, job: JobRecord, shot: int = 0) -> Callable[[int, int], None]:
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
                lambda: self._background(
                    self._delivery.progress(job, step, steps, shot), f"job {job.id} progress"
                )
            )

        return on_step

    async def _settle_progress(self) -> None:
        """Let no progress edit still in flight land after a final status."""
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def _background(self, work: Coroutine[Any, Any, None], what: str) -> None:
        task = asyncio.create_task(self._quietly(work, None, what), name=what)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    @staticmethod
    async def _quietly(work: Awaitable[None], job: JobRecord | None, what: str) -> None:
        """Status edits are courtesy: one that fails is logged, never allowed to stop the job."""
        try:
            await work
        except Exception as exc:
            log.warning("job %s: could not %s: %s", job.id if job else "?", what, first_line(exc))

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
                    mine = await self._store.renew_lease(job_id, self.name, self._options.lease_seconds)
                    since_renewal = 0.0
                else:
                    mine = await self._store.still_mine(job_id, self.name)
            except Exception as exc:
                # The lease outlasts a short outage; the render goes on meanwhile.
                self._store_trouble(exc, f"renew job {job_id}'s lease")
                continue
            self._store_back()
            if not mine:
                lease_lost.set()
                return

    # -- telling the member -----------------------------------------------------------------------------
    async def _fail(self, job: JobRecord, reason: str, cause: str) -> None:
        """End ``job`` without a clip and tell its member ``reason``; ``cause`` labels the failure metric."""
        if await self._persist(
            lambda: self._store.mark_failed(job.id, self.name, reason), "record the failure"
        ):
            self._metrics.job_failures.labels(str(cause)).inc()
            await self._settle_progress()
            await self._tell_failure(job, reason)

    async def _tell_failure(self, job: JobRecord, reason: str) -> None:
        """Tell the member; once told, nothing more is owed. If nobody could be told, the notice stays
        owed and housekeeping tries again."""
        try:
            await self._delivery.failed(job, reason)
        except Exception as exc:
            log.warning(
                "job %d: could not tell the member it failed (%s); will try again", job.id, first_line(exc)
            )
            return
        await self._persist(lambda: self._store.notice_sent(job.id), "record the notice")

    async def _housekeep_forever(self) -> None:
        while not self._stopping.is_set():
            try:
                await self._housekeeping()
            except StopRequestedError:
                return
            except Exception:
                log.exception("worker %s: housekeeping failed; trying again later", self.name)
            await self._sleep(HOUSEKEEPING_EVERY)

    async def _housekeeping(self) -> None:
        """Notices still owed, and retention: old tokens, images, prompts and files."""
        try:
            for job in await self._store.due_notices():
                await self._tell_failure(job, job.error or tr(job.locale, "it could not be finished"))
            swept = await self._store.sweep(self._options.retention.prompt_days)
            if swept.tokens or swept.images or swept.prompts:
                log.info(
                    "retention: forgot %d token(s), %d image(s), %d prompt(s)",
                    swept.tokens,
                    swept.images,
                    swept.prompts,
                )
        except Exception as exc:
            if not is_store_outage(exc):
                raise
            self._store_trouble(exc, "do housekeeping")
        try:
            await self._sweep_files()
        except OSError as exc:
            log.warning("could not tidy %s: %s", self._options.clip_dir, first_line(exc))

    async def _sweep_files(self) -> None:
        """Delete kept clips past their retention, and what killed processes left: the workspaces of
        identities no live process holds, and older versions' files at the top of ``clip_dir``. Nothing
        else in ``clip_dir`` is touched."""
        now = time.time()
        keep = self._options.retention.files.total_seconds()
        stale = STALE_TEMPORARY.total_seconds()
        candidates: list[tuple[Path, float]] = []
        if self._kept_dir.is_dir():
            candidates += [(kept, keep) for kept in self._kept_dir.iterdir()]
        workspaces = self._options.clip_dir / WORKSPACES
        if workspaces.is_dir():
            in_use = held_workspaces(self._options.clip_dir)
            candidates += [(w, stale) for w in workspaces.iterdir() if w.name not in in_use]
        for pattern in LEFTOVERS:
            candidates += [(path, stale) for path in self._options.clip_dir.glob(pattern)]
        for path, age in candidates:
            with contextlib.suppress(OSError):
                if now - path.stat().st_mtime > age:
                    if path.is_dir():
                        shutil.rmtree(path, ignore_errors=True)
                    else:
                        path.unlink()
