"""``python -m bot status``: the queue by model and server, the workers and the latest failures, read from
real SQLite and PostgreSQL databases, with the bot stopped."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import sys
from datetime import timedelta
from pathlib import Path

from sqlalchemy import update

from bot.store.base import utcnow
from bot.store.engine import create_engine
from bot.store.jobs import JobStore, Submitted
from bot.store.migrate import upgrade_to_head
from bot.store.overview import OverviewStore
from bot.store.schema import JobState, WorkerRow
from bot.store.workers import WorkerRegistry
from standins.bot_process import ROOT
from tests.integration.test_store import new_job


async def _fill(url: str) -> None:
    """Two servers and two models: three queued, one rendering, one failed; a live and a silent worker."""
    engine = create_engine(url)
    try:
        await upgrade_to_head(engine)
        store = JobStore(engine)
        for guild, model in [(10, "wan"), (10, "wan"), (11, "wan"), (11, "ltx"), (10, "ltx")]:
            submitted = await store.submit(
                dataclasses.replace(new_job(user_id=guild * 100 + 1, guild_id=guild), model=model)
            )
            assert isinstance(submitted, Submitted)
        failed = await store.claim("gpu-1", 60, 3, frozenset({"ltx"}))
        assert failed is not None and await store.mark_failed(
            failed.id, "gpu-1", "the GPU ran out of memory for this clip"
        )
        assert await store.claim("gpu-1", 60, 3, frozenset({"wan"})) is not None
        registry = WorkerRegistry(engine)
        await registry.announce("gpu-1", frozenset({"wan", "ltx"}))
        await registry.announce("gpu-2", frozenset({"wan"}))
        async with engine.begin() as conn:
            await conn.execute(
                update(WorkerRow)
                .where(WorkerRow.name == "gpu-2")
                .values(last_seen_at=utcnow() - timedelta(hours=3))
            )
    finally:
        await engine.dispose()


async def test_the_overview_counts_the_queue_by_model_and_server(database_url: str) -> None:
    await _fill(database_url)
    engine = create_engine(database_url)
    try:
        overview = await OverviewStore(engine).overview()
    finally:
        await engine.dispose()
    pending = {(p.model, p.guild_id, p.state): p.jobs for p in overview.pending}
    assert pending == {
        ("ltx", 11, JobState.QUEUED): 1,  # the fair queue gave guild 10's (older) ltx job first
        ("wan", 10, JobState.QUEUED): 1,
        ("wan", 10, JobState.RUNNING): 1,
        ("wan", 11, JobState.QUEUED): 1,
    }
    assert overview.totals == {JobState.QUEUED: 3, JobState.RUNNING: 1, JobState.FAILED: 1}
    assert [(w.name, w.models, w.live) for w in overview.workers] == [
        ("gpu-1", ["ltx", "wan"], True),
        ("gpu-2", ["wan"], False),
    ]
    (failure,) = overview.failures
    assert (failure.model, failure.guild_id) == (
        "ltx",
        10,
    ) and failure.reason == "the GPU ran out of memory for this clip"


async def _status(url: str, cwd: Path) -> tuple[int, str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VIDEOBOT_") and k != "DISCORD_TOKEN"}
    env.update(VIDEOBOT_CONFIG=str(ROOT / "config.toml"), VIDEOBOT_DATABASE__URL=url)
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "status",
        env=env,
        cwd=cwd,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def test_status_prints_the_queue_workers_and_failures_without_a_token(
    sqlite_url: str, tmp_path: Path
) -> None:
    await _fill(sqlite_url)
    code, out, _ = await _status(sqlite_url, tmp_path)
    assert code == 0, out
    lines = out.splitlines()
    assert lines[0] == "Queue"
    assert lines[1].split() == ["model", "server", "queued", "rendering"]
    assert [line.split() for line in lines[2:5]] == [
        ["ltx", "11", "1", "0"],
        ["wan", "10", "1", "1"],
        ["wan", "11", "1", "0"],
    ]
    assert ["(all)", "3", "1"] in [line.split() for line in lines]
    assert any(
        line.startswith("  gpu-1: live, last heartbeat") and "serves ltx, wan" in line for line in lines
    )
    assert any(line.startswith("  gpu-2: silent (gone, or stuck), last heartbeat 3 h ago") for line in lines)
    assert "Jobs in the database: 3 queued, 1 rendering, 0 delivered, 1 failed, 0 cancelled" in lines
    assert "Latest failures, newest first" in lines
    assert any("ltx  server 10: the GPU ran out of memory for this clip" in line for line in lines)


async def test_status_says_when_the_database_cannot_be_reached(tmp_path: Path) -> None:
    code, out, err = await _status("postgresql+asyncpg://nobody@127.0.0.1:9/none", tmp_path)
    assert code == 1 and not out
    assert err.startswith("error: the database cannot be reached")
