"""Several workers on one database: no job runs twice, and each claims only the models it serves."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import pytest

from bot.limits import Limits
from bot.model_downloads import DownloadState
from bot.store.engine import create_engine
from bot.store.jobs import JobStore
from bot.store.workers import WorkerRegistry
from tests.integration.test_store import new_job

LIMITS = Limits(max_pending=0, per_hour=0, per_day=0, guild_per_day=0)


@pytest.mark.postgres
async def test_two_workers_with_their_own_connections_never_claim_the_same_job(postgres_url: str) -> None:
    from bot.store.migrate import upgrade_to_head

    engines = [create_engine(postgres_url) for _ in range(2)]
    await upgrade_to_head(engines[0])
    stores = [JobStore(e) for e in engines]
    try:
        for i in range(120):
            await stores[0].submit(new_job(user_id=i % 17, guild_id=i % 5), LIMITS)

        async def drain(store: JobStore, name: str) -> list[int]:
            claimed = []
            while (job := await store.claim(name, 60, 3)) is not None:
                claimed.append(job.id)
            return claimed

        results = await asyncio.gather(*(drain(stores[i % 2], f"w{i}") for i in range(8)))
        everything = [job_id for claimed in results for job_id in claimed]
        assert len(everything) == 120 == len(set(everything))
    finally:
        for engine in engines:
            await engine.dispose()


async def test_workers_claim_only_the_models_they_serve(store: JobStore) -> None:
    wan = await store.submit(replace(new_job(), model="wan"), LIMITS)
    ltx = await store.submit(replace(new_job(user_id=2), model="ltx"), LIMITS)
    assert await store.claim("w", 60, 3, frozenset({"other"})) is None
    got = await store.claim("w", 60, 3, frozenset({"ltx"}))
    assert got is not None and got.id == ltx.job.id  # type: ignore[union-attr]
    got = await store.claim("w", 60, 3, frozenset({"wan", "ltx"}))
    assert got is not None and got.id == wan.job.id  # type: ignore[union-attr]


async def test_workers_advertise_their_models_until_they_retire(store: JobStore) -> None:
    registry = WorkerRegistry(store.engine)
    assert await registry.serving("wan") == {}
    await registry.announce("gpu-1", frozenset({"wan"}))
    await registry.announce("gpu-2", frozenset({"wan", "ltx"}))
    assert await registry.serving("wan") == {"gpu-1": None, "gpu-2": None}
    assert await registry.serving("ltx") == {"gpu-2": None}
    await registry.retire("gpu-2")
    assert await registry.serving("ltx") == {}


async def test_a_worker_advertises_how_far_its_downloads_are_until_it_has_the_model(store: JobStore) -> None:
    registry = WorkerRegistry(store.engine)
    halfway = DownloadState(done=5_000, total=10_000)
    await registry.announce("gpu-1", frozenset({"wan", "ltx"}), {"ltx": halfway})
    assert await registry.serving("ltx") == {"gpu-1": halfway}
    assert await registry.serving("wan") == {"gpu-1": None}  # downloading one model says nothing of another
    stuck = DownloadState(done=5_000, total=10_000, held_up="the Hub did not answer")
    await registry.announce("gpu-1", frozenset({"wan", "ltx"}), {"ltx": stuck})
    assert await registry.serving("ltx") == {"gpu-1": stuck}
    await registry.announce("gpu-1", frozenset({"wan", "ltx"}))
    assert await registry.serving("ltx") == {"gpu-1": None}
