"""Faults and abuse: does every accepted /video job end as exactly one clip, or a reason why not?

Drives the unmodified bot process (``python -m bot``, tiny random-weight Wan model on the CPU, embedded
worker, default lease) against the local Discord stand-in and injects one fault per run; every run has a
fresh database, a fresh stand-in and its own working directory (kept across a kill and restart, so a
worker that names itself after its directory keeps its name):

  kill-render      SIGKILL at a random moment while the job renders (a render slowed to about 5 s; the
                   kill lands 0.2-3 s after its "rendering" status edit), restart at once at normal speed.
  kill-upload      hold Discord's answer to the clip's channel POST for a random 0.5-3 s, SIGKILL at a
                   random point while it is held (the message exists, the bot has not heard back),
                   restart at once.
  postgres-outage  the bot reaches PostgreSQL through a TCP proxy (standins/tcp_proxy.py) that goes
                   down for 5 s from a random moment of the (slowed) render: open connections are reset
                   and new ones refused, then it listens again on the same port.
  discord-storm    the clip routes (channel messages, follow-ups, DM channel creation) answer 403, 404,
                   500, 502 or 503 (one, at random) from the moment the job is queued until a random
                   2-8 s after they first refuse the bot, so that the storm is raging when the clip is
                   posted, however long the render took.

Whether each fault landed where it was aimed (the render still running, the POST still unanswered, a
request refused) is checked at the time and reported under the table. Each job is judged from outside
only, as the member would see it (the stand-in's messages and recorded requests), with the database read
only to know when the bot considers the job finished:

  delivered once   one message carrying the clip (attachments, embed titled "Job #N"), no failure notice
  told why not     no clip; a failure notice ("job #N" with "failed"/"could not") or the status message
                   left at "❌ Job #N failed: ..."
  lost             no clip and no notice by the deadline (--deadline, 180 s after the fault ended: more
                   than the default 120 s lease, so recovery by lease expiry shows as slow, not lost)
  duplicated       more than one message with the clip (deleted ones included), or a clip and a notice
  exits            bot processes that exited without being sent SIGKILL or SIGTERM by the bench
  resume           kill scenarios: seconds from spawning the restarted process to the job being taken
                   up again: its first status edit saying "rendering" (or done/failed), a clip or notice
                   posted, or the database showing it claimed again or finished, whichever comes first

PostgreSQL (standins/postgres.py, $VIDEOBOT_TEST_POSTGRES) holds every run's database unless --database
sqlite. There is no supervisor: a bot that exits on its own is not restarted. Logs of every run (bot.log
with both lives, run.log with the bench's view) stay under the printed directory.

    python bench/faults.py [--runs 20] [--scenario kill-render kill-upload ...] [--database postgres]
"""

from __future__ import annotations

import sys
from pathlib import Path

# Run as a script, Python puts bench/ first on the path, where bench/queue.py and bench/generation.py would
# hide the standard library's queue and the generation package: the repository goes there instead.
ROOT = Path(__file__).resolve().parents[1]
if sys.path and Path(sys.path[0] or ".").resolve() == ROOT / "bench":
    sys.path[0] = str(ROOT)
elif str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import argparse  # noqa: E402
import asyncio  # noqa: E402
import contextlib  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import random  # noqa: E402
import re  # noqa: E402
import shlex  # noqa: E402
import signal  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import traceback  # noqa: E402
from collections.abc import Awaitable, Callable, Iterator  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from datetime import datetime  # noqa: E402
from typing import Any  # noqa: E402

from sqlalchemy.engine import make_url  # noqa: E402

from bot.store.engine import create_engine  # noqa: E402
from bot.store.jobs import JobRecord, JobStore  # noqa: E402
from bot.store.schema import FINAL_STATES  # noqa: E402
from generation.tiny import make_tiny  # noqa: E402
from standins.bot_process import bot_env  # noqa: E402
from standins.discord import DiscordStandIn, Recorded  # noqa: E402
from standins.postgres import POSTGRES_ADMIN, temporary_database, unreachable  # noqa: E402
from standins.tcp_proxy import TcpProxy  # noqa: E402

SCENARIOS = ("kill-render", "kill-upload", "postgres-outage", "discord-storm")
MEMBER = 123456789012345678

# A render of the tiny model slowed to a few seconds (about 5 s on an idle 2-core machine: ~7 ms a step
# plus ~1 s of encoding), so that a fault can land inside it: the acceptance tests' SLOW_RENDER steps
# (tests/acceptance/support.py) at a quarter of its frame
# area and half its frames. The restarted process renders at the tiny model's normal speed (under 1 s).
SLOWED_RENDER = {
    "VIDEOBOT_GENERATION__STEPS": "500",
    "VIDEOBOT_GENERATION__WIDTH": "128",
    "VIDEOBOT_GENERATION__HEIGHT": "128",
    "VIDEOBOT_GENERATION__NUM_FRAMES": "17",
}
FAULT_AFTER_RENDERING = (0.2, 3.0)  # seconds after the "rendering" edit at which a render fault lands
UPLOAD_HOLD = (0.5, 3.0)
OUTAGE_SECONDS = 5.0
STORM_STATUSES = (403, 404, 500, 502, 503)
STORM_SECONDS = (2.0, 8.0)
STORM_ROUTES = ("channel_message", "followup", "create_dm")  # those the stand-in has are used

STARTUP_TIMEOUT = 120.0  # from spawn to IDENTIFY on the gateway (torch import and model load included)
ACCEPT_TIMEOUT = 60.0  # from the interaction to the "Job #N is queued" status
FAULT_TIMEOUT = 180.0  # for the moment a fault waits for (rendering started, clip upload in flight)
SETTLE_SECONDS = 3.0  # kept watching after the outcome, for late duplicates
POLL = 0.05

_JOB_IN_STATUS = re.compile(r"Job #(\d+)")


# -- one bot process --------------------------------------------------------------------------------------
class BotLife:
    """One ``python -m bot`` process, started as standins/bot_process.py's ``bot_process`` starts it,
    remembering when it was spawned and whether it ended on its own."""

    def __init__(self, discord: DiscordStandIn, env: dict[str, str], workdir: Path, label: str) -> None:
        self.discord = discord
        self.env = env
        self.workdir = workdir
        self.label = label
        self.proc: asyncio.subprocess.Process | None = None
        self.spawned_at = 0.0
        self.identified_at: float | None = None
        self.signalled = False  # the bench sent SIGKILL or SIGTERM

    async def start(self) -> bool:
        """Spawn the bot and wait until it has identified on the gateway; False if it exited first."""
        log_path = self.workdir / "bot.log"
        with log_path.open("ab") as log:
            log.write(f"\n===== faults bench: {self.label}, {datetime.now().isoformat()} =====\n".encode())
            log.flush()
            self.discord.identified.clear()
            self.spawned_at = time.monotonic()
            self.proc = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot", env=self.env, cwd=self.workdir, stdout=log, stderr=log
            )
        deadline = self.spawned_at + STARTUP_TIMEOUT
        while not self.discord.identified.is_set():
            if self.proc.returncode is not None:
                return False
            if time.monotonic() > deadline:
                await self.stop()  # hung at startup: the job it should run will show as lost
                return False
            await asyncio.sleep(POLL)
        self.identified_at = time.monotonic()
        return True

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.returncode is None

    @property
    def exited_on_its_own(self) -> bool:
        return self.proc is not None and self.proc.returncode is not None and not self.signalled

    async def kill(self) -> None:
        if self.running:
            assert self.proc is not None
            self.signalled = True
            self.proc.send_signal(signal.SIGKILL)
            await self.proc.wait()

    async def stop(self) -> None:
        if self.running:
            assert self.proc is not None
            self.signalled = True
            self.proc.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(self.proc.wait(), 40)
            except TimeoutError:
                self.proc.kill()
                await self.proc.wait()


# -- what the member sees ---------------------------------------------------------------------------------
def _has_title(message: dict[str, Any], title: str) -> bool:
    return any((embed or {}).get("title") == title for embed in message.get("embeds") or [])


def _is_clip(message: dict[str, Any], job_id: int) -> bool:
    return bool(message.get("attachments")) and _has_title(message, f"Job #{job_id}")


def _is_notice(content: str, job_id: int) -> bool:
    text = content.lower()
    return re.search(rf"job #{job_id}\b", text) is not None and ("failed" in text or "could not" in text)


@dataclass
class Seen:
    clips: list[str]  # message ids carrying the clip, deleted ones included
    notices: list[str]  # message ids telling the member why there is no clip
    deleted_clips: int
    status: str  # the status message's text now

    @property
    def outcome(self) -> str:
        if len(self.clips) > 1 or (self.clips and self.notices):
            return "duplicated"
        if self.clips:
            return "delivered once"
        if self.notices:
            return "told why not"
        return "lost"


def _status_ids(discord: DiscordStandIn, token: str) -> set[str]:
    return {
        str(r.response["id"])
        for r in discord.requests
        if r.route == "webhook_edit" and token in r.path and isinstance(r.response, dict)
    }


def look(discord: DiscordStandIn, token: str, job_id: int) -> Seen:
    """Every message the bot posted for the job: those that exist now, and any posted then deleted. The
    status message (the /video reply, edited through the token) counts by its text now only."""
    status_ids = _status_ids(discord, token)
    existing = {str(m["id"]): m for m in discord.messages.values()}
    posted: dict[str, dict[str, Any]] = {}
    for rec in discord.requests:
        if rec.route != "webhook_edit" and isinstance(rec.response, dict) and "channel_id" in rec.response:
            posted[str(rec.response["id"])] = rec.response
    # Messages now, as they are now (edited, or created while Discord's answer is still held back).
    posted.update({i: m for i, m in existing.items() if i not in status_ids})
    clips = [i for i, m in posted.items() if _is_clip(m, job_id)]
    notices = [
        i for i, m in posted.items() if not _is_clip(m, job_id) and _is_notice(m.get("content") or "", job_id)
    ]
    status = ""
    for i in status_ids:
        message = existing.get(i)
        if message is None:
            continue
        status = message.get("content") or ""
        if _is_clip(message, job_id):  # the clip delivered by editing the status message
            clips.append(i)
        elif status.startswith("❌") and f"Job #{job_id}" in status:
            notices.append(i)
    return Seen(clips, notices, sum(i not in existing for i in clips), status)


def _first_after(discord: DiscordStandIn, token: str, job_id: int, since: float) -> float | None:
    """When, after ``since``, the job was visibly taken up: a status edit saying it renders (or is done or
    failed), or a clip or notice posted."""
    times = []
    for rec in discord.requests:
        if rec.at < since:
            continue
        body = rec.json if isinstance(rec.json, dict) else {}
        content = str(body.get("content") or "")
        if rec.route == "webhook_edit" and token in rec.path:
            if "rendering" in content or content.startswith(("✅", "❌")):
                times.append(rec.at)
        elif isinstance(rec.response, dict) and (
            _is_clip(rec.response, job_id) or _is_notice(str(rec.response.get("content") or ""), job_id)
        ):
            times.append(rec.at)
    return min(times, default=None)


def _rendering_edit(discord: DiscordStandIn, token: str, since: float = 0.0) -> Recorded | None:
    for rec in discord.requests:
        if rec.at >= since and rec.route == "webhook_edit" and token in rec.path:
            body = rec.json if isinstance(rec.json, dict) else {}
            if "rendering" in str(body.get("content") or ""):
                return rec
    return None


def _clip_in_flight(discord: DiscordStandIn, job_id: int) -> str | None:
    """A clip message Discord has created while the request that created it is still unanswered."""
    answered = {str(r.response["id"]) for r in discord.requests if isinstance(r.response, dict)}
    for message in discord.messages.values():
        if _is_clip(message, job_id) and str(message["id"]) not in answered:
            return str(message["id"])
    return None


# -- the database, read from outside ----------------------------------------------------------------------
class Observer:
    """Reads the job's row directly (never through the fault proxy)."""

    def __init__(self, url: str) -> None:
        self.engine = create_engine(url)
        self.store = JobStore(self.engine)
        self.error: str | None = None

    async def job(self, job_id: int) -> JobRecord | None:
        try:
            job = await self.store.get(job_id)
        except Exception as exc:  # not migrated yet, or a schema being changed: keep looking
            self.error = f"{type(exc).__name__}: {exc}"[:300]
            return None
        self.error = None
        return job

    async def close(self) -> None:
        await self.engine.dispose()


# -- one run ----------------------------------------------------------------------------------------------
@dataclass
class RunResult:
    scenario: str
    index: int
    workdir: Path
    accepted: int = 0
    outcome: str = ""  # one of Seen.outcome's, or "" when no job was accepted
    exits: int = 0
    resume_s: float | None = None
    fault_hit: bool | None = None  # the fault landed where it was aimed (see the notes)
    needs_resume: bool = False  # killed while the job was unfinished: it must be taken up again
    fault: str = ""
    error: str = ""  # the bench itself failed
    events: list[str] = field(default_factory=list)

    @property
    def bad(self) -> bool:
        return self.outcome in ("lost", "duplicated") or self.exits > 0 or bool(self.error)


class Run:
    def __init__(
        self,
        scenario: str,
        index: int,
        workdir: Path,
        model: Path,
        url: str,
        deadline: float,
        rng: random.Random,
    ) -> None:
        self.scenario = scenario
        self.workdir = workdir
        self.model = model
        self.url = url
        self.deadline = deadline
        self.rng = rng
        self.result = RunResult(scenario, index, workdir)
        self.lives: list[BotLife] = []
        self.started = time.monotonic()
        self.token = ""
        self.job_id: int | None = None
        self.at_kill: JobRecord | None = None  # the job's row when the first process was killed

    def note(self, text: str, at: float | None = None) -> None:
        when = (time.monotonic() if at is None else at) - self.started
        self.result.events.append(f"{when:8.2f}s  {text}")

    def exited(self) -> bool:
        return any(life.exited_on_its_own for life in self.lives)

    async def until(
        self, check: Callable[[], Awaitable[bool] | bool], within: float, every: float = POLL
    ) -> bool:
        """Poll ``check`` until it holds (True), ``within`` seconds pass or a bot exits on its own (False)."""
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            value = check()
            if not isinstance(value, bool):
                value = await value
            if value:
                return True
            if self.exited():
                return False
            await asyncio.sleep(every)
        return False

    async def sleep(self, seconds: float) -> None:
        await self.until(lambda: False, seconds)

    async def start_bot(self, discord: DiscordStandIn, env: dict[str, str], label: str) -> BotLife | None:
        life = BotLife(discord, env, self.workdir, label)
        self.lives.append(life)
        started = await life.start()
        if life.proc is not None and life.proc.pid:
            self.note(f"{label}: pid {life.proc.pid} spawned", life.spawned_at)
        if not started:
            code = life.proc.returncode if life.proc else None
            self.note(f"{label}: did not reach the gateway (exit code {code})")
            return None
        self.note(f"{label}: identified {time.monotonic() - life.spawned_at:.1f}s after spawn")
        return life

    async def submit(self, discord: DiscordStandIn, observer: Observer) -> int | None:
        payload = discord.slash_command("video", MEMBER, prompt=f"a fox in the snow, {self.scenario} run")
        self.token = str(payload["token"])
        await discord.interact(payload)
        self.note("/video sent")

        def accepted() -> bool:
            for rec in discord.requests:
                if rec.route == "webhook_edit" and self.token in rec.path:
                    body = rec.json if isinstance(rec.json, dict) else {}
                    found = _JOB_IN_STATUS.search(str(body.get("content") or ""))
                    if found:
                        self.job_id = int(found.group(1))
                        return True
            return False

        # No status message: a job may still have been queued (each run has a fresh database).
        if not await self.until(accepted, ACCEPT_TIMEOUT) and await observer.job(1) is not None:
            self.job_id = 1
        if self.job_id is not None:
            self.result.accepted = 1
            self.note(f"accepted as job #{self.job_id}")
        else:
            self.note("no job was accepted")
        return self.job_id

    async def wait_rendering(self, discord: DiscordStandIn, since: float = 0.0) -> Recorded | None:
        found: list[Recorded] = []

        def seen() -> bool:
            rec = _rendering_edit(discord, self.token, since)
            if rec is not None:
                found.append(rec)
            return rec is not None

        await self.until(seen, FAULT_TIMEOUT)
        if found:
            self.note("status says rendering")
            return found[0]
        self.note("no 'rendering' status seen")
        return None

    async def phase(self, discord: DiscordStandIn, observer: Observer) -> str:
        """Where the job is, from outside: still rendering, or posting has begun."""
        assert self.job_id is not None
        if look(discord, self.token, self.job_id).clips or _clip_in_flight(discord, self.job_id):
            return "after the clip was posted"
        job = await observer.job(self.job_id)
        if job is None:
            return "unknown"
        if job.state in FINAL_STATES:
            return f"after the job ended ({job.state.value})"
        if job.delivery_started_at is not None:
            return "while posting"
        return f"while rendering ({job.state.value})"

    async def wait_outcome(
        self, discord: DiscordStandIn, observer: Observer, restarted: float | None
    ) -> None:
        """Watch until the job is finished in the database and visibly answered, the deadline passes or the
        bot exits on its own; then keep watching a little for late duplicates."""
        assert self.job_id is not None
        job_id = self.job_id
        taken_up: list[float] = []
        before = self.at_kill

        async def done() -> bool:
            job = await observer.job(job_id)
            if restarted is not None and not taken_up and job is not None and before is not None:
                moved = (job.attempts, job.started_at) != (before.attempts, before.started_at)
                if moved or job.state in FINAL_STATES:
                    taken_up.append(time.monotonic())
            seen = look(discord, self.token, job_id)
            return job is not None and job.state in FINAL_STATES and bool(seen.clips or seen.notices)

        finished = await self.until(done, self.deadline, every=0.2)
        if finished:
            self.note("job finished and answered")
            await self.sleep(SETTLE_SECONDS)
        elif self.exited():
            self.note("a bot process exited on its own")
            await asyncio.sleep(SETTLE_SECONDS)
        else:
            self.note(f"deadline: not finished {self.deadline:.0f}s after the fault")
        if restarted is not None:
            visible = _first_after(discord, self.token, job_id, restarted)
            candidates = [t for t in [visible, *taken_up[:1]] if t is not None]
            if candidates:
                self.result.resume_s = min(candidates) - restarted
                self.note(f"taken up again {self.result.resume_s:.1f}s after the restart's spawn")

    async def finish(self, discord: DiscordStandIn, observer: Observer) -> None:
        for life in self.lives:
            await life.stop()
        self.result.exits = sum(life.exited_on_its_own for life in self.lives)
        for life in self.lives:
            if life.exited_on_its_own and life.proc is not None:
                self.note(f"{life.label} exited on its own with code {life.proc.returncode}")
        if self.job_id is None:
            return
        seen = look(discord, self.token, self.job_id)
        self.result.outcome = seen.outcome
        job = await observer.job(self.job_id)
        self.note(
            f"outcome: {seen.outcome}; clips {seen.clips} ({seen.deleted_clips} deleted), notices "
            f"{seen.notices}; status {seen.status!r}; database: "
            + (
                f"{job.state.value}, attempts {job.attempts}, worker {job.worker_id}, error {job.error!r}"
                if job
                else f"unreadable ({observer.error})"
            )
        )

    # -- scenarios ----------------------------------------------------------------------------------------
    async def execute(self) -> RunResult:
        observer = Observer(self.url)
        discord: DiscordStandIn | None = None
        try:
            async with DiscordStandIn(nonce_window=0) as discord:
                try:
                    await getattr(self, "_" + self.scenario.replace("-", "_"))(discord, observer)
                finally:
                    await self.finish(discord, observer)
        except Exception:
            self.result.error = traceback.format_exc()
            self.note("bench error:\n" + self.result.error)
        finally:
            for life in self.lives:  # never leave a bot behind, whatever failed
                await life.stop()
            await observer.close()
            self._write_log(discord)
        return self.result

    def env(self, discord: DiscordStandIn, url: str | None = None, **overrides: str) -> dict[str, str]:
        return bot_env(discord, self.model, url or self.url, **overrides)

    async def _into_the_render(self, discord: DiscordStandIn, observer: Observer) -> float | None:
        """Wait for the job to start rendering, then a random moment more; None (and the outcome waited
        for) if it never rendered."""
        if await self.wait_rendering(discord) is None:
            await self.wait_outcome(discord, observer, None)
            return None
        delay = self.rng.uniform(*FAULT_AFTER_RENDERING)
        await self.sleep(delay)
        return delay

    async def _kill_render(self, discord: DiscordStandIn, observer: Observer) -> None:
        first = await self.start_bot(discord, self.env(discord, **SLOWED_RENDER), "life 1 (slowed render)")
        if first is None or await self.submit(discord, observer) is None:
            return
        delay = await self._into_the_render(discord, observer)
        if delay is None:
            return
        if self.exited():
            await self.wait_outcome(discord, observer, None)
            return
        where = await self.phase(discord, observer)
        await first.kill()
        fault = f"SIGKILL {delay:.2f}s after 'rendering', {where}"
        await self._restart_after_kill(discord, observer, fault, where.startswith("while rendering"))

    async def _kill_upload(self, discord: DiscordStandIn, observer: Observer) -> None:
        hold = self.rng.uniform(*UPLOAD_HOLD)
        discord.hold["channel_message"] = hold
        first = await self.start_bot(discord, self.env(discord), "life 1")
        if first is None or await self.submit(discord, observer) is None:
            return
        assert self.job_id is not None
        job_id = self.job_id
        if not await self.until(lambda: _clip_in_flight(discord, job_id) is not None, FAULT_TIMEOUT):
            self.note("no clip upload was seen in flight")
            discord.hold.clear()
            await self.wait_outcome(discord, observer, None)
            return
        message_id = _clip_in_flight(discord, job_id)
        delay = self.rng.uniform(0, 0.9 * hold)
        await self.sleep(delay)
        in_flight = _clip_in_flight(discord, job_id) == message_id
        await first.kill()
        discord.hold.clear()
        where = "unanswered" if in_flight else "already answered"
        fault = f"SIGKILL {delay:.2f}s into a {hold:.2f}s hold of the clip POST ({where})"
        await self._restart_after_kill(discord, observer, fault, in_flight)

    async def _restart_after_kill(
        self, discord: DiscordStandIn, observer: Observer, fault: str, hit: bool
    ) -> None:
        """Record where the kill landed, restart the bot at once, and wait for the job's outcome."""
        self.at_kill = await observer.job(self.job_id or 0)
        self.result.needs_resume = self.at_kill is not None and self.at_kill.state not in FINAL_STATES
        self.result.fault = fault
        self.result.fault_hit = hit
        self.note(fault)
        second = await self.start_bot(discord, self.env(discord), "life 2 (restart)")
        restarted = self.lives[-1].spawned_at
        if second is not None:
            await self.wait_outcome(discord, observer, restarted)
        else:
            await self.wait_outcome_without_bot(discord, observer, restarted)

    async def _postgres_outage(self, discord: DiscordStandIn, observer: Observer) -> None:
        direct = make_url(self.url)
        if direct.get_backend_name() != "postgresql":
            raise RuntimeError("postgres-outage needs a PostgreSQL database")
        async with TcpProxy(direct.host or "127.0.0.1", direct.port or 5432) as proxy:
            env = self.env(discord, proxy.url_for(self.url), **SLOWED_RENDER)
            if await self.start_bot(discord, env, "life 1 (slowed render, database via proxy)") is None:
                return
            if await self.submit(discord, observer) is None:
                return
            delay = await self._into_the_render(discord, observer)
            if delay is None:
                return
            where = await self.phase(discord, observer)
            open_connections = proxy.open_connections
            proxy.down()
            self.note(f"database down ({open_connections} connections cut)")
            await asyncio.sleep(OUTAGE_SECONDS)  # the whole outage, whatever the bot does meanwhile
            proxy.up()
            self.note("database up")
            self.result.fault = (
                f"{OUTAGE_SECONDS:.0f}s outage {delay:.2f}s after 'rendering', {where}, "
                f"{open_connections} connections cut"
            )
            self.result.fault_hit = where.startswith("while rendering")
            await self.wait_outcome(discord, observer, None)

    async def _discord_storm(self, discord: DiscordStandIn, observer: Observer) -> None:
        available = {name.removeprefix("_r_") for name in dir(discord) if name.startswith("_r_")}
        routes = [r for r in STORM_ROUTES if r in available]
        if await self.start_bot(discord, self.env(discord), "life 1") is None:
            return
        if await self.submit(discord, observer) is None:
            return
        # The storm is armed as the job is queued and rages on for a while after it first refuses the
        # bot: the clip's post lands in it, however long the render (warm-up, interpolation) took.
        status = self.rng.choice(STORM_STATUSES)
        length = self.rng.uniform(*STORM_SECONDS)
        assert self.job_id is not None
        early = bool(look(discord, self.token, self.job_id).clips)
        begun = time.monotonic()
        for route in routes:
            discord.failing_routes[route] = status
        self.note(f"storm: {', '.join(routes)} answer {status}")

        def refused_since(start: float, end: float) -> list[Recorded]:
            return [
                r
                for r in discord.requests
                if r.route in routes and start <= r.at <= end and r.response is None
            ]

        await self.until(lambda: bool(refused_since(begun, time.monotonic())), self.deadline)
        await asyncio.sleep(length)  # the rest of the storm, whatever the bot does meanwhile
        discord.failing_routes.clear()
        ended = time.monotonic()
        self.note("storm over")
        refused = refused_since(begun, ended)
        self.result.fault = (
            f"HTTP {status} on {', '.join(routes)} for {ended - begun:.1f}s ({length:.1f}s after the first "
            f"refusal); {len(refused)} requests refused"
            + ("; the clip was posted before it began" if early else "")
        )
        self.result.fault_hit = bool(refused)
        self.note(self.result.fault)
        await self.wait_outcome(discord, observer, None)

    async def wait_outcome_without_bot(
        self, discord: DiscordStandIn, observer: Observer, restarted: float
    ) -> None:
        """The restart failed: nothing more will happen, look once more after a moment."""
        await asyncio.sleep(SETTLE_SECONDS)
        visible = _first_after(discord, self.token, self.job_id or 0, restarted)
        if visible is not None:
            self.result.resume_s = visible - restarted

    def _write_log(self, discord: DiscordStandIn | None) -> None:
        lines = [
            f"{self.scenario} run {self.result.index}: fault: {self.result.fault or '-'}",
            *sorted(self.result.events),  # by time: a process spawn is noted once it is up
        ]
        if discord is not None:
            lines.append("requests (seconds since the run began):")
            for rec in discord.requests:
                body = rec.json if isinstance(rec.json, dict) else {}
                content = str(body.get("content") or "")[:90]
                titles = [e.get("title") for e in body.get("embeds") or [] if isinstance(e, dict)]
                answered = "answered" if rec.response is not None else "no message"
                lines.append(
                    f"  {rec.at - self.started:8.2f}s {rec.method:6} {rec.route:22} {answered:10} "
                    f"{json.dumps(content, ensure_ascii=False)} {titles if titles else ''}"
                    f"{' +' + str(len(rec.files)) + ' files' if rec.files else ''}"
                )
        (self.workdir / "run.log").write_text("\n".join(lines) + "\n")


# -- many runs, one table ---------------------------------------------------------------------------------
@contextlib.contextmanager
def _database(kind: str, scenario: str, admin: str, workdir: Path) -> Iterator[str]:
    if kind == "postgres" or scenario == "postgres-outage":
        with temporary_database(admin) as url:
            yield url
    else:
        yield f"sqlite+aiosqlite:///{workdir / 'videobot.db'}"


def _fmt_resume(values: list[float]) -> str:
    if not values:
        return "-"
    return f"{statistics.median(values):.1f} / {max(values):.1f}"


OUTCOMES = ("delivered once", "told why not", "lost", "duplicated")


def _table(results: dict[str, list[RunResult]], runs: int) -> list[str]:
    header = ["scenario", "runs", "accepted", *OUTCOMES, "exits", "resume median / max s"]
    rows = [header]
    for scenario, done in results.items():
        resumes = [r.resume_s for r in done if r.needs_resume and r.resume_s is not None]
        rows.append(
            [
                scenario,
                str(len(done)) if len(done) == runs else f"{len(done)}/{runs}",
                str(sum(r.accepted for r in done)),
                *(str(sum(r.outcome == outcome for r in done)) for outcome in OUTCOMES),
                str(sum(r.exits for r in done)),
                _fmt_resume(resumes) if scenario.startswith("kill-") else "",
            ]
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    return [
        " | ".join([row[0].ljust(widths[0]), *(c.rjust(w) for c, w in zip(row[1:], widths[1:], strict=True))])
        for row in rows
    ]


def _notes(scenario: str, done: list[RunResult]) -> str:
    hit = sum(r.fault_hit is True for r in done)
    aimed = {
        "kill-render": "killed while the job was rendering",
        "kill-upload": "killed while the clip POST was unanswered",
        "postgres-outage": "outage began while the job was rendering",
        "discord-storm": "storm refused at least one clip-route request",
    }[scenario]
    parts = [f"{aimed} in {hit}/{len(done)} runs"]
    if scenario.startswith("kill-"):
        missing = sum(r.needs_resume and r.resume_s is None for r in done)
        if missing:
            parts.append(f"{missing} never taken up again")
    errors = sum(bool(r.error) for r in done)
    if errors:
        parts.append(f"{errors} bench errors")
    return f"  {scenario}: " + "; ".join(parts)


def _git_revision() -> str:
    try:
        sha = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(["git", "diff", "--quiet", "HEAD", "--"], cwd=ROOT, capture_output=True)
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return sha + (" with uncommitted changes" if dirty.returncode else "")


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=20, help="runs per scenario")
    parser.add_argument("--scenario", nargs="+", choices=SCENARIOS, default=list(SCENARIOS))
    parser.add_argument(
        "--database",
        choices=["postgres", "sqlite"],
        default="postgres",
        help="database of the kill and storm scenarios (postgres-outage always uses PostgreSQL)",
    )
    parser.add_argument("--postgres", default=POSTGRES_ADMIN, help="server to create scratch databases on")
    parser.add_argument(
        "--deadline",
        type=float,
        default=180.0,
        help="seconds after the fault ends before a job with no answer counts as lost (default 180: "
        "longer than the default 120 s lease, so a job taken up only when its lease expires shows as "
        "late, not lost)",
    )
    parser.add_argument("--seed", type=int, default=None, help="random seed (default: from the clock)")
    parser.add_argument("--logs", default=None, help="directory for the runs' logs (default: a new temp dir)")
    args = parser.parse_args()
    if args.runs < 1:
        parser.error("--runs must be at least 1")

    seed = args.seed if args.seed is not None else int(time.time())
    rng = random.Random(seed)
    python = os.path.relpath(sys.executable) if sys.executable.startswith(os.getcwd()) else sys.executable
    print("$ " + shlex.join([python, *sys.argv]))
    print(
        f"{datetime.now().astimezone().isoformat(timespec='seconds')}; bot at {_git_revision()}; seed {seed}"
    )
    if args.database == "postgres" or "postgres-outage" in args.scenario:
        problem = unreachable(args.postgres)
        if problem:
            print(
                f"error: {problem} (--database sqlite runs the other scenarios without it)", file=sys.stderr
            )
            return 2
    base = Path(args.logs) if args.logs else Path(tempfile.mkdtemp(prefix="videobot-faults-"))
    base.mkdir(parents=True, exist_ok=True)
    print(f"logs: {base}", flush=True)
    model = make_tiny(base / "tiny-wan", "wan")

    results: dict[str, list[RunResult]] = {s: [] for s in args.scenario}
    started = time.monotonic()
    for scenario in args.scenario:
        for index in range(1, args.runs + 1):
            workdir = base / f"{scenario}-{index:02d}"
            workdir.mkdir(parents=True, exist_ok=True)
            with _database(args.database, scenario, args.postgres, workdir) as url:
                run = Run(scenario, index, workdir, model, url, args.deadline, rng)
                result = asyncio.run(run.execute())
            results[scenario].append(result)
            extras = [f"{result.exits} exits"] if result.exits else []
            if result.resume_s is not None:
                extras.append(f"resume {result.resume_s:.1f}s")
            if result.error:
                extras.append("bench error")
            summary = ", ".join([result.outcome or "no job accepted", *extras])
            print(f"  {scenario} {index}/{args.runs}: {summary}; {result.fault or '-'}", flush=True)

    print(f"\n{sum(len(r) for r in results.values())} runs in {time.monotonic() - started:.0f}s")
    for line in _table(results, args.runs):
        print(line)
    print("notes:")
    for scenario, done in results.items():
        print(_notes(scenario, done))
    bad = [r for done in results.values() for r in done if r.bad]
    if bad:
        print("runs that lost, duplicated, exited or failed (bot.log and run.log in each):")
        for r in bad:
            why = ", ".join(
                w
                for w, on in (
                    (r.outcome, r.outcome in ("lost", "duplicated")),
                    (f"{r.exits} exits", r.exits > 0),
                    ("bench error", bool(r.error)),
                )
                if on
            )
            print(f"  {r.workdir}  ({why})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
