"""The health and metrics endpoint of the unmodified bot process: after two clips, /metrics has the queue,
render-time and delivery series with the right counts; /healthz and /readyz change state when PostgreSQL
or Discord's gateway goes away, and come back with them."""

from __future__ import annotations

import socket
from pathlib import Path

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families

from standins.bot_process import bot_env, bot_process
from standins.discord import DiscordStandIn
from standins.tcp_proxy import TcpProxy
from tests.acceptance.support import MEMBER, clip_posts, wait_until


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def _get(url: str) -> tuple[int, str]:
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        return response.status, await response.text()


def _samples(exposition: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(exposition)
        for sample in family.samples
    }


def _value(samples: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str, **labels: str) -> float:
    """The one sample named ``name`` whose labels include ``labels``."""
    (value,) = [v for (n, ls), v in samples.items() if n == name and set(labels.items()) <= ls]
    return value


@pytest.mark.postgres
async def test_metrics_after_two_clips_and_health_through_outages(
    tiny_wan: Path, postgres_url: str, tmp_path: Path
) -> None:
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    async with TcpProxy("127.0.0.1", 5432) as proxy, DiscordStandIn() as discord:
        env = bot_env(
            discord, tiny_wan, proxy.url_for(postgres_url), VIDEOBOT_METRICS__LISTEN=f"127.0.0.1:{port}"
        )
        async with bot_process(discord, env, tmp_path):
            await wait_until(lambda: _ready(base), 120, "/readyz to answer ok")
            for prompt in ("a cat", "a dog"):
                await discord.interact(discord.slash_command("video", MEMBER, prompt=prompt))
                await wait_until(lambda: bool(clip_posts(discord, 1)), 120, "the first clip")
            await wait_until(lambda: bool(clip_posts(discord, 2)), 120, "the second clip")

            status, page = await _get(f"{base}/metrics")
            assert status == 200
            samples = _samples(page)
            assert _value(samples, "videobot_render_seconds_count") == 2
            assert _value(samples, "videobot_step_seconds_count") == 2
            assert _value(samples, "videobot_delivery_attempts_total", route="channel") == 2
            assert not [key for key in samples if key[0] == "videobot_delivery_failures_total"]
            assert _value(samples, "videobot_jobs", state="delivered") == 2
            assert not [key for key in samples if key[0] == "videobot_queue_jobs"]  # nothing waits
            assert _value(samples, "videobot_worker_serves") == 1
            assert _value(samples, "videobot_gateway_latency_seconds") >= 0

            # The database goes away: the process is not healthy, and says why; then it is again.
            assert await _get(f"{base}/healthz") == (200, "ok\n")
            proxy.down()
            status, text = await _get(f"{base}/healthz")
            assert status == 503 and text.startswith("the database cannot be reached")
            proxy.up()
            await wait_until(lambda: _answers(f"{base}/healthz", 200), 30, "/healthz to recover")

            # Discord's gateway goes away: not ready; it reconnects when the gateway is back.
            await discord.drop_gateway()
            await wait_until(lambda: _answers(f"{base}/readyz", 503), 30, "/readyz to notice")
            status, text = await _get(f"{base}/readyz")
            assert text.startswith("disconnected from Discord's gateway")
            discord.gateway_open = True
            await wait_until(lambda: _ready(base), 90, "/readyz after the gateway is back")


async def _answers(url: str, status: int) -> bool:
    try:
        return (await _get(url))[0] == status
    except aiohttp.ClientError:
        return False


async def _ready(base: str) -> bool:
    return await _answers(f"{base}/readyz", 200)
