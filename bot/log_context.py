"""What a log record is about: the job, the server and the worker, carried by context variables so that
every record logged while a job is handled (in its tasks and threads too) names them."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from contextvars import ContextVar

_job_id: ContextVar[int | None] = ContextVar("job_id", default=None)
_guild_id: ContextVar[int | None] = ContextVar("guild_id", default=None)
_worker: ContextVar[str | None] = ContextVar("worker", default=None)

FIELDS = ("job_id", "guild_id", "worker")


@contextlib.contextmanager
def about_job(job_id: int, guild_id: int | None) -> Iterator[None]:
    """Records logged inside the block name this job and its server."""
    job, guild = _job_id.set(job_id), _guild_id.set(guild_id)
    try:
        yield
    finally:
        _guild_id.reset(guild)
        _job_id.reset(job)


def in_guild(guild_id: int | None) -> None:
    """Records logged from here on in this task (an interaction's) name its server."""
    _guild_id.set(guild_id)


def as_worker(name: str) -> None:
    """Records logged from here on in this task, and the tasks it starts, name the worker."""
    _worker.set(name)


class ContextFields(logging.Filter):
    """Puts the job, server and worker of the record's context on the record (None where unknown)."""

    def filter(self, record: logging.LogRecord) -> bool:
        variables: tuple[ContextVar[int | None] | ContextVar[str | None], ...] = (_job_id, _guild_id, _worker)
        for name, variable in zip(FIELDS, variables, strict=True):
            if getattr(record, name, None) is None:
                setattr(record, name, variable.get())
        return True
