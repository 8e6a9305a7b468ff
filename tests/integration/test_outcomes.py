"""Every job ends with one outcome, and the store forgets what it no longer needs: real SQLite and
PostgreSQL."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select, update

from bot.limits import LimitPolicy, Limits, Refusal
from bot.store.base import utcnow
from bot.store.jobs import CancelOutcome, JobRecord, JobStore, Submitted
from bot.store.moderation import ModerationStore
from bot.store.schema import Job, JobImage, JobState
from tests.integration.test_store import new_job

LIMITS = Limits(max_pending=0, per_hour=2, per_day=0, guild_per_day=0)


async def _images(store: JobStore) -> int:
    async with store.engine.connect() as conn:
        return int(await conn.scalar(select(func.count()).select_from(JobImage)) or 0)


async def _age(store: JobStore, job_id: int, **ago: timedelta) -> None:
    """Move a job's timestamps into the past."""
    async with store.engine.begin() as conn:
        row = (await conn.execute(select(Job).where(Job.id == job_id))).one()
        values = {name: getattr(row, name) - delta for name, delta in ago.items()}
        await conn.execute(update(Job).where(Job.id == job_id).values(**values))


async def test_images_go_with_their_jobs_and_image_churn_counts(store: JobStore) -> None:
    with_image = dataclasses.replace(new_job(), image_png=b"png")
    first = await store.submit(with_image, LIMITS)
    assert isinstance(first, Submitted) and await _images(store) == 1
    assert (await store.cancel(first.job.id, 10, 1)).outcome is CancelOutcome.CANCELLED_QUEUED
    assert await _images(store) == 0
    # A text job cancelled before it ran still counts for nothing; an image job counts.
    text = await store.submit(new_job(), LIMITS)
    assert isinstance(text, Submitted)
    await store.cancel(text.job.id, 10, 1)
    second = await store.submit(dataclasses.replace(new_job(), image_png=b"png"), LIMITS)
    assert isinstance(second, Submitted)
    await store.cancel(second.job.id, 10, 1)
    refused = await store.submit(new_job(), LIMITS)
    assert isinstance(refused, Refusal) and refused.limit == "per_hour"
    # The same answer before anything costly is done.
    admission = await store.admission(new_job(), LIMITS)
    assert isinstance(admission, Refusal) and admission.limit == "per_hour"


async def test_tokens_are_dropped_as_jobs_end(store: JobStore) -> None:
    for _ in range(2):
        await store.submit(new_job())
    delivered = await store.claim("w", 60, 3)
    assert delivered is not None and await store.mark_delivered(delivered.id, "w", 5)
    failed = await store.claim("w", 60, 3)
    assert failed is not None and await store.mark_failed(failed.id, "w", "boom")
    cancelled = await store.submit(new_job())
    assert isinstance(cancelled, Submitted)
    await store.cancel(cancelled.job.id, 10, 1)
    purged = await store.submit(new_job())
    assert isinstance(purged, Submitted)
    (gone,) = await store.purge(10)
    assert gone.interaction_token  # the caller still gets it, to update the status message

    async def token(job_id: int) -> str | None:
        record = await store.get(job_id)
        assert record is not None
        return record.interaction_token

    assert [await token(j) for j in (delivered.id, cancelled.job.id, purged.job.id)] == [None] * 3
    # A failed job keeps its token only while its member is owed a notice (a follow-up may carry it).
    assert await token(failed.id) is not None
    await store.notice_sent(failed.id)
    assert await token(failed.id) is None


async def _due(store: JobStore) -> list[JobRecord]:
    """Make every owed notice due now, and take them."""
    async with store.engine.begin() as conn:
        await conn.execute(
            update(Job)
            .where(Job.notice_due_at.is_not(None))
            .values(notice_due_at=utcnow() - timedelta(seconds=1))
        )
    return await store.due_notices()


async def test_an_owed_notice_is_taken_by_one_sender_at_a_time(store: JobStore) -> None:
    await store.submit(new_job())
    job = await store.claim("w", 60, 3)
    assert job is not None and await store.mark_failed(job.id, "w", "the model failed")
    assert await store.due_notices() == []  # the failing worker tells first
    taken = await _due(store)
    assert [j.id for j in taken] == [job.id]
    assert await store.due_notices() == []  # pushed forward while this sender tries
    await store.notice_sent(job.id)
    assert (await store.get(job.id)).notice_due_at is None  # type: ignore[union-attr]


async def test_the_sweep_forgets_old_prompts_tokens_and_images(store: JobStore) -> None:
    kept = JobStore(store.engine, keep_files=timedelta(hours=2))
    old = await kept.submit(dataclasses.replace(new_job(prompt="secret plans"), image_png=b"png"))
    recent = await kept.submit(new_job(prompt="fresh"))
    assert isinstance(old, Submitted) and isinstance(recent, Submitted)
    await kept.cancel(old.job.id, 10, 1)
    await kept.cancel(recent.job.id, 10, 1)
    assert await _images(kept) == 1  # kept for the owner's file retention
    await _age(kept, old.job.id, created_at=timedelta(days=40), finished_at=timedelta(days=40))
    swept = await kept.sweep(prompt_days=30)
    assert (swept.images, swept.prompts) == (1, 1)
    forgotten = await kept.get(old.job.id)
    assert forgotten is not None and forgotten.prompt == "" and forgotten.negative_prompt is None
    assert (await kept.get(recent.job.id)).prompt == "fresh"  # type: ignore[union-attr]
    assert await kept.sweep(prompt_days=30) == dataclasses.replace(swept, images=0, prompts=0, tokens=0)


async def test_a_running_job_s_token_outlives_nothing_past_discords_15_minutes(store: JobStore) -> None:
    await store.submit(new_job())
    job = await store.claim("w", 60, 3)
    assert job is not None
    await _age(store, job.id, created_at=timedelta(minutes=20))
    assert (await store.sweep(prompt_days=30)).tokens == 1
    assert (await store.get(job.id)).interaction_token is None  # type: ignore[union-attr]


async def test_a_moderator_s_cancel_is_in_the_audit_log(store: JobStore) -> None:
    submitted = await store.submit(new_job(user_id=1))
    assert isinstance(submitted, Submitted)
    result = await store.cancel(submitted.job.id, 10, 99, moderator=True)
    assert result.outcome is CancelOutcome.CANCELLED_QUEUED
    (entry,) = await ModerationStore(store.engine).audit(10)
    assert (entry.moderator_id, entry.action, entry.target_user_id) == (99, "cancel", 1)
    assert f"#{submitted.job.id}" in entry.details
    own = await store.submit(new_job(user_id=1))
    await store.cancel(own.job.id, 10, 1)  # type: ignore[union-attr]
    assert len(await ModerationStore(store.engine).audit(10)) == 1  # a member's own cancel is not moderation


async def test_a_restarted_worker_takes_back_its_own_jobs_only(store: JobStore) -> None:
    for _ in range(2):
        await store.submit(new_job())
    mine = await store.claim("me", 600, 3)
    theirs = await store.claim("them", 600, 3)
    assert mine is not None and theirs is not None
    assert await store.recover("me") == [mine.id]
    again = await store.claim("me", 600, 3)
    assert again is not None and again.id == mine.id and again.attempts == 2
    assert await store.claim("someone", 600, 3) is None  # the other worker's lease still holds


async def test_a_last_attempt_that_began_posting_is_looked_for_not_failed(store: JobStore) -> None:
    await store.submit(new_job())
    job = await store.claim("w", 60, 1)
    assert job is not None and await store.begin_delivery(job.id, "w")
    await store.recover("w")
    assert await store.abandoned(1) == []
    again = await store.claim("w2", 60, 1)
    assert again is not None and again.attempts == 2 and again.delivery_started_at is not None


async def test_queued_jobs_for_a_disabled_model_end_owing_a_notice(store: JobStore) -> None:
    await store.submit(dataclasses.replace(new_job(), model="gone"))
    await store.submit(new_job())
    (ended,) = await store.disabled_models(frozenset({"tiny"}))
    assert ended.state is JobState.FAILED and "no longer offered" in (ended.error or "")
    (owed,) = await store.due_notices()
    assert owed.id == ended.id
    assert await store.queue_length("gone") == 0 and await store.queue_length("tiny") == 1


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(images=st.lists(st.booleans(), min_size=1, max_size=6))
async def test_no_cancel_sequence_gets_past_the_hourly_limit_with_images(
    store: JobStore, images: list[bool]
) -> None:
    """Submit-and-cancel, any mix of image and text jobs: accepted image jobs never exceed the limit."""
    policy = LimitPolicy(Limits(max_pending=0, per_hour=2, per_day=0, guild_per_day=0))
    user = len(images) * 1000 + sum(i << n for n, i in enumerate(images))  # a fresh member per example
    accepted_images = 0
    for with_image in images:
        job = dataclasses.replace(new_job(user_id=user), image_png=b"png" if with_image else None)
        result = await store.submit(job, policy)
        if isinstance(result, Submitted):
            accepted_images += with_image
            await store.cancel(result.job.id, 10, user)
    assert accepted_images <= 2


async def test_a_job_left_running_for_a_disabled_model_ends_unless_a_live_worker_holds_it(
    store: JobStore,
) -> None:
    for _ in range(2):
        await store.submit(dataclasses.replace(new_job(), model="gone"))
    dead = await store.claim("dead-worker", 600, 3)
    alive = await store.claim("live-worker", 600, 3)
    assert dead is not None and alive is not None
    (ended,) = await store.disabled_models(frozenset({"tiny"}), live_workers=["live-worker"])
    assert ended.id == dead.id and ended.state is JobState.FAILED
    assert (await store.get(alive.id)).state is JobState.RUNNING  # type: ignore[union-attr]


async def test_jobs_under_a_local_model_s_old_path_move_to_its_name(store: JobStore) -> None:
    for user in (1, 1, 2):
        await store.submit(dataclasses.replace(new_job(user_id=user), model="/srv/models/my-wan"))
    assert await store.rename_model("/srv/models/my-wan", "my-wan") == 3
    assert await store.queue_length("/srv/models/my-wan") == 0 and await store.queue_length("my-wan") == 3
    claimed = await store.claim("w", 60, 3, frozenset({"my-wan"}))
    assert claimed is not None and claimed.model == "my-wan"


async def test_a_notice_nobody_could_receive_for_a_day_is_given_up(store: JobStore) -> None:
    await store.submit(new_job())
    job = await store.claim("w", 60, 3)
    assert job is not None and await store.mark_failed(job.id, "w", "boom")
    await _age(store, job.id, finished_at=timedelta(days=2))
    assert await _due(store) == []
    assert (await store.get(job.id)).notice_due_at is None  # type: ignore[union-attr]
