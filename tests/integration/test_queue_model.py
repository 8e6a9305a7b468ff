"""A hypothesis state machine drives the real store and a small in-memory model of the queue rules side by
side: submissions under limits, fair claims, completions, cancels, worker crashes and limit changes."""

from __future__ import annotations

import asyncio
import itertools
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule
from sqlalchemy import delete, update

from bot.limits import LimitLayer, Limits, Refusal, Scope, Usage, effective_limits, first_exceeded
from bot.store.base import utcnow
from bot.store.engine import create_engine
from bot.store.jobs import CancelOutcome, JobStore, NewJob, Submitted
from bot.store.limit_overrides import LimitOverrideStore
from bot.store.migrate import upgrade_to_head
from bot.store.schema import FairGuild, FairMember, Job, LimitOverride

GUILDS = st.sampled_from([1, 2])
USERS = st.sampled_from([1, 2, 3])
MAX_ATTEMPTS = 2
DEFAULTS = Limits(max_pending=3, per_hour=6, per_day=0, guild_per_day=12)
_interactions = itertools.count(1)


@dataclass
class ModelJob:
    id: int
    guild: int
    user: int
    state: str = "queued"
    attempts: int = 0
    started: bool = False
    expired_at: int | None = None  # order in which its worker "crashed"


@dataclass
class Model:
    jobs: dict[int, ModelJob] = field(default_factory=dict)
    guild_served: dict[int, int] = field(default_factory=dict)
    member_served: dict[tuple[int, int], int] = field(default_factory=dict)
    overrides: dict[tuple[int, Scope, int], LimitLayer] = field(default_factory=dict)
    tick: int = 0

    def limits(self, guild: int, user: int) -> Limits:
        member = self.overrides.get((guild, Scope.USER, user))
        return effective_limits(DEFAULTS, self.overrides.get((guild, Scope.GUILD, 0)), [], member)

    def usage(self, guild: int, user: int) -> Usage:
        counted = [
            j
            for j in self.jobs.values()
            if j.guild == guild and not (j.state == "cancelled" and not j.started)
        ]
        mine = [j for j in counted if j.user == user]
        pending = [
            j
            for j in self.jobs.values()
            if (j.guild, j.user) == (guild, user) and j.state in ("queued", "running")
        ]
        return Usage(
            pending=len(pending), last_hour=len(mine), last_day=len(mine), guild_last_day=len(counted)
        )

    def schedule(self) -> list[int]:
        """The order queued jobs will run in if nothing else happens: round-robin servers, then members."""
        queues: dict[int, dict[int, list[int]]] = {}
        for job in sorted(self.jobs.values(), key=lambda j: j.id):
            if job.state == "queued":
                queues.setdefault(job.guild, {}).setdefault(job.user, []).append(job.id)
        guild_served = dict(self.guild_served)
        member_served = dict(self.member_served)
        order, tick = [], self.tick
        while queues:
            guild = min(queues, key=lambda g: (guild_served.get(g, -1), g))
            user = min(queues[guild], key=lambda u: (member_served.get((guild, u), -1), u))
            order.append(queues[guild][user].pop(0))
            tick += 1
            guild_served[guild] = member_served[(guild, user)] = tick
            if not queues[guild][user]:
                del queues[guild][user]
            if not queues[guild]:
                del queues[guild]
        return order


class QueueMachine(RuleBasedStateMachine):
    url: str = ""

    @initialize()
    def start(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.engine = create_engine(self.url)
        self.store = JobStore(self.engine)
        self.overrides = LimitOverrideStore(self.engine)
        self.model = Model()
        self.run(upgrade_to_head(self.engine))
        self.run(self._empty())

    async def _empty(self) -> None:
        async with self.engine.begin() as conn:
            for table in (Job, FairGuild, FairMember, LimitOverride):
                await conn.execute(delete(table))

    def run(self, coro: Any) -> Any:
        return self.loop.run_until_complete(coro)

    def teardown(self) -> None:
        if hasattr(self, "engine"):
            self.run(self.engine.dispose())
            self.loop.close()

    def running(self) -> list[ModelJob]:
        return [j for j in self.model.jobs.values() if j.state == "running" and j.expired_at is None]

    @rule(guild=GUILDS, user=USERS)
    def submit(self, guild: int, user: int) -> None:
        n = next(_interactions)
        new = NewJob(guild, 50, user, 60, 10**9 + n, f"t{n}", "a cat", n, "m", 10**7)
        result = self.run(self.store.submit(new, DEFAULTS))
        expected = first_exceeded(self.model.limits(guild, user), self.model.usage(guild, user))
        if expected is None:
            assert isinstance(result, Submitted), result
            self.model.jobs[result.job.id] = ModelJob(result.job.id, guild, user)
        else:
            assert isinstance(result, Refusal) and result.limit == expected, (result, expected)

    @rule()
    def claim(self) -> None:
        failed = {j.id for j in self.run(self.store.abandoned(MAX_ATTEMPTS))}
        expected_failed = {
            j.id for j in self.model.jobs.values() if j.expired_at is not None and j.attempts >= MAX_ATTEMPTS
        }
        assert failed == expected_failed
        for job_id in failed:
            self.model.jobs[job_id].state = "failed"
            self.model.jobs[job_id].expired_at = None
        job = self.run(self.store.claim("w", 600, MAX_ATTEMPTS))
        retry = sorted(
            (j for j in self.model.jobs.values() if j.expired_at is not None), key=lambda j: j.expired_at
        )
        if retry:
            expected = retry[0]
        else:
            schedule = self.model.schedule()
            if not schedule:
                assert job is None
                return
            expected = self.model.jobs[schedule[0]]
            self.model.tick += 1
            self.model.guild_served[expected.guild] = self.model.tick
            self.model.member_served[(expected.guild, expected.user)] = self.model.tick
        assert job is not None and job.id == expected.id, (job, expected)
        expected.state, expected.started, expected.expired_at = "running", True, None
        expected.attempts += 1
        assert job.attempts == expected.attempts

    @precondition(lambda self: self.running())
    @rule(data=st.data(), delivered=st.booleans())
    def finish(self, data: st.DataObject, delivered: bool) -> None:
        job = data.draw(st.sampled_from(self.running()))
        if delivered:
            assert self.run(self.store.mark_delivered(job.id, "w", 1))
        else:
            assert self.run(self.store.mark_failed(job.id, "w", "boom"))
        job.state = "delivered" if delivered else "failed"

    @precondition(lambda self: self.running())
    @rule(data=st.data())
    def crash(self, data: st.DataObject) -> None:
        """The worker dies: its lease runs out."""
        job = data.draw(st.sampled_from(self.running()))
        self.model.tick += 1
        job.expired_at = self.model.tick
        expiry = utcnow() - timedelta(hours=1) + timedelta(seconds=self.model.tick)
        self.run(self._set(job.id, lease_expires_at=expiry))

    async def _set(self, job_id: int, **values: Any) -> None:
        async with self.engine.begin() as conn:
            await conn.execute(update(Job).where(Job.id == job_id).values(**values))

    @precondition(lambda self: self.model.jobs)
    @rule(data=st.data(), by=USERS, moderator=st.booleans())
    def cancel(self, data: st.DataObject, by: int, moderator: bool) -> None:
        job = data.draw(st.sampled_from(sorted(self.model.jobs.values(), key=lambda j: j.id)))
        result = self.run(self.store.cancel(job.id, job.guild, by, moderator))
        if job.user != by and not moderator:
            assert result.outcome is CancelOutcome.NOT_YOURS
        elif job.state == "queued":
            assert result.outcome is CancelOutcome.CANCELLED_QUEUED
            job.state = "cancelled"
        elif job.state == "running":
            assert result.outcome is CancelOutcome.CANCELLED_RUNNING
            job.state, job.expired_at = "cancelled", None
        else:
            assert result.outcome is CancelOutcome.ALREADY_FINISHED

    @rule(
        guild=GUILDS,
        user=st.one_of(st.none(), USERS),
        max_pending=st.one_of(st.none(), st.integers(0, 4)),
        per_hour=st.one_of(st.none(), st.integers(0, 8)),
    )
    def set_limits(self, guild: int, user: int | None, max_pending: int | None, per_hour: int | None) -> None:
        layer = LimitLayer(max_pending=max_pending, per_hour=per_hour)
        scope, target = (Scope.USER, user) if user is not None else (Scope.GUILD, 0)
        self.run(self.overrides.set_limits(guild, scope, target, layer))
        old = self.model.overrides.get((guild, scope, target), LimitLayer())
        self.model.overrides[(guild, scope, target)] = LimitLayer(
            max_pending=max_pending if max_pending is not None else old.max_pending,
            per_hour=per_hour if per_hour is not None else old.per_hour,
        )

    @invariant()
    def positions_follow_the_schedule(self) -> None:
        if not hasattr(self, "model"):
            return
        schedule = self.model.schedule()
        for place, job_id in enumerate(schedule, start=1):
            assert self.run(self.store.position(job_id)) == (place, len(schedule)), (job_id, place)


@pytest.mark.parametrize("examples", [40])
def test_queue_matches_the_model(database_url: str, examples: int) -> None:
    machine = type("Machine", (QueueMachine,), {"url": database_url})
    runner = machine.TestCase
    runner.settings = settings(
        max_examples=examples,
        stateful_step_count=30,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    runner().runTest()
