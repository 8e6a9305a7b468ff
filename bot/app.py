"""The application object: wires settings, store, generator, Discord client and worker together."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from pathlib import Path

import discord

from bot.config import ConfigError, Settings
from bot.discord_app.client import VideoBot
from bot.discord_app.delivery import DiscordDelivery
from bot.discord_app.endpoints import point_discord_at
from bot.discord_app.job_commands import JobCommands
from bot.discord_app.moderation_commands import ModerationCommands
from bot.discord_app.video_command import VideoCommand
from bot.limits import Limits
from bot.model_catalog import ModelCatalog
from bot.store.engine import create_engine
from bot.store.jobs import JobStore
from bot.store.migrate import upgrade_to_head
from bot.store.moderation import ModerationStore
from bot.store.notify import listen_forever, supports_notify
from bot.store.workers import WorkerRegistry
from bot.worker import Worker, WorkerOptions, default_worker_name
from generation import RenderOverrides, VideoGenerator
from generation.memory import MemoryOptions
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


class App:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.engine = create_engine(settings.database.url)
        self.store = JobStore(self.engine)
        self.registry = WorkerRegistry(self.engine)
        self.moderation = ModerationStore(self.engine)
        self._stop = asyncio.Event()

    async def migrate(self) -> None:
        await upgrade_to_head(self.engine)

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
        return ModelCatalog.of(
            [gen.preset for gen in generators.values()],
            generators[image_model].model_name if image_model else None,
        )

    def _served(self, generators: dict[str, VideoGenerator]) -> list[VideoGenerator]:
        """The models this worker loads: ``[worker] models``, or every enabled one."""
        wanted = self.settings.worker.models
        if not wanted:
            return list(generators.values())
        unknown = [m for m in wanted if m not in generators]
        if unknown:
            raise ConfigError(f"worker.models names models that are not enabled: {', '.join(unknown)}")
        return [generators[m] for m in wanted]

    def _worker(self, generators: list[VideoGenerator], client: discord.Client) -> Worker:
        w = self.settings.worker
        options = WorkerOptions(
            name=w.name or default_worker_name(),
            poll_interval=w.poll_interval,
            lease_seconds=w.lease_seconds,
            max_attempts=w.max_attempts,
            clip_dir=Path(w.clip_dir),
            warmup=w.warmup,
            smooth_fps=self.settings.generation.smooth_fps,
            credentials=self.signing_credentials(),
        )
        return Worker(
            self.store, self.moderation, self.registry, generators, DiscordDelivery(client), options
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
        point_discord_at(self.settings.discord.api_base, self.settings.discord.gateway_url)
        await self.migrate()
        generators = self._generators()
        catalog = self._catalog(generators)
        worker: Worker | None = None

        def wake_worker() -> None:
            if worker is not None:
                worker.wake()

        def job_cancelled(job_id: int) -> None:
            if worker is not None:
                worker.cancelled(job_id)

        limits = Limits(**self.settings.limits.model_dump())
        client = VideoBot(
            [
                VideoCommand(self.store, self.registry, catalog, limits, wake_worker),
                ModerationCommands(self.store, self.moderation, limits),
            ],
            JobCommands(self.store, catalog.default, job_cancelled),
            self.settings.discord.command_guilds,
        )
        if self.settings.worker.embedded:
            worker = self._worker(self._served(generators), client)
        self._install_signal_handlers()
        async with client:
            await client.login(token)
            tasks = [asyncio.create_task(client.connect(), name="gateway")]
            if worker is not None:
                tasks += self._start_worker(worker)
            await self._run_until_stopped(tasks, worker, client)

    async def run_worker(self, token: str) -> None:
        """A worker alone: claims jobs from the shared database and posts clips over REST."""
        point_discord_at(self.settings.discord.api_base, self.settings.discord.gateway_url)
        await self.migrate()
        client = discord.Client(
            intents=discord.Intents.none(), allowed_mentions=discord.AllowedMentions.none()
        )
        worker = self._worker(self._served(self._generators()), client)
        self._install_signal_handlers()
        async with client:
            await client.login(token)
            await self._run_until_stopped(self._start_worker(worker), worker, client)

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
            if task.get_name() == "listener":
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
