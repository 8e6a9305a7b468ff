"""The monitoring endpoint of a bot or worker process (``[metrics] listen``): ``/metrics`` for Prometheus,
``/healthz`` (the process answers and reaches its database) and ``/readyz`` (it can do its work: for the
bot, connected to Discord's gateway with a model loaded somewhere; for a worker, a model loaded).

An answer is plain text: "ok", or what is wrong, with HTTP 503.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass

from aiohttp import web

from bot.metrics import CONTENT_TYPE, Metrics
from bot.store.overview import Overview
from generation.explained import first_line

log = logging.getLogger(__name__)

# How long a check may take before it counts as failed (Docker's and Kubernetes' probes wait a few seconds).
CHECK_SECONDS = 3.0


@dataclass(frozen=True)
class Probes:
    """What the endpoint asks of the process."""

    ping_database: Callable[[], Awaitable[None]]
    overview: Callable[[], Awaitable[Overview]]
    not_ready: Callable[[], Awaitable[str | None]]  # why the process cannot work yet; None: it can
    gpus: Callable[[], Iterable[tuple[int, int, int]]] = lambda: ()
    gateway_latency: Callable[[], float | None] = lambda: None


class HealthServer:
    def __init__(self, metrics: Metrics, probes: Probes, host: str, port: int) -> None:
        self._metrics = metrics
        self._probes = probes
        self._host, self._port = host, port
        self._runner: web.AppRunner | None = None
        self.port = port  # the one bound, once started (port 0 picks a free one)

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/healthz", self._healthz)
        app.router.add_get("/readyz", self._readyz)
        app.router.add_get("/metrics", self._metrics_page)
        self._runner = web.AppRunner(app, handle_signals=False, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self._host, self._port)
        await site.start()
        sockets = getattr(site._server, "sockets", None) or []
        self.port = sockets[0].getsockname()[1] if sockets else self._port
        log.info("health and metrics on http://%s:%d (/metrics, /healthz, /readyz)", self._host, self.port)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _healthz(self, request: web.Request) -> web.Response:
        try:
            await asyncio.wait_for(self._probes.ping_database(), CHECK_SECONDS)
        except Exception as exc:
            return _answer(f"the database cannot be reached: {first_line(exc) or type(exc).__name__}")
        return _answer(None)

    async def _readyz(self, request: web.Request) -> web.Response:
        try:
            problem = await asyncio.wait_for(self._probes.not_ready(), CHECK_SECONDS)
        except Exception as exc:
            problem = f"readiness could not be checked: {first_line(exc) or type(exc).__name__}"
        return _answer(problem)

    async def _metrics_page(self, request: web.Request) -> web.Response:
        try:
            overview: Overview | None = await asyncio.wait_for(self._probes.overview(), CHECK_SECONDS)
        except Exception as exc:
            log.warning("metrics: the database could not be read (%s)", first_line(exc) or type(exc).__name__)
            overview = None
        gpus = await asyncio.to_thread(lambda: list(self._probes.gpus()))
        body = self._metrics.scraped(overview, gpus, self._probes.gateway_latency())
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE})


def _answer(problem: str | None) -> web.Response:
    if problem is None:
        return web.Response(text="ok\n")
    return web.Response(text=problem + "\n", status=503)
