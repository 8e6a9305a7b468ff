"""The job store on real SQLite and PostgreSQL databases."""

from __future__ import annotations

import asyncio
import itertools
from datetime import timedelta

from alembic.script import ScriptDirectory
from sqlalchemy import inspect, update

from bot.job_options import JobOptions
from bot.store.base import utcnow
from bot.store.engine import create_engine
from bot.store.jobs import JobStore, NewJob, Submitted
from bot.store.migrate import alembic_config, current_revision, upgrade_to_head
from bot.store.schema import Job, JobState

_ids = itertools.count(1)


def new_job(user_id: int = 1, guild_id: int = 10, prompt: str = "a cat") -> NewJob:
    n = next(_ids)
    return NewJob(
        guild_id=guild_id,
        channel_id=20,
        user_id=user_id,
        application_id=30,
        interaction_id=10_000 + n,
        interaction_token=f"tok-{n}",
        prompt=prompt,
        seed=n,
        model="tiny",
        max_bytes=10 * 1024 * 1024,
        negative_prompt="blurry",
        options=JobOptions(aspect="9:16", duration=2.5, format="gif", sound=False),
    )


async def test_migrations_create_the_schema_and_are_idempotent(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        await upgrade_to_head(engine)
        await upgrade_to_head(engine)
        head = ScriptDirectory.from_config(alembic_config()).get_current_head()
        assert await current_revision(engine) == head
        async with engine.connect() as conn:
            columns = await conn.run_sync(lambda c: {col["name"] for col in inspect(c).get_columns("jobs")})
        expected = {
            "guild_id", "channel_id", "user_id", "prompt", "options", "seed", "model", "state", "attempts",
            "created_at", "started_at", "finished_at", "error", "status_message_id", "result_message_id",
        }  # fmt: skip
        assert expected <= columns
    finally:
        await engine.dispose()


async def test_submit_records_everything_and_reports_queue_position(store: JobStore) -> None:
    first = await store.submit(new_job(prompt="a cat 'quoted'; DROP TABLE jobs; --"))
    second = await store.submit(new_job(user_id=2))
    assert (first.position, second.position) == (1, 2)
    job = await store.get(first.job.id)
    assert job is not None
    assert job.prompt == "a cat 'quoted'; DROP TABLE jobs; --"
    assert job.state is JobState.QUEUED and job.attempts == 0
    assert job.negative_prompt == "blurry" and job.options == JobOptions(
        aspect="9:16", duration=2.5, format="gif", sound=False
    )
    assert job.created_at.tzinfo is not None
    assert second.queue_length == 2


async def test_a_redelivered_interaction_is_not_queued_twice(store: JobStore) -> None:
    job = new_job()
    first = await store.submit(job)
    again = await store.submit(job)
    assert isinstance(again, Submitted) and isinstance(first, Submitted)
    assert again.duplicate and again.job.id == first.job.id and again.queue_length == 1


async def test_claims_go_oldest_first_and_move_positions(store: JobStore) -> None:
    ids = [(await store.submit(new_job(user_id=u))).job.id for u in range(3)]
    claimed = await store.claim("w1", 60, 3)
    assert claimed is not None and claimed.id == ids[0]
    assert claimed.state is JobState.RUNNING and claimed.attempts == 1 and claimed.worker_id == "w1"
    assert await store.position(ids[0]) == (0, 2)
    assert await store.position(ids[1]) == (1, 2)
    assert await store.position(ids[2]) == (2, 2)


async def test_concurrent_claims_never_hand_out_a_job_twice(store: JobStore) -> None:
    for u in range(6):
        await store.submit(new_job(user_id=u))
    results = await asyncio.gather(*(store.claim(f"w{i}", 60, 3) for i in range(10)))
    claimed = [r.id for r in results if r is not None]
    assert len(claimed) == 6 == len(set(claimed))


async def test_only_the_lease_holder_can_finish_a_job(store: JobStore) -> None:
    await store.submit(new_job())
    job = await store.claim("w1", 60, 3)
    assert job is not None
    assert not await store.mark_delivered(job.id, "someone-else", 1)
    assert await store.renew_lease(job.id, "w1", 60)
    assert await store.mark_delivered(job.id, "w1", 555)
    done = await store.get(job.id)
    assert done is not None and done.state is JobState.DELIVERED and done.result_message_id == 555
    assert done.interaction_token is None and done.finished_at is not None
    assert not await store.mark_failed(job.id, "w1", "late")
    assert not await store.renew_lease(job.id, "w1", 60)


async def _expire(store: JobStore, job_id: int) -> None:
    async with store.engine.begin() as conn:
        await conn.execute(
            update(Job).where(Job.id == job_id).values(lease_expires_at=utcnow() - timedelta(seconds=1))
        )


async def test_a_dead_workers_job_is_taken_up_again_then_failed_after_max_attempts(store: JobStore) -> None:
    submitted = await store.submit(new_job())
    for attempt in (1, 2):
        job = await store.claim(f"w{attempt}", 60, 2)
        assert job is not None and job.id == submitted.job.id and job.attempts == attempt
        assert await store.claim("other", 60, 2) is None  # the lease still holds
        await _expire(store, job.id)
    assert await store.claim("w3", 60, 2) is None
    (abandoned,) = await store.abandoned(2)
    assert abandoned.id == submitted.job.id and abandoned.state is JobState.FAILED
    assert "2 attempts" in (abandoned.error or "")
    assert await store.abandoned(2) == []


async def test_a_job_released_at_shutdown_is_queued_again_without_using_an_attempt(store: JobStore) -> None:
    await store.submit(new_job())
    job = await store.claim("w1", 60, 3)
    assert job is not None
    assert await store.release(job.id, "w1")
    again = await store.claim("w2", 60, 3)
    assert again is not None and again.id == job.id and again.attempts == 1


async def test_status_message_is_recorded(store: JobStore) -> None:
    job = (await store.submit(new_job())).job
    await store.set_status_message(job.id, 4242)
    stored = await store.get(job.id)
    assert stored is not None and stored.status_message_id == 4242


async def test_states_outside_the_lifecycle_are_rejected_by_the_database(store: JobStore) -> None:
    import pytest
    from sqlalchemy.exc import IntegrityError

    job = (await store.submit(new_job())).job
    with pytest.raises(IntegrityError):
        async with store.engine.begin() as conn:
            await conn.execute(update(Job).where(Job.id == job.id).values(state="exploded"))


async def test_a_job_whose_stored_options_cannot_be_read_is_still_listed_and_says_why(
    store: JobStore,
) -> None:
    job = (await store.submit(new_job())).job
    other = (await store.submit(new_job(user_id=2))).job
    async with store.engine.begin() as conn:
        await conn.execute(update(Job).where(Job.id == job.id).values(options={"fps": "fast"}))
    unreadable = await store.get(job.id)
    assert unreadable is not None and unreadable.options == JobOptions()
    assert unreadable.options_error is not None and "fps" in unreadable.options_error
    assert [j.id for j, _ in await store.member_jobs(10, 1)] == [job.id]
    # Claiming it does not stop the queue: the worker fails it (see the worker's tests), others follow.
    claimed = await store.claim("w", 60, 3)
    assert claimed is not None and claimed.id == job.id and claimed.options_error is not None
    readable = await store.get(other.id)
    assert readable is not None and readable.options_error is None
