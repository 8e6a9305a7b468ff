"""The Prometheus metrics of one bot or worker process, in its own registry (served by ``health.py``).

Counters and histograms are fed where things happen (the worker, delivery, ``/video``); the queue, the
jobs by state, the workers and the GPU are read when Prometheus scrapes.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from bot.store.overview import Overview

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
_RENDER_BUCKETS = (1, 2, 5, 10, 20, 30, 60, 120, 300, 600, 1200, 1800, 3600)
_STEP_BUCKETS = (0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.queue = Gauge(
            "videobot_queue_jobs",
            "Jobs waiting or rendering, by model and state",
            ["model", "state"],
            registry=r,
        )
        self.jobs = Gauge("videobot_jobs", "Jobs the database holds, by state", ["state"], registry=r)
        self.render_seconds = Histogram(
            "videobot_render_seconds",
            "Seconds to render one clip (all its shots), by model",
            ["model"],
            buckets=_RENDER_BUCKETS,
            registry=r,
        )
        self.step_seconds = Histogram(
            "videobot_step_seconds",
            "Seconds per denoising step, by model",
            ["model"],
            buckets=_STEP_BUCKETS,
            registry=r,
        )
        self.delivery_attempts = Counter(
            "videobot_delivery_attempts",
            "Posts of a clip or notice tried, by route (channel, followup, dm)",
            ["route"],
            registry=r,
        )
        self.delivery_failures = Counter(
            "videobot_delivery_failures",
            "Posts Discord did not take, by route and cause (forbidden, not_found, server_error, refused)",
            ["route", "cause"],
            registry=r,
        )
        self.job_failures = Counter(
            "videobot_job_failures", "Jobs that ended without a clip, by cause", ["cause"], registry=r
        )
        self.refusals = Counter(
            "videobot_refusals",
            "Requests refused by a limit, a ban or a blocked term, by kind",
            ["kind"],
            registry=r,
        )
        self.worker_heartbeat = Gauge(
            "videobot_worker_last_heartbeat_timestamp_seconds",
            "When each worker last advertised itself",
            ["worker"],
            registry=r,
        )
        self.worker_serves = Gauge(
            "videobot_worker_serves",
            "1 for each model each live worker serves",
            ["worker", "model"],
            registry=r,
        )
        self.model_download = Gauge(
            "videobot_model_download_ratio",
            "How much of each model a live worker is still downloading has arrived (0 to 1)",
            ["worker", "model"],
            registry=r,
        )
        self.gpu_memory = Gauge(
            "videobot_gpu_memory_bytes",
            "GPU memory, used and total, by device",
            ["device", "kind"],
            registry=r,
        )
        self.gateway_latency = Gauge(
            "videobot_gateway_latency_seconds",
            "Discord gateway heartbeat latency (bot process only)",
            registry=r,
        )

    def observe_render(self, model: str, seconds: float, steps: int) -> None:
        self.render_seconds.labels(model).observe(seconds)
        if steps > 0:
            self.step_seconds.labels(model).observe(seconds / steps)

    def scraped(
        self,
        overview: Overview | None,
        gpus: Iterable[tuple[int, int, int]] = (),
        gateway_latency: float | None = None,
    ) -> bytes:
        """The exposition, with the values read at scrape time filled in first (the database's only when
        it could be read: a scrape during an outage still answers)."""
        if overview is not None:
            self._from_overview(overview)
        self.gpu_memory.clear()
        for index, used, total in gpus:
            self.gpu_memory.labels(str(index), "used").set(used)
            self.gpu_memory.labels(str(index), "total").set(total)
        if gateway_latency is not None and math.isfinite(gateway_latency):
            self.gateway_latency.set(gateway_latency)
        return generate_latest(self.registry)

    def _from_overview(self, overview: Overview) -> None:
        self.queue.clear()
        for entry in overview.pending:
            self.queue.labels(entry.model, entry.state.value).inc(entry.jobs)
        self.jobs.clear()
        for state, count in overview.totals.items():
            self.jobs.labels(state.value).set(count)
        self.worker_heartbeat.clear()
        self.worker_serves.clear()
        self.model_download.clear()
        for worker in overview.workers:
            self.worker_heartbeat.labels(worker.name).set(worker.last_seen_at.timestamp())
            if worker.live:
                for model in worker.models:
                    self.worker_serves.labels(worker.name, model).set(1)
                for model, download in worker.downloads.items():
                    self.model_download.labels(worker.name, model).set(download.fraction)
