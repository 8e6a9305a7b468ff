"""Queue throughput and claim latency as the queue grows, on SQLite and PostgreSQL.

Fills the queue to each size with jobs spread over 10,000 members in 100 servers (bulk-loaded, with the
fair-queue counters the store keeps), then measures through the real JobStore: submissions per second
(limit checks included), claims per second, and the latency of single claims.

    python -m bench.queue [--sizes 1000 10000 100000] [--databases sqlite postgres]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from sqlalchemy import insert

from bot.limits import Limits, Refusal
from bot.store.base import utcnow
from bot.store.engine import create_engine
from bot.store.jobs import JobStore, NewJob
from bot.store.migrate import upgrade_to_head
from bot.store.schema import EPOCH, FairGuild, FairMember, Job, JobState
from standins.postgres import POSTGRES_ADMIN, temporary_database

MEMBERS = 10_000
GUILDS = 100
MODEL = "bench"
LIMITS = Limits(max_pending=0, per_hour=0, per_day=0, guild_per_day=0)
SAMPLES = 300


def _job_values(i: int) -> dict[str, object]:
    user = i % MEMBERS
    return {
        "guild_id": 1 + user % GUILDS,
        "channel_id": 5,
        "user_id": 1_000_000 + user,
        "application_id": 7,
        "interaction_id": 10**12 + i,
        "interaction_token": "t",
        "prompt": "a cat eating spaghetti",
        "negative_prompt": None,
        "options": {},
        "seed": i,
        "model": MODEL,
        "max_bytes": 10 * 1024 * 1024,
        "state": JobState.QUEUED,
        "attempts": 0,
        "created_at": utcnow(),
    }


def _new_job(values: dict[str, object]) -> NewJob:
    """The submission of a row like ``_job_values``'s, with default options (stored as ``{}``)."""
    return NewJob(**{k: values[k] for k in NewJob.__dataclass_fields__ if k in values and k != "options"})


async def _fill(store: JobStore, start: int, count: int) -> None:
    """Bulk-load ``count`` queued jobs and bring the fair-queue counters in step with them."""
    rows = [_job_values(i) for i in range(start, start + count)]
    members = Counter((r["guild_id"], r["user_id"]) for r in rows)
    guilds = Counter(r["guild_id"] for r in rows)
    async with store.engine.begin() as conn:
        for chunk in range(0, len(rows), 5000):
            await conn.execute(insert(Job), rows[chunk : chunk + 5000])
    async with store._transaction() as session:
        for (guild, user), n in members.items():
            row = await session.get(FairMember, (MODEL, guild, user))
            if row is None:
                session.add(
                    FairMember(model=MODEL, guild_id=guild, user_id=user, queued=n, last_served_at=EPOCH)
                )
            else:
                row.queued += n
        for guild, n in guilds.items():
            row = await session.get(FairGuild, (MODEL, guild))
            if row is None:
                session.add(FairGuild(model=MODEL, guild_id=guild, queued=n, last_served_at=EPOCH))
            else:
                row.queued += n
    # A bulk load outruns autovacuum; refresh planner statistics as a running server would have them.
    async with store.engine.connect() as conn:
        await conn.execution_options(isolation_level="AUTOCOMMIT")
        await conn.exec_driver_sql("ANALYZE")


async def _run(url: str, sizes: list[int]) -> list[tuple[int, float, float, float, float]]:
    engine = create_engine(url)
    await upgrade_to_head(engine)
    store = JobStore(engine)
    results = []
    loaded = 0
    next_id = 0
    try:
        for size in sizes:
            await _fill(store, next_id, size - loaded)
            next_id += size - loaded
            loaded = size
            started = time.perf_counter()
            for i in range(SAMPLES):
                new = _new_job(_job_values(next_id + i))
                await store.submit(new, LIMITS)
            submits = SAMPLES / (time.perf_counter() - started)
            next_id += SAMPLES
            latencies = []
            for _ in range(SAMPLES):
                t = time.perf_counter()
                assert await store.claim("bench", 600, 3) is not None
                latencies.append(time.perf_counter() - t)
            claims = SAMPLES / sum(latencies)
            latencies.sort()
            p50 = statistics.median(latencies) * 1000
            p99 = latencies[int(0.99 * (len(latencies) - 1))] * 1000
            results.append((size, submits, claims, p50, p99))
    finally:
        await engine.dispose()
    return results


async def _race(url: str, attempts: int = 50, max_pending: int = 2) -> int:
    """Submit ``attempts`` jobs from one member at once under ``max_pending``; return how many got in."""
    engine = create_engine(url)
    await upgrade_to_head(engine)
    store = JobStore(engine)
    limits = Limits(max_pending=max_pending, per_hour=0, per_day=0, guild_per_day=0)
    try:
        values = [_job_values(10**9 + i) | {"user_id": 42, "guild_id": 4242} for i in range(attempts)]
        news = [_new_job(v) for v in values]
        results = await asyncio.gather(*(store.submit(new, limits) for new in news))
        return sum(not isinstance(r, Refusal) for r in results)
    finally:
        await engine.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10_000, 100_000])
    parser.add_argument(
        "--databases", nargs="+", choices=["sqlite", "postgres"], default=["sqlite", "postgres"]
    )
    parser.add_argument("--postgres", default=POSTGRES_ADMIN, help="server to create a scratch database on")
    args = parser.parse_args()
    print(f"{MEMBERS} members in {GUILDS} servers; {SAMPLES} submits and {SAMPLES} claims per row")
    columns = ("submits/s", "claims/s", "claim p50 ms", "claim p99 ms")
    print(f"{'database':10} {'queued':>8} " + " ".join(f"{c:>13}" for c in columns))
    races = []
    for database in args.databases:
        with tempfile.TemporaryDirectory() as tmp, contextlib.ExitStack() as stack:
            if database == "postgres":
                url = stack.enter_context(temporary_database(args.postgres))
            else:
                url = f"sqlite+aiosqlite:///{Path(tmp) / 'queue.db'}"
            for size, submits, claims, p50, p99 in asyncio.run(_run(url, sorted(args.sizes))):
                print(f"{database:10} {size:8} {submits:13.0f} {claims:13.0f} {p50:13.2f} {p99:13.2f}")
            races.append((database, asyncio.run(_race(url))))
    for database, accepted in races:
        print(
            f"race on {database}: 50 simultaneous submits, one member, max_pending=2: {accepted}/50 accepted"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
