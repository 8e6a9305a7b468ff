"""The real worker in-process: SQLite job store, the tiny Wan pipeline loaded through the application's own
wiring (``bot.app.App``: settings, generators, signing chain, worker options), and a recording delivery in
place of Discord. Every way a job can end is driven once, and judged twice: in the store (state, error,
attempts, owed notice, message id) and in what the member would have seen (the delivery's calls)."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import functools
import itertools
import json
import logging
import os
import re
import shutil
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import diffusers
import numpy as np
import pytest
from sqlalchemy import delete, update

import bot.app
from bot.app import App
from bot.config import DatabaseSettings, GenerationSettings, ProvenanceSettings, Settings, WorkerSettings
from bot.faults import Fault, FaultKind
from bot.job_options import JobOptions
from bot.store.jobs import CancelOutcome, JobRecord, NewJob, Submitted
from bot.store.schema import FINAL_STATES, Job, JobImage, JobState
from bot.video_request import SHOT_SEPARATOR
from bot.worker import DeliveryError, DeliveryUnavailableError, Posted, Worker
from generation.encode import EncodedClip

GUILD, CHANNEL, MEMBER = 800000000000000001, 700000000000000001, 123456789012345678
WORKER_NAME = "worker-under-test"
# A render far longer than any test here waits (about 70 ms a step on a busy 2-core machine).
SLOW_STEPS = 500
WAIT = 60.0  # seconds: generous, the suite shares two cores

_interactions = itertools.count(1)


@dataclasses.dataclass(frozen=True)
class Call:
    name: str
    job_id: int
    detail: Any = None


class LostAnswer(DeliveryUnavailableError):
    """The post landed, but Discord's answer never arrived."""


class RecordingDelivery:
    """A ``bot.worker.Delivery`` that records every call and fails when told to.

    ``deliver_errors`` are raised by the next ``deliver`` calls, one each; a ``LostAnswer`` among them
    posts the clip first (``find_posted`` reports it from then on) and raises afterwards, as a timeout
    after Discord accepted the upload would. ``failed_errors`` do the same for failure notices.
    ``earlier`` holds posts ``find_posted`` reports, by job id.
    """

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.deliver_errors: list[Exception] = []
        self.failed_errors: list[Exception] = []
        self.earlier: dict[int, Posted] = {}
        self.files: dict[int, bytes] = {}  # message id -> the clip posted in it
        self.before_deliver: Callable[[JobRecord], None] | None = None
        self._message_ids = itertools.count(9_000_001)

    def named(self, name: str) -> list[Call]:
        return [c for c in self.calls if c.name == name]

    def names(self) -> list[str]:
        return [c.name for c in self.calls if c.name != "progress"]

    async def wait_for(self, *names: str, timeout: float = WAIT) -> Call:
        """The first call of any of ``names``."""
        deadline = time.monotonic() + timeout
        while not (found := [c for c in self.calls if c.name in names]):
            if time.monotonic() > deadline:
                raise TimeoutError(f"no {' or '.join(names)} within {timeout:.0f}s; calls: {self.names()}")
            await asyncio.sleep(0.05)
        return found[0]

    def _post(self, job: JobRecord, via: str = "channel") -> Posted:
        message_id = next(self._message_ids)
        url = f"https://discord.com/channels/{job.guild_id}/{job.channel_id}/{message_id}"
        return Posted(job.channel_id, message_id, url, via)

    # -- the protocol ---------------------------------------------------------------------------------
    async def started(self, job: JobRecord) -> None:
        self.calls.append(Call("started", job.id, job.attempts))

    async def progress(self, job: JobRecord, step: int, steps: int, shot: int = 0) -> None:
        self.calls.append(Call("progress", job.id, (step, steps)))

    async def requeued(self, job: JobRecord, reason: str) -> None:
        self.calls.append(Call("requeued", job.id, reason))

    async def find_posted(self, job: JobRecord) -> Posted | None:
        found = self.earlier.get(job.id)
        self.calls.append(Call("find_posted", job.id, found))
        return found

    async def deliver(self, job: JobRecord, clip: EncodedClip, model: str) -> Posted:
        # What was handed over, while it still exists (the worker removes the file once the job ends).
        handed = {
            "model": model,
            "signed": clip.signed,
            "exists": clip.path.is_file(),
            "size": clip.path.stat().st_size if clip.path.is_file() else None,
            "limit": job.max_bytes,
            "delivery_started": job.delivery_started_at is not None,
        }
        self.calls.append(Call("deliver", job.id, handed))
        if self.before_deliver is not None:
            self.before_deliver(job)
        if self.deliver_errors:
            error = self.deliver_errors.pop(0)
            if isinstance(error, LostAnswer):
                self.earlier[job.id] = self._post(job)
            raise error
        posted = self._post(job)
        self.files[posted.message_id] = clip.path.read_bytes()
        return posted

    async def clip_of(self, job: JobRecord) -> bytes:
        self.calls.append(Call("clip_of", job.id, job.result_message_id))
        if job.result_message_id not in self.files:
            raise DeliveryError("its message was deleted")
        return self.files[job.result_message_id]

    async def delivered(self, job: JobRecord, posted: Posted) -> None:
        self.calls.append(Call("delivered", job.id, posted))

    async def retract(self, job: JobRecord, posted: Posted) -> None:
        self.calls.append(Call("retract", job.id, posted))

    async def failed(self, job: JobRecord, reason: str) -> None:
        self.calls.append(Call("failed", job.id, reason))
        if self.failed_errors:
            raise self.failed_errors.pop(0)


# -- the application around the worker ----------------------------------------------------------------
AppFactory = Callable[..., Awaitable[App]]


@pytest.fixture
async def make_app(
    tiny_wan: Path, sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[AppFactory]:
    """Applications on one SQLite database and one clip directory, configured as an owner would: ``steps``
    is ``[generation] steps``, ``model`` ``[generation] model`` (the tiny Wan by default), keyword arguments
    are ``[worker]`` keys."""
    for key in list(os.environ):
        if key.startswith("VIDEOBOT_"):
            monkeypatch.delenv(key)
    apps: list[App] = []

    async def make(steps: int = 2, model: Path | None = None, **worker: Any) -> App:
        settings = Settings(
            database=DatabaseSettings(url=sqlite_url),
            # No interpolation: the tiny model's own 8 fps keeps every render short.
            generation=GenerationSettings(
                model=str(model or tiny_wan), device="cpu", steps=steps, smooth_fps=0
            ),
            worker=WorkerSettings(
                **{
                    "name": WORKER_NAME,
                    "poll_interval": 0.1,
                    "lease_seconds": 10,
                    "clip_dir": str(tmp_path / "clips"),
                    "warmup": False,
                    **worker,
                }
            ),
            provenance=ProvenanceSettings(directory=str(tmp_path / "provenance")),
        )
        app = App(settings)
        apps.append(app)
        await app.migrate()
        return app

    yield make
    for app in apps:
        await app.close()


@contextlib.asynccontextmanager
async def worker_life(
    app: App, delivery: RecordingDelivery, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[tuple[Worker, asyncio.Task[None]]]:
    """The worker ``python -m bot`` would run (``App._worker``), with ``delivery`` in place of Discord's,
    running until the block ends (or the test stops it)."""
    monkeypatch.setattr(bot.app, "DiscordDelivery", lambda client, **options: delivery)
    identity = app._identity()
    generators = app._generators()
    worker = app._worker(app._served(generators), None, identity, app._catalog(generators))  # type: ignore[arg-type]
    task = asyncio.create_task(worker.run(), name="worker")
    try:
        yield worker, task
    finally:
        worker.stop()
        try:
            await asyncio.wait_for(task, WAIT)
        finally:
            identity.release()


def served_model(app: App) -> str:
    """The name the worker serves the configured model by (what ``/video`` records on its jobs)."""
    return app._served(app._generators())[0].model_name


async def submit(app: App, **changes: Any) -> JobRecord:
    n = next(_interactions)
    new = NewJob(
        guild_id=GUILD,
        channel_id=CHANNEL,
        user_id=MEMBER,
        application_id=900000000000000001,
        interaction_id=10_000 + n,
        interaction_token=f"token-{n}",
        prompt="a cat eating spaghetti",
        seed=n,
        model=served_model(app),
        max_bytes=10 * 1024 * 1024,
    )
    submitted = await app.store.submit(dataclasses.replace(new, **changes))
    assert isinstance(submitted, Submitted)
    return submitted.job


async def settled(app: App, job_id: int, timeout: float = WAIT) -> JobRecord:
    """The job once it has ended and its member owes nothing more: told, or delivered."""
    deadline = time.monotonic() + timeout
    while True:
        job = await app.store.get(job_id)
        assert job is not None
        if job.state in FINAL_STATES and job.notice_due_at is None:
            return job
        if time.monotonic() > deadline:
            raise TimeoutError(f"job {job_id} did not settle within {timeout:.0f}s: {job.state}")
        await asyncio.sleep(0.05)


def assert_delivered_once(delivery: RecordingDelivery, job: JobRecord) -> Posted:
    """One post, recorded on the job and shown on its status message, and nothing else told."""
    assert job.state is JobState.DELIVERED and job.error is None and job.notice_due_at is None
    (shown,) = delivery.named("delivered")
    assert job.result_message_id == shown.detail.message_id
    assert job.interaction_token is None  # no notice is owed, so the token is dropped
    assert not delivery.named("failed") and not delivery.named("retract")
    return shown.detail  # type: ignore[no-any-return]


# -- delivered -----------------------------------------------------------------------------------------
async def test_a_job_is_rendered_signed_and_delivered_once(
    make_app: AppFactory, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    app, delivery = await make_app(), RecordingDelivery()
    async with worker_life(app, delivery, monkeypatch):
        queued = await submit(app)
        await delivery.wait_for("delivered", "failed")
        job = await settled(app, queued.id)
    posted = assert_delivered_once(delivery, job)
    assert delivery.names() == ["started", "deliver", "delivered"]
    (handed,) = delivery.named("deliver")
    assert handed.detail == {
        "model": queued.model,
        "signed": True,
        "exists": True,
        "size": handed.detail["size"],
        "limit": queued.max_bytes,
        "delivery_started": True,  # recorded before posting: a retry looks for this post first
    }
    assert 0 < handed.detail["size"] <= queued.max_bytes
    assert posted.message_id == job.result_message_id
    assert job.attempts == 1 and job.delivery_started_at is not None and job.worker_id == WORKER_NAME
    # The encoded file is gone with its job (no file retention configured).
    assert not list((tmp_path / "clips" / "work").rglob("*.mp4"))


# -- failures the member is told of --------------------------------------------------------------------
async def image_job_without_its_image(app: App) -> JobRecord:
    """An image-to-video job whose stored image is gone by the time a worker takes it up."""
    queued = await submit(app, options=JobOptions(image=True), image_png=b"\x89PNG\r\n")
    async with app.engine.begin() as conn:
        await conn.execute(delete(JobImage).where(JobImage.job_id == queued.id))
    return queued


async def test_an_image_job_whose_image_is_gone_fails_and_its_member_is_told(
    make_app: AppFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    app, delivery = await make_app(), RecordingDelivery()
    queued = await image_job_without_its_image(app)
    async with worker_life(app, delivery, monkeypatch):
        job = await settled(app, queued.id)
    reason = "the video model could not use this request: its image is missing"
    assert (job.state, job.error, job.attempts) == (JobState.FAILED, reason, 1)
    assert job.notice_due_at is None and job.interaction_token is None  # told, so nothing is owed
    assert job.delivery_started_at is None and job.result_message_id is None
    assert delivery.names() == ["started", "failed"]
    assert delivery.named("failed")[0].detail == reason


async def test_a_job_whose_stored_options_cannot_be_read_fails_and_the_next_one_is_delivered(
    make_app: AppFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    app, delivery = await make_app(), RecordingDelivery()
    unreadable, readable = await submit(app), await submit(app)
    async with app.engine.begin() as conn:  # written by another version, or by hand
        await conn.execute(update(Job).where(Job.id == unreadable.id).values(options={"fps": "fast"}))
    async with worker_life(app, delivery, monkeypatch):
        failed = await settled(app, unreadable.id)
        delivered = await settled(app, readable.id)
    assert failed.state is JobState.FAILED and failed.attempts == 1
    assert failed.error == (
        f"this version of the bot cannot read the job's settings; please make it again with /video "
        f"(logged as job #{unreadable.id})"
    )
    assert delivery.named("failed")[0].detail == failed.error
    assert [c.job_id for c in delivery.named("deliver")] == [readable.id]
    assert delivered.state is JobState.DELIVERED


async def test_a_member_nobody_could_tell_is_still_owed_the_notice(
    make_app: AppFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    app, delivery = await make_app(), RecordingDelivery()
    delivery.failed_errors = [DeliveryError("the member accepts no direct messages")]
    queued = await image_job_without_its_image(app)
    async with worker_life(app, delivery, monkeypatch):
        await delivery.wait_for("failed")
    # The worker has stopped, so it is done with the job: what it recorded is final.
    job = await app.store.get(queued.id)
    assert job is not None and job.state is JobState.FAILED
    # Housekeeping tries again later: the notice stays due, and the token that may carry it stays.
    assert job.notice_due_at is not None and job.interaction_token is not None
    assert delivery.names() == ["started", "failed"]


async def test_a_clip_too_large_for_the_upload_limit_is_not_posted_and_its_member_is_told(
    make_app: AppFactory, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    app, delivery = await make_app(), RecordingDelivery()
    async with worker_life(app, delivery, monkeypatch):
        queued = await submit(app, max_bytes=2_000)  # less than the signature alone takes
        job = await settled(app, queued.id)
    reason = Fault(FaultKind.TOO_LARGE).reason(queued.id)
    assert (job.state, job.error, job.attempts) == (JobState.FAILED, reason, 1)
    assert job.notice_due_at is None and job.delivery_started_at is None and job.result_message_id is None
    assert delivery.names() == ["started", "failed"]
    assert delivery.named("failed")[0].detail == reason
    assert not list((tmp_path / "clips" / "work").rglob("*.mp4"))


async def test_a_clip_discord_refuses_for_good_fails_and_its_member_is_told(
    make_app: AppFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    app, delivery = await make_app(), RecordingDelivery()
    delivery.deliver_errors = [DeliveryError("I am not allowed to post in the channel")]
    async with worker_life(app, delivery, monkeypatch):
        queued = await submit(app)
        job = await settled(app, queued.id)
    reason = "the clip was made but could not be posted (I am not allowed to post in the channel)"
    assert (job.state, job.error, job.attempts) == (JobState.FAILED, reason, 1)
    assert job.notice_due_at is None and job.result_message_id is None
    assert job.delivery_started_at is not None  # it got as far as posting
    # One attempt to post (a permanent refusal is not retried), then the notice; never both a clip and one.
    assert delivery.names() == ["started", "deliver", "failed"]
    assert delivery.named("failed")[0].detail == reason


# -- Discord unavailable for a while ---------------------------------------------------------------------
@pytest.mark.parametrize("answer_lost", [False, True], ids=["post-failed", "post-landed-answer-lost"])
async def test_a_clip_discord_cannot_take_yet_is_posted_once_when_it_can(
    make_app: AppFactory, monkeypatch: pytest.MonkeyPatch, answer_lost: bool
) -> None:
    """The worker waits (5 s, its first back-off) and looks for the post before trying again: a post whose
    answer was lost is recorded, not repeated."""
    app, delivery = await make_app(), RecordingDelivery()
    unavailable = LostAnswer if answer_lost else DeliveryUnavailableError
    delivery.deliver_errors = [unavailable("Discord did not accept it (503 Service Unavailable)")]
    async with worker_life(app, delivery, monkeypatch):
        queued = await submit(app)
        await delivery.wait_for("delivered", "failed", timeout=WAIT + 10)
        job = await settled(app, queued.id)
    posted = assert_delivered_once(delivery, job)
    assert job.attempts == 1  # waited out within the attempt, not re-rendered
    if answer_lost:
        assert delivery.names() == ["started", "deliver", "find_posted", "delivered"]
        assert posted == delivery.earlier[queued.id]
    else:
        assert delivery.names() == ["started", "deliver", "find_posted", "deliver", "delivered"]


# -- cancelled, stopped ------------------------------------------------------------------------------------
async def test_a_job_cancelled_in_the_store_mid_render_stops_within_a_step_and_posts_nothing(
    make_app: AppFactory, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bot.worker")
    app, delivery = await make_app(steps=SLOW_STEPS), RecordingDelivery()
    async with worker_life(app, delivery, monkeypatch) as (_, task):
        queued = await submit(app)
        await delivery.wait_for("started")
        # Another process's /cancel: only the database says so; the worker's heartbeat must notice.
        cancelled = await app.store.cancel(queued.id, GUILD, MEMBER)
        assert cancelled.outcome is CancelOutcome.CANCELLED_RUNNING
        cancelled_at = time.monotonic()
        while not (stops := [r for r in caplog.records if "generation stopped" in r.getMessage()]):
            assert time.monotonic() - cancelled_at < 15, "the render did not stop"
            await asyncio.sleep(0.05)
        assert not task.done()  # the worker carries on
    where = re.search(r"after step (\d+) of (\d+)", stops[0].getMessage())
    assert where is not None, stops[0].getMessage()
    step, steps = int(where[1]), int(where[2])
    assert steps == SLOW_STEPS and step < SLOW_STEPS
    job = await app.store.get(queued.id)
    assert job is not None and (job.state, job.error, job.notice_due_at) == (JobState.CANCELLED, None, None)
    assert job.delivery_started_at is None and job.result_message_id is None
    assert delivery.names() == ["started"]  # nothing posted, nothing owed: the member cancelled it


async def test_a_worker_stopped_mid_render_hands_its_job_back_without_spending_an_attempt(
    make_app: AppFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    slow, delivery = await make_app(steps=SLOW_STEPS), RecordingDelivery()
    async with worker_life(slow, delivery, monkeypatch) as (worker, task):
        queued = await submit(slow)
        await delivery.wait_for("started")
        worker.stop()
        await asyncio.wait_for(asyncio.shield(task), 20)  # within a step, not after 500 of them
        job = await slow.store.get(queued.id)
    assert job is not None
    assert (job.state, job.attempts, job.worker_id, job.started_at) == (JobState.QUEUED, 0, None, None)
    assert job.error is None and job.notice_due_at is None and job.delivery_started_at is None
    assert delivery.names() == ["started"]  # not failed, not "requeued" (that is for faults)
    assert WORKER_NAME not in [name for name, _ in await slow.registry.live()]
    # Back in the fair queue: the next start takes it up and delivers it, as its first attempt.
    fast, after_restart = await make_app(), RecordingDelivery()
    async with worker_life(fast, after_restart, monkeypatch):
        await after_restart.wait_for("delivered", "failed")
        job = await settled(fast, queued.id)
    assert_delivered_once(after_restart, job)
    assert job.attempts == 1
    assert after_restart.names() == ["started", "deliver", "delivered"]


# -- a post made by a life that did not record it ----------------------------------------------------------
async def test_a_post_made_before_the_worker_stopped_is_adopted_and_never_repeated(
    make_app: AppFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The upload lands but its answer is lost while the worker is stopping, on the job's last allowed
    attempt. The next life of the same worker finds that post and records it, posting nothing."""
    app = await make_app(max_attempts=1)
    first = RecordingDelivery()
    async with worker_life(app, first, monkeypatch) as (worker, task):
        first.deliver_errors = [LostAnswer("timed out waiting for Discord")]
        first.before_deliver = lambda job: worker.stop()
        queued = await submit(app)
        await asyncio.wait_for(asyncio.shield(task), WAIT)
    landed = first.earlier[queued.id]
    left = await app.store.get(queued.id)
    assert left is not None
    # Left running, as a crash would leave it: the next attempt must look for the post first.
    assert (left.state, left.attempts, left.result_message_id) == (JobState.RUNNING, 1, None)
    assert left.delivery_started_at is not None
    assert first.names() == ["started", "deliver"]

    second = RecordingDelivery()
    second.earlier = dict(first.earlier)  # what Discord's history shows
    async with worker_life(app, second, monkeypatch):
        await second.wait_for("delivered", "failed")
        job = await settled(app, queued.id)
    posted = assert_delivered_once(second, job)
    assert posted == landed and job.result_message_id == landed.message_id
    assert job.attempts == 2  # taken up past max_attempts only to look for the post
    # No render, no second upload, no status edits of a render: only the lookup and the final state.
    assert second.names() == ["find_posted", "delivered"]


# -- stories ------------------------------------------------------------------------------------------
async def test_a_story_on_an_image_model_starts_each_shot_from_the_last_frame_of_the_one_before(
    make_app: AppFactory,
    monkeypatch: pytest.MonkeyPatch,
    tiny_models: Callable[[str], Path],
    tmp_path: Path,
) -> None:
    """LTX-Video 0.9.8 (the 13B distilled preset) loads as LTXConditionPipeline, which takes a prompt and
    optionally an image: the tiny LTX's components, loaded as that pipeline."""
    model = Path(shutil.copytree(tiny_models("ltx"), tmp_path / "tiny-ltx-condition"))
    index = json.loads((model / "model_index.json").read_text())
    (model / "model_index.json").write_text(json.dumps({**index, "_class_name": "LTXConditionPipeline"}))
    app, delivery = await make_app(model=model), RecordingDelivery()
    pipeline = diffusers.LTXConditionPipeline
    calls: list[tuple[Any, np.ndarray]] = []  # (the image it was given, the frames it made)
    original = pipeline.__call__

    @functools.wraps(original)  # the generator reads the call's parameters from its signature
    def recorded(pipe: Any, *args: Any, **kwargs: Any) -> Any:
        output = original(pipe, *args, **kwargs)
        calls.append((kwargs.get("image"), np.asarray(output.frames[0])))
        return output

    monkeypatch.setattr(pipeline, "__call__", recorded)
    options = JobOptions(shots=3)
    job = await submit(
        app, prompt=SHOT_SEPARATOR.join(["a cat", "the cat jumps", "the cat lands"]), options=options
    )
    async with worker_life(app, delivery, monkeypatch):
        assert_delivered_once(delivery, await settled(app, job.id))
    assert len(calls) == 3 and calls[0][0] is None
    for (_, made), (image, _) in itertools.pairwise(calls):
        last = (np.clip(made[-1], 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)
        assert image is not None and np.array_equal(np.asarray(image.convert("RGB")), last)
