"""A worker's missing models, downloaded before it loads them, while the gateway and the worker's
housekeeping go on: progress advertised every few seconds (members' status cards show it), logged at most
every ``LOG_EVERY`` seconds, and a download that fails tried again with a growing pause, never ending the
process. Each try runs in a process of its own, so a worker asked to stop leaves its download at once; what
it finished stays in the cache."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import sys
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from bot.model_downloads import GB, DownloadState, DownloadStoppedError, DownloadTracker
from generation.download import needs_download
from generation.presets import ModelPreset

log = logging.getLogger(__name__)

# How often a download's progress is written to the database (and the log checked).
PUBLISH_EVERY = 3.0
# Pause before trying a failed download again, doubling each time up to RETRY_MAX.
RETRY_FIRST = 5.0
RETRY_MAX = 300.0

Announce = Callable[[Mapping[str, DownloadState]], Awaitable[None]]


class ModelFetcher:
    def __init__(
        self,
        worker: str,
        announce: Announce,
        keep_free: int,
        stopping: asyncio.Event,
        tracker: DownloadTracker | None = None,
    ) -> None:
        """``announce`` advertises the worker with its downloads (and must not raise); ``keep_free``: the
        bytes of free disk a download must leave; ``stopping`` is set when the worker is asked to stop."""
        self._worker = worker
        self._announce = announce
        self._keep_free = keep_free
        self._stopping = stopping
        self._tracker = tracker or DownloadTracker()

    async def fetch(self, preset: ModelPreset) -> None:
        """Download what ``preset`` lacks, if anything (a local directory or a complete cache needs no
        network). Returns once it is here; raises DownloadStoppedError if the worker stops first."""
        if not await asyncio.to_thread(needs_download, preset):
            return
        model = preset.name
        log.info("worker %s downloading %s before loading it", self._worker, model)
        self._tracker.started(model)
        publisher = asyncio.create_task(self._publish_forever(), name="download-progress")
        try:
            await self._fetch_until_here(preset)
        finally:
            publisher.cancel()
            await asyncio.gather(publisher, return_exceptions=True)
            self._tracker.finished(model)

    async def _fetch_until_here(self, preset: ModelPreset) -> None:
        model, pause = preset.name, RETRY_FIRST
        while True:
            try:
                fetched, total = await self._download(model)
            except DownloadFailedError as exc:
                log.error(
                    "worker %s could not download %s: %s; trying again in %.0f s",
                    self._worker,
                    model,
                    exc,
                    pause,
                )
                self._tracker.held_up(model, str(exc))
                await self._announce(self._tracker.snapshot())
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), pause)
                if self._stopping.is_set():
                    raise DownloadStoppedError from None
                pause = min(pause * 2, RETRY_MAX)
                continue
            log.info(
                "worker %s downloaded %s (%.2f GB fetched, %.2f GB in all)",
                self._worker,
                model,
                fetched / GB,
                total / GB,
            )
            return

    async def _download(self, model: str) -> tuple[int, int]:
        """One try, in a process of its own (``python -m generation download``), so that a stop ends it at
        once however stalled its connection is: a thread blocked on a socket would hold the process open.
        Returns the bytes fetched and the model's total; raises DownloadFailedError with the reason."""
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "generation", "download", model, "--keep-free", str(self._keep_free),
            stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        assert process.stdout is not None and process.stderr is not None
        said = asyncio.create_task(self._follow(model, process.stdout))
        noise = asyncio.create_task(_tail(process.stderr))
        exited = asyncio.create_task(process.wait())
        stopped = asyncio.create_task(self._stopping.wait())
        try:
            await asyncio.wait([exited, stopped], return_when=asyncio.FIRST_COMPLETED)
            if not exited.done():
                raise DownloadStoppedError
            last, stderr = await said, await noise
        finally:
            stopped.cancel()
            if process.returncode is None:
                await _end(process)
            for task in (said, noise, exited):
                task.cancel()
        if last is not None and "fetched" in last:
            return int(last["fetched"]), int(last.get("total", 0))
        if last is not None and "error" in last:
            raise DownloadFailedError(str(last["error"]))
        raise DownloadFailedError(f"the download process ended with {process.returncode}: {stderr}")

    async def _follow(self, model: str, lines: asyncio.StreamReader) -> dict[str, Any] | None:
        """Report the child's progress lines; return its last line."""
        last: dict[str, Any] | None = None
        async for raw in lines:
            with contextlib.suppress(ValueError):
                line = json.loads(raw)
                if isinstance(line, dict):
                    last = line
                    if isinstance(line.get("done"), int) and isinstance(line.get("total"), int):
                        self._tracker.progress(model, line["done"], line["total"])
        return last

    async def _publish_forever(self) -> None:
        while True:
            for model, state in self._tracker.due_for_log().items():
                log.info("worker %s downloading %s: %s", self._worker, model, state.describe())
            await self._announce(self._tracker.snapshot())
            await asyncio.sleep(PUBLISH_EVERY)


class DownloadFailedError(Exception):
    """One try at a download failed; the message says why, for the owner."""


async def _tail(stream: asyncio.StreamReader, keep: int = 5) -> str:
    """The last lines the child wrote to standard error (read as it goes, so its pipe never fills)."""
    lines: list[str] = []
    async for raw in stream:
        lines = [*lines[-(keep - 1) :], raw.decode(errors="replace").rstrip()]
    return " / ".join(line for line in lines if line) or "no message"


async def _end(process: asyncio.subprocess.Process) -> None:
    with contextlib.suppress(ProcessLookupError):
        process.terminate()
    try:
        await asyncio.wait_for(process.wait(), 5)
    except TimeoutError:
        with contextlib.suppress(ProcessLookupError):
            process.kill()
        await process.wait()
