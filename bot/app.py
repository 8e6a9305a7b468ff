"""The application object: wires settings, store, generator, Discord client and worker together."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from datetime import timedelta
from pathlib import Path

import discord

from bot.config import ConfigError, Settings
from bot.discord_app.button_actions import JobButtonActions
from bot.discord_app.client import VideoBot
from bot.discord_app.delivery import DiscordDelivery
from bot.discord_app.endpoints import point_discord_at
from bot.discord_app.history_commands import HistoryCommands
from bot.discord_app.job_commands import JobCommands
from bot.discord_app.moderation_commands import ModerationGroup
from bot.discord_app.queue_cards import QueueCards
from bot.discord_app.video_command import VideoCommand
from bot.faults import is_store_outage
from bot.gpu_choice import GpuChoice, NoFreeGpuError, choose_gpu
from bot.health import HealthServer, Probes
from bot.metrics import Metrics
from bot.model_catalog import ModelCatalog, ModelCatalogError
from bot.queue_estimate import QueueEstimator
from bot.store.command_syncs import CommandSyncs
from bot.store.engine import create_engine
from bot.store.jobs import JobStore
from bot.store.limit_overrides import LimitOverrideStore
from bot.store.migrate import upgrade_to_head
from bot.store.moderation import ModerationStore
from bot.store.notify import listen_forever, supports_notify
from bot.store.overview import OverviewStore
from bot.store.server_settings import ServerSettingsStore
from bot.store.timings import RenderTimings
from bot.store.workers import WorkerRegistry
from bot.worker import Retention, Worker, WorkerOptions
from bot.worker_identity import IdentityInUseError, WorkerIdentity, acquire_identity
from generation import RenderOverrides, VideoGenerator
from generation.explained import first_line
from generation.memory import MemoryOptions, gpu_memory
from generation.presets import ModelPreset
from generation.provenance import (
    ProvenanceError,
    SigningCredentials,
    ensure_signing_chain,
    load_signing_credentials,
)
from generation.speed import SpeedOptions

log = logging.getLogger(__name__)

# How long a stopping worker may take to hand its job back before the process exits anyway.
STOP_GRACE_SECONDS = 30.0
# Longest wait between attempts to reach the database at start.
MAX_START_BACKOFF = 30.0


class App:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.engine = create_engine(settings.database.url)
        self.store = JobStore(self.engine, keep_files=timedelta(hours=settings.retention.files_hours))
        self.registry = WorkerRegistry(self.engine)
        self.timings = RenderTimings(self.engine)
        self.moderation = ModerationStore(self.engine)
        self.server_settings = ServerSettingsStore(self.engine)
        self.limit_overrides = LimitOverrideStore(self.engine)
        self.overview = OverviewStore(self.engine)
        self.metrics = Metrics()  # this process's, served by the health endpoint when one is configured
        self._stop = asyncio.Event()

    async def migrate(self) -> None:
        await upgrade_to_head(self.engine)

    async def migrate_when_reachable(self) -> None:
        """Migrate, waiting for a database that is not up yet (a host booting, a blip) instead of exiting."""
        await self._when_reachable(self.migrate)

    async def _when_reachable(self, operation: Callable[[], Awaitable[None]]) -> None:
        """Run a start-up step against the database, waiting out an outage with backoff."""
        delay = 1.0
        while True:
            try:
                await operation()
                return
            except Exception as exc:
                if not is_store_outage(exc):
                    raise
                log.warning("cannot reach the database (%s); trying again in %.0fs", first_line(exc), delay)
            stop = asyncio.create_task(self._stop.wait())
            done, _ = await asyncio.wait([stop], timeout=delay)
            if not done:
                stop.cancel()
            elif self._stop.is_set():
                raise ConfigError("stopped before the database could be reached")
            delay = min(delay * 2, MAX_START_BACKOFF)

    async def close(self) -> None:
        await self.engine.dispose()

    def _generators(self) -> dict[str, VideoGenerator]:
        """Every enabled model by its configured reference, the default model first. Nothing loads yet."""
        g = self.settings.generation
        overrides = RenderOverrides(
            width=g.width,
            height=g.height,
            num_frames=g.num_frames,
            fps=g.fps,
            steps=g.steps,
            guidance=g.guidance,
        )
        memory = MemoryOptions(
            profile=g.memory, vae_tiling={"auto": None, "on": True, "off": False}[g.vae_tiling], fp8=g.fp8
        )
        speed = SpeedOptions(
            attention_backend=g.attention_backend or None,
            cache=g.cache,
            cache_threshold=g.cache_threshold,
            calibration_dir=g.calibration_dir,
            compile=g.compile,
        )
        # The owner's size and step settings shape the default model; the others keep their own defaults.
        generators = {
            g.model: VideoGenerator(g.model, device=g.device, overrides=overrides, memory=memory, speed=speed)
        }
        for reference in [g.image_model, *g.models]:
            if reference and reference not in generators:
                generators[reference] = VideoGenerator(reference, device=g.device, memory=memory, speed=speed)
        return generators

    def _catalog(self, generators: dict[str, VideoGenerator]) -> ModelCatalog:
        image_model = self.settings.generation.image_model
        try:
            return ModelCatalog.of(
                [gen.preset for gen in generators.values()],
                generators[image_model].model_name if image_model else None,
            )
        except ModelCatalogError as exc:
            raise ConfigError(f"generation: {exc}") from None

    def _served(self, generators: dict[str, VideoGenerator]) -> list[VideoGenerator]:
        """The models this worker loads: ``[worker] models``, or every enabled one."""
        wanted = self.settings.worker.models
        if not wanted:
            return list(generators.values())
        unknown = [m for m in wanted if m not in generators]
        if unknown:
            raise ConfigError(f"worker.models names models that are not enabled: {', '.join(unknown)}")
        return [generators[m] for m in wanted]

    def _gpu(self) -> GpuChoice:
        """The GPU this process's worker renders on (``[worker] gpu``), chosen before CUDA starts."""
        try:
            choice = choose_gpu(self.settings.worker.gpu, Path(self.settings.worker.clip_dir) / "gpus")
        except NoFreeGpuError as exc:
            raise ConfigError(f"worker.gpu: {exc}") from None
        if choice.gpu is not None:
            log.info("rendering on GPU %s", choice.gpu)
        return choice

    def _identity(self) -> WorkerIdentity:
        w = self.settings.worker
        try:
            return acquire_identity(Path(w.clip_dir), w.name)
        except IdentityInUseError as exc:
            raise ConfigError(f"worker.name: {exc}") from None

    def _worker(
        self,
        generators: list[VideoGenerator],
        client: discord.Client,
        identity: WorkerIdentity,
        catalog: ModelCatalog,
    ) -> Worker:
        w = self.settings.worker
        retention = self.settings.retention
        options = WorkerOptions(
            name=identity.name,
            workspace=identity.workspace,
            retention=Retention(timedelta(hours=retention.files_hours), retention.prompt_days),
            poll_interval=w.poll_interval,
            lease_seconds=w.lease_seconds,
            max_attempts=w.max_attempts,
            clip_dir=Path(w.clip_dir),
            warmup=w.warmup,
            smooth_fps=self.settings.generation.smooth_fps,
            max_extend_seconds=self.settings.generation.max_extend_seconds,
            credentials=self.signing_credentials(),
            keep_free=int(w.keep_free_gb * 1000**3),
        )
        return Worker(
            self.store,
            self.server_settings,
            self.registry,
            self.timings,
            generators,
            # Clips can be extended where a model that starts from an image is enabled.
            DiscordDelivery(client, extendable=catalog.image_default is not None, metrics=self.metrics),
            options,
            self.metrics,
        )

    def signing_credentials(self) -> SigningCredentials:
        """The owner's certificate if configured, else the bot's own chain (made on first start)."""
        p = self.settings.provenance
        try:
            if p.certificate:
                credentials = load_signing_credentials(Path(p.certificate), Path(p.private_key))
                log.info("signing clips with the certificate in %s", p.certificate)
            else:
                credentials = ensure_signing_chain(Path(p.directory))
                log.info("signing clips with this bot's own chain in %s (root.pem is its root)", p.directory)
        except ProvenanceError as exc:
            raise ConfigError(f"provenance: {exc}") from None
        return credentials

    def _start_worker(self, worker: Worker) -> list[asyncio.Task[None]]:
        """The worker's loop, and on PostgreSQL a listener that wakes it as soon as a job is queued."""
        tasks = [asyncio.create_task(worker.run(), name="worker")]
        if supports_notify(self.settings.database.url):

            def on_job(model: str) -> None:
                if model in worker.models:
                    worker.wake()

            tasks.append(
                asyncio.create_task(listen_forever(self.settings.database.url, on_job), name="listener")
            )
        return tasks

    def _install_signal_handlers(self) -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError):
                loop.add_signal_handler(sig, self._stop.set)

    async def run_bot(self, token: str) -> None:
        """The gateway client, plus an embedded worker unless ``worker.embedded`` is false."""
        # The GPU is chosen before anything starts CUDA, which reads the choice once.
        gpu = self._gpu() if self.settings.worker.embedded else GpuChoice(None)
        try:
            await self._run_bot(token)
        finally:
            gpu.release()

    async def _run_bot(self, token: str) -> None:
        point_discord_at(self.settings.discord.api_base, self.settings.discord.gateway_url)
        self._install_signal_handlers()
        await self.migrate_when_reachable()
        generators = self._generators()
        catalog = self._catalog(generators)
        worker: Worker | None = None

        def wake_worker() -> None:
            if worker is not None:
                worker.wake()

        def job_cancelled(job_id: int) -> None:
            if worker is not None:
                worker.cancelled(job_id)

        client, cards = self._bot_client(catalog, wake_worker, job_cancelled)
        identity = self._identity() if self.settings.worker.embedded else None
        try:
            own = identity.name if identity is not None else None
            await self._when_reachable(lambda: self._settle_jobs_of_changed_models(catalog.presets, own))
            if identity is not None:
                worker = self._worker(self._served(generators), client, identity, catalog)

            async def not_ready() -> str | None:
                if (problem := client.gateway_problem()) is not None:
                    return problem
                if worker is not None:
                    return None if worker.loaded_models else "no model is loaded yet"
                # Rendering is left to separate workers: one must be running.
                if any(models for _, models in await self.registry.live()):
                    return None
                return "no worker is running to render clips"

            async with client, self._monitoring(not_ready, lambda: client.latency):
                await client.login(token)
                tasks = [
                    asyncio.create_task(client.connect(), name="gateway"),
                    asyncio.create_task(cards.run(client), name="queue-cards"),
                ]
                if worker is not None:
                    tasks += self._start_worker(worker)
                await self._run_until_stopped(tasks, worker, client)
        finally:
            if identity is not None:
                identity.release()

    def _bot_client(
        self,
        catalog: ModelCatalog,
        wake_worker: Callable[[], None],
        job_cancelled: Callable[[int], None],
        force_sync: bool = False,
    ) -> tuple[VideoBot, QueueCards]:
        """The gateway client with every command feature, and the refresher of its queue cards."""
        policy = self.settings.limits.policy()
        cards = QueueCards(
            self.store, QueueEstimator(self.store, self.timings, self.registry, catalog.presets)
        )
        video = VideoCommand(
            self.store,
            self.server_settings,
            catalog,
            policy,
            cards,
            wake_worker,
            self.settings.generation.max_extend_seconds,
            self.metrics,
        )
        job_commands = JobCommands(self.store, catalog.default, job_cancelled)
        client = VideoBot(
            [
                video,
                job_commands,
                HistoryCommands(self.store),
                ModerationGroup(
                    self.store,
                    self.limit_overrides,
                    self.moderation,
                    self.server_settings,
                    catalog,
                    policy,
                ),
            ],
            JobButtonActions(self.store, self.moderation, job_commands, video),
            self.settings.discord.command_guilds,
            CommandSyncs(self.engine),
            force_sync,
        )
        return client, cards

    async def sync_commands(self, token: str) -> None:
        """``python -m bot sync``: send the commands to Discord now, whether or not they changed."""
        point_discord_at(self.settings.discord.api_base, self.settings.discord.gateway_url)
        await self.migrate_when_reachable()
        client, _ = self._bot_client(
            self._catalog(self._generators()), lambda: None, lambda job_id: None, True
        )
        async with client:
            await client.login(token)  # logging in runs the client's setup, which syncs

    async def _settle_jobs_of_changed_models(
        self, presets: Mapping[str, ModelPreset], own_worker: str | None
    ) -> None:
        """Jobs recorded under a local model's path (its name before names were made public) move to its
        name; jobs for a model the owner no longer offers would wait for ever (and count against their
        members' limits): they end now, and their members are told by the next worker's housekeeping."""
        for preset in presets.values():
            if preset.source != preset.name and (
                moved := await self.store.rename_model(preset.source, preset.name)
            ):
                log.info("%d job(s) for %s now go by its name %s", moved, preset.source, preset.name)
        # This process's own worker is not live yet, whatever its last advertisement says.
        live = [name for name, _ in await self.registry.live() if name != own_worker]
        ended = await self.store.disabled_models(frozenset(presets), live)
        if ended:
            log.warning(
                "%d job(s) asked for models no longer enabled (%s); their members will be told",
                len(ended),
                ", ".join(sorted({job.model for job in ended})),
            )

    async def run_worker(self, token: str) -> None:
        """A worker alone: claims jobs from the shared database and posts clips over REST."""
        gpu = self._gpu()  # before anything starts CUDA, which reads the choice once
        try:
            await self._run_worker(token)
        finally:
            gpu.release()

    async def _run_worker(self, token: str) -> None:
        point_discord_at(self.settings.discord.api_base, self.settings.discord.gateway_url)
        self._install_signal_handlers()
        await self.migrate_when_reachable()
        client = discord.Client(
            intents=discord.Intents.none(), allowed_mentions=discord.AllowedMentions.none()
        )
        generators = self._generators()
        catalog = self._catalog(generators)  # the same names as the bot's, refused the same way
        identity = self._identity()
        try:
            worker = self._worker(self._served(generators), client, identity, catalog)

            async def not_ready() -> str | None:
                return None if worker.loaded_models else "no model is loaded yet"

            async with client, self._monitoring(not_ready):
                await client.login(token)
                await self._run_until_stopped(self._start_worker(worker), worker, client)
        finally:
            identity.release()

    @contextlib.asynccontextmanager
    async def _monitoring(
        self,
        not_ready: Callable[[], Awaitable[str | None]],
        gateway_latency: Callable[[], float | None] = lambda: None,
    ) -> AsyncIterator[None]:
        """The health and metrics endpoint, while the block runs, if ``[metrics] listen`` names one."""
        address = self.settings.metrics.address()
        if address is None:
            yield
            return
        probes = Probes(self.overview.ping, self.overview.overview, not_ready, gpu_memory, gateway_latency)
        server = HealthServer(self.metrics, probes, *address)
        try:
            await server.start()
        except OSError as exc:
            raise ConfigError(
                f"metrics.listen: cannot listen on {self.settings.metrics.listen}: {exc}"
            ) from None
        try:
            yield
        finally:
            await server.stop()

    async def _run_until_stopped(
        self, tasks: list[asyncio.Task[None]], worker: Worker | None, client: discord.Client
    ) -> None:
        """Run until a signal or a task ends; then let the worker hand back its job, then disconnect."""
        stop = asyncio.create_task(self._stop.wait())
        done, _ = await asyncio.wait([stop, *tasks], return_when=asyncio.FIRST_COMPLETED)
        for task in done:
            if task is not stop and task.exception() is not None:
                log.error("%s stopped", task.get_name(), exc_info=task.exception())
        log.info("shutting down")
        for task in tasks:
            if task.get_name() in ("listener", "queue-cards"):
                task.cancel()
        worker_tasks = [t for t in tasks if t.get_name() == "worker"]
        if worker is not None:
            worker.stop()
            await asyncio.wait(worker_tasks, timeout=STOP_GRACE_SECONDS)
        # The worker may still need the client to post; close it only now.
        await client.close()
        _, pending = await asyncio.wait(tasks, timeout=5)
        for task in (*pending, stop):
            task.cancel()
        await asyncio.gather(*pending, stop, return_exceptions=True)
        for task in tasks:
            if task.done() and not task.cancelled() and task.exception() is not None:
                raise task.exception()  # type: ignore[misc]
