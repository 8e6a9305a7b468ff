"""A worker's models that are not on disk, downloaded in the background while the worker serves the others
and the gateway goes on: progress advertised every few seconds (members' status cards show it), logged at
most every ``LOG_EVERY`` seconds, and a download that fails tried again with a growing pause, never ending
the process. Each try runs in a process of its own, so a worker asked to stop leaves its download at
once; what it finished stays in the cache, and the next try counts it as fetched."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import sys
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from bot.model_downloads import GB, DownloadState, DownloadStoppedError, DownloadTracker
from generation.download import NotCachedOfflineError, needs_download
from generation.explained import first_line
from generation.presets import ModelPreset

log = logging.getLogger(__name__)

# How often a download's progress is written to the database (and the log checked).
PUBLISH_EVERY = 3.0
# Pause before trying a failed download again, doubling each time up to RETRY_MAX.
RETRY_FIRST = 5.0
RETRY_MAX = 300.0
# Longest line read from the download process (its JSON lines are short; its log lines may not be).
LINE_LIMIT = 1024 * 1024


class DownloadFailedError(Exception):
    """One try at a download failed; the message says why, for the owner."""


class ModelFetcher:
    def __init__(
        self,
        worker: str,
        announce: Callable[[], Awaitable[None]],
        keep_free: int,
        stopping: asyncio.Event,
        fetched: Callable[[str], None],
        tracker: DownloadTracker | None = None,
    ) -> None:
        """``announce`` advertises the worker with :meth:`downloads` (and must not raise); ``keep_free``:
        the bytes of free disk a download must leave; ``stopping`` is set when the worker is asked to stop;
        ``fetched(model)`` is told each model that is here once its download is over."""
        self._worker = worker
        self._announce = announce
        self._keep_free = keep_free
        self._stopping = stopping
        self._fetched = fetched
        self._tracker = tracker or DownloadTracker()

    def downloads(self) -> dict[str, DownloadState]:
        """The models still downloading, and how far each is."""
        return self._tracker.snapshot()

    async def missing(self, presets: Sequence[ModelPreset]) -> list[ModelPreset]:
        """The presets whose weights are not all on disk (no network asked), each counted as downloading
        from now on, so that members waiting for it hear so at once."""
        missing = []
        for preset in presets:
            try:
                needed = await asyncio.to_thread(needs_download, preset)
            except Exception:  # offline, or the cache unreadable: the download's tries say why
                needed = True
            if needed:
                self._tracker.started(preset.name)
                missing.append(preset)
        return missing

    async def fetch_all(self, presets: Sequence[ModelPreset]) -> None:
        """Download each preset in turn, each until it is here, telling ``fetched`` as each is; raises
        DownloadStoppedError if the worker stops first."""
        publisher = asyncio.create_task(self._publish_forever(), name="download-progress")
        try:
            for preset in presets:
                await self._fetch_until_here(preset)
                self._tracker.finished(preset.name)
                await self._announce()
                self._fetched(preset.name)
        finally:
            publisher.cancel()
            await asyncio.gather(publisher, return_exceptions=True)

    async def _fetch_until_here(self, preset: ModelPreset) -> None:
        model, pause = preset.name, RETRY_FIRST
        log.info("worker %s downloading %s before loading it", self._worker, model)
        while True:
            try:
                fetched, total = await self._try(preset)
            except DownloadStoppedError:
                raise
            except Exception as exc:
                explained = isinstance(exc, DownloadFailedError | NotCachedOfflineError)
                reason = str(exc) if explained else first_line(exc)
                log.error(
                    "worker %s could not download %s: %s; trying again in %.0f s",
                    self._worker,
                    model,
                    reason,
                    pause,
                )
                self._tracker.held_up(model, reason)
                await self._announce()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), pause)
                if self._stopping.is_set():
                    raise DownloadStoppedError from None
                pause = min(pause * 2, RETRY_MAX)
                self._tracker.retrying(model)
                continue
            log.info(
                "worker %s downloaded %s (%.2f GB fetched, %.2f GB in all)",
                self._worker,
                model,
                fetched / GB,
                total / GB,
            )
            return

    async def _try(self, preset: ModelPreset) -> tuple[int, int]:
        """One try: nothing to do if the model is whole on disk by now; else a download in a process of
        its own (``python -m generation download``), so that a stop ends it at once however stalled its
        connection is (a thread blocked on a socket would hold the whole process open). Returns the bytes
        fetched and the model's total; raises DownloadFailedError with the reason."""
        if not await asyncio.to_thread(needs_download, preset):
            return 0, 0
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "generation", "download", preset.name, "--keep-free", str(self._keep_free),
            stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
            limit=LINE_LIMIT,
            start_new_session=True,  # a Ctrl-C in the terminal is for the bot to handle, not the child
        )  # fmt: skip
        assert process.stdout is not None and process.stderr is not None
        said = asyncio.create_task(self._follow(preset.name, process.stdout))
        noise = asyncio.create_task(_tail(process.stderr))
        exited = asyncio.create_task(process.wait())
        stopped = asyncio.create_task(self._stopping.wait())
        try:
            await asyncio.wait([exited, stopped], return_when=asyncio.FIRST_COMPLETED)
            if self._stopping.is_set():
                raise DownloadStoppedError
            last, stderr = await said, await noise
        finally:
            stopped.cancel()
            if process.returncode is None:
                await _end(process)
            for task in (said, noise, exited):
                task.cancel()
            await asyncio.gather(said, noise, exited, stopped, return_exceptions=True)
        if last is not None and "fetched" in last:
            return int(last["fetched"]), int(last.get("total", 0))
        if last is not None and "error" in last:
            raise DownloadFailedError(str(last["error"]))
        raise DownloadFailedError(f"the download process ended with {process.returncode}: {stderr}")

    async def _follow(self, model: str, lines: asyncio.StreamReader) -> dict[str, Any] | None:
        """Report the child's progress lines; return its last one."""
        last: dict[str, Any] | None = None
        with contextlib.suppress(ValueError):  # a line past LINE_LIMIT: the child is not ours to trust
            async for raw in lines:
                with contextlib.suppress(ValueError):
                    line = json.loads(raw)
                    if isinstance(line, dict):
                        last = line
                        done, total = line.get("done"), line.get("total")
                        if isinstance(done, int) and isinstance(total, int):
                            self._tracker.progress(model, done, total)
        return last

    async def _publish_forever(self) -> None:
        while True:
            for model, state in self._tracker.due_for_log().items():
                log.info("worker %s downloading %s: %s", self._worker, model, state.describe())
            await self._announce()
            await asyncio.sleep(PUBLISH_EVERY)


async def _tail(stream: asyncio.StreamReader, keep: int = 5) -> str:
    """The last lines the child wrote to standard error (read as it goes, so its pipe never fills)."""
    lines: list[str] = []
    with contextlib.suppress(ValueError):
        async for raw in stream:
            lines = [*lines[-(keep - 1) :], raw.decode(errors="replace").rstrip()[:500]]
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
