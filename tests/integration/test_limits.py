"""Limits on real databases: atomic under races, layered, exact windows."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, insert, select, update

from bot.job_options import JobOptions
from bot.limits import LimitLayer, LimitName, Limits, Refusal, Scope
from bot.store.base import utcnow
from bot.store.engine import create_engine
from bot.store.jobs import CancelOutcome, JobStore, NewJob, Submitted
from bot.store.limit_overrides import LimitOverrideStore
from bot.store.migrate import upgrade_to_head
from bot.store.schema import FairGuild, FairMember, Job, JobState, LimitOverride
from tests.integration.test_store import new_job

GENEROUS = Limits(max_pending=0, per_hour=0, per_day=0, guild_per_day=0)


async def test_fifty_simultaneous_submissions_accept_exactly_max_pending(store: JobStore) -> None:
    limits = Limits(max_pending=2, per_hour=0, per_day=0, guild_per_day=0)
    results = await asyncio.gather(*(store.submit(new_job(user_id=7), limits) for _ in range(50)))
    accepted = [r for r in results if isinstance(r, Submitted)]
    refused = [r for r in results if isinstance(r, Refusal)]
    assert len(accepted) == 2 and len(refused) == 48
    assert {r.limit for r in refused} == {"max_pending"}
    assert {a.position for a in accepted} == {1, 2}


async def test_server_total_holds_under_a_race_between_members(store: JobStore) -> None:
    limits = Limits(max_pending=0, per_hour=0, per_day=0, guild_per_day=5)
    results = await asyncio.gather(*(store.submit(new_job(user_id=u), limits) for u in range(30)))
    assert sum(isinstance(r, Submitted) for r in results) == 5
    # Another server is not affected.
    assert isinstance(await store.submit(new_job(user_id=1, guild_id=11), limits), Submitted)


async def test_hourly_refusal_says_when_the_window_frees_up(store: JobStore) -> None:
    limits = Limits(max_pending=0, per_hour=3, per_day=0, guild_per_day=0)
    ids = [(await store.submit(new_job(user_id=5), limits)).job.id for _ in range(3)]  # type: ignore[union-attr]
    oldest = utcnow() - timedelta(minutes=50)
    async with store.engine.begin() as conn:
        await conn.execute(update(Job).where(Job.id == ids[0]).values(created_at=oldest))
    refusal = await store.submit(new_job(user_id=5), limits)
    assert isinstance(refusal, Refusal) and refusal.limit == "per_hour" and refusal.allowed == 3
    assert refusal.frees_at is not None
    assert abs((refusal.frees_at - (oldest + timedelta(hours=1))).total_seconds()) < 1
    # Once the oldest job is more than an hour old, the member may submit again.
    async with store.engine.begin() as conn:
        await conn.execute(
            update(Job).where(Job.id == ids[0]).values(created_at=utcnow() - timedelta(hours=2))
        )
    assert isinstance(await store.submit(new_job(user_id=5), limits), Submitted)


def story(user_id: int, shots: int) -> NewJob:
    prompt = " | ".join(f"shot {n}" for n in range(shots))
    return replace(new_job(user_id=user_id, prompt=prompt), options=JobOptions(shots=shots))


async def test_a_story_counts_as_one_clip_per_shot(store: JobStore) -> None:
    limits = Limits(max_pending=4, per_hour=5, per_day=0, guild_per_day=0)
    three = await store.submit(story(8, 3), limits)
    assert isinstance(three, Submitted) and three.queue_length == 1  # one job in the queue
    # 3 pending + 2 would pass max_pending 4: refused, and a plain clip still fits.
    refused = await store.submit(story(8, 2), limits)
    assert isinstance(refused, Refusal) and refused.limit == "max_pending"
    assert isinstance(await store.submit(new_job(user_id=8), limits), Submitted)
    # Now 4 this hour against 5: a story of two waits until the three-shot story leaves the window.
    await store.cancel(three.job.id, 10, 8)
    oldest = utcnow() - timedelta(minutes=30)
    async with store.engine.begin() as conn:
        await conn.execute(
            update(Job).where(Job.id == three.job.id).values(created_at=oldest, started_at=oldest)
        )
    hourly = await store.submit(story(8, 2), limits)
    assert isinstance(hourly, Refusal) and hourly.limit == "per_hour" and hourly.frees_at is not None
    assert abs((hourly.frees_at - (oldest + timedelta(hours=1))).total_seconds()) < 1
    # A story longer than max_pending fits when nothing else is pending; one longer than the hourly limit
    # never fits, and no time is promised.
    assert isinstance(await store.submit(story(9, 4), limits), Submitted)
    never = await store.submit(story(10, 6), limits)
    assert isinstance(never, Refusal) and never.limit == "per_hour" and never.frees_at is None


async def test_jobs_cancelled_before_running_do_not_use_up_the_window(store: JobStore) -> None:
    limits = Limits(max_pending=0, per_hour=1, per_day=0, guild_per_day=0)
    first = await store.submit(new_job(user_id=5), limits)
    assert isinstance(first, Submitted)
    assert (await store.cancel(first.job.id, 10, 5)).outcome is CancelOutcome.CANCELLED_QUEUED
    assert isinstance(await store.submit(new_job(user_id=5), limits), Submitted)
    assert isinstance(await store.submit(new_job(user_id=5), limits), Refusal)


async def test_limits_layer_server_then_most_generous_role_then_member(store: JobStore) -> None:
    defaults = Limits(max_pending=2, per_hour=10, per_day=50, guild_per_day=500)
    overrides = LimitOverrideStore(store.engine)
    await overrides.set_limits(10, Scope.GUILD, 0, LimitLayer(max_pending=1, guild_per_day=100))
    await overrides.set_limits(10, Scope.ROLE, 111, LimitLayer(max_pending=3))
    await overrides.set_limits(10, Scope.ROLE, 222, LimitLayer(max_pending=5, per_hour=4))
    await overrides.set_limits(10, Scope.USER, 5, LimitLayer(per_day=7))
    assert await overrides.effective_limits(10, 9, [], defaults) == Limits(1, 10, 50, 100)
    assert await overrides.effective_limits(10, 9, [111], defaults) == Limits(3, 10, 50, 100)
    assert await overrides.effective_limits(10, 9, [111, 222], defaults) == Limits(5, 4, 50, 100)
    assert await overrides.effective_limits(10, 5, [111], defaults) == Limits(3, 10, 7, 100)
    # Other servers keep the defaults.
    assert await overrides.effective_limits(11, 5, [111], defaults) == defaults
    await overrides.set_limits(10, Scope.USER, 5, LimitLayer(max_pending=9))
    assert await overrides.effective_limits(10, 5, [], defaults) == Limits(9, 10, 7, 100)
    assert await overrides.reset_limits(10, Scope.USER, 5)
    assert await overrides.effective_limits(10, 5, [], defaults) == Limits(1, 10, 50, 100)
    assert not await overrides.reset_limits(10, Scope.USER, 5)
    assert await overrides.limit_overrides(11) == []
    listed = await overrides.limit_overrides(10)
    assert sorted(listed) == [
        (Scope.GUILD, 0, LimitLayer(max_pending=1, guild_per_day=100)),
        (Scope.ROLE, 111, LimitLayer(max_pending=3)),
        (Scope.ROLE, 222, LimitLayer(max_pending=5, per_hour=4)),
    ]
    assert all(type(scope) is Scope for scope, _, _ in listed)


async def test_limit_names_and_scopes_are_stored_as_before(store: JobStore) -> None:
    """The typed names keep the strings earlier versions wrote: their rows read the same, new rows match."""
    async with store.engine.begin() as conn:
        await conn.execute(
            insert(LimitOverride).values(guild_id=10, scope="user", target_id=5, max_pending=1)
        )
    overrides = LimitOverrideStore(store.engine)
    assert await overrides.limit_overrides(10) == [(Scope.USER, 5, LimitLayer(max_pending=1))]
    await overrides.set_limits(10, Scope.ROLE, 7, LimitLayer(per_day=3))
    async with store.engine.begin() as conn:
        stored = await conn.execute(select(LimitOverride.scope).order_by(LimitOverride.scope))
        assert [(type(scope), scope) for scope in stored.scalars()] == [(str, "role"), (str, "user")]
    assert isinstance(await store.submit(new_job(user_id=5), GENEROUS), Submitted)
    refusal = await store.submit(new_job(user_id=5), GENEROUS)
    assert isinstance(refusal, Refusal) and refusal.limit is LimitName.MAX_PENDING
    assert str(refusal.limit) == "max_pending"


async def test_claims_go_round_robin_across_servers_then_members(store: JobStore) -> None:
    # Server 1: one busy member with five jobs, queued first. Server 2: two members with one each.
    for _ in range(5):
        await store.submit(new_job(user_id=1, guild_id=1), GENEROUS)
    await store.submit(new_job(user_id=2, guild_id=2), GENEROUS)
    await store.submit(new_job(user_id=3, guild_id=2), GENEROUS)
    await store.submit(new_job(user_id=4, guild_id=1), GENEROUS)
    order = []
    while (job := await store.claim("w", 60, 3)) is not None:
        order.append((job.guild_id, job.user_id))
    assert order == [(1, 1), (2, 2), (1, 4), (2, 3), (1, 1), (1, 1), (1, 1), (1, 1)]


async def test_reported_positions_match_the_claim_order(store: JobStore) -> None:
    jobs = {}
    for guild_id, user_id in [(1, 1), (1, 1), (1, 1), (2, 2), (1, 3), (2, 2), (3, 4)]:
        submitted = await store.submit(new_job(user_id=user_id, guild_id=guild_id), GENEROUS)
        assert isinstance(submitted, Submitted)
        jobs[submitted.job.id] = submitted
    predicted = {job_id: (await store.position(job_id))[0] for job_id in jobs}
    claimed = []
    while (job := await store.claim("w", 60, 3)) is not None:
        claimed.append(job.id)
    assert sorted(predicted, key=predicted.__getitem__) == claimed
    assert sorted(predicted.values()) == list(range(1, len(jobs) + 1))


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    st.lists(st.tuples(st.sampled_from([1, 2, 3]), st.sampled_from([1, 2, 3]), st.booleans()), max_size=12)
)
def test_reported_positions_are_the_order_of_the_claims_that_follow(
    database_url: str, steps: list[tuple[int, int, bool]]
) -> None:
    """Submissions by members of several servers, some followed by a claim (so that turns have been taken),
    then every queued job's reported position against the order the remaining claims take them in."""
    asyncio.run(_positions_then_claims(database_url, steps))


async def _positions_then_claims(url: str, steps: list[tuple[int, int, bool]]) -> None:
    engine = create_engine(url)
    try:
        await upgrade_to_head(engine)
        async with engine.begin() as conn:
            for table in (Job, FairGuild, FairMember):
                await conn.execute(delete(table))
        store = JobStore(engine)
        for guild_id, user_id, then_claim in steps:
            assert isinstance(await store.submit(new_job(user_id=user_id, guild_id=guild_id)), Submitted)
            if then_claim:
                assert await store.claim("w", 600, 3) is not None
        async with engine.begin() as conn:
            queued = (await conn.execute(select(Job.id).where(Job.state == JobState.QUEUED))).scalars().all()
        predicted = {job_id: (await store.position(job_id))[0] for job_id in queued}
        claimed = []
        while (job := await store.claim("w", 600, 3)) is not None:
            claimed.append(job.id)
        assert sorted(predicted.values()) == list(range(1, len(queued) + 1))
        assert sorted(predicted, key=predicted.__getitem__) == claimed
    finally:
        await engine.dispose()


async def test_members_cancel_their_own_jobs_and_moderators_anyones_in_their_server(store: JobStore) -> None:
    job = (await store.submit(new_job(user_id=1, guild_id=1), GENEROUS)).job  # type: ignore[union-attr]
    assert (await store.cancel(job.id, 1, 2)).outcome is CancelOutcome.NOT_YOURS
    assert (await store.cancel(job.id, 2, 1, moderator=True)).outcome is CancelOutcome.NOT_FOUND
    assert (await store.cancel(job.id, 1, 2, moderator=True)).outcome is CancelOutcome.CANCELLED_QUEUED
    assert (await store.cancel(job.id, 1, 1)).outcome is CancelOutcome.ALREADY_FINISHED
    assert await store.claim("w", 60, 3) is None
    running = (await store.submit(new_job(user_id=1, guild_id=1), GENEROUS)).job  # type: ignore[union-attr]
    claimed = await store.claim("w", 60, 3)
    assert claimed is not None and claimed.id == running.id
    assert (await store.cancel(running.id, 1, 1)).outcome is CancelOutcome.CANCELLED_RUNNING
    assert not await store.still_mine(running.id, "w")
    assert not await store.mark_delivered(running.id, "w", 1)
