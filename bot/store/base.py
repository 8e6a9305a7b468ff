"""What every store shares: the engine, sessions, and one transaction per public method."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar, cast

from sqlalchemy import CursorResult, Result
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.store.schema import AuditEntry

T = TypeVar("T")

# PostgreSQL aborts one of two transactions that lock the same rows in opposite orders (deadlock_detected)
# or that cannot be serialised (serialization_failure); running it again is the documented remedy.
CONFLICT_STATES = frozenset({"40P01", "40001"})
CONFLICT_ATTEMPTS = 5


def utcnow() -> datetime:
    return datetime.now(UTC)


def affected(result: Result[Any]) -> int:
    """How many rows an UPDATE or DELETE changed."""
    return cast(CursorResult[Any], result).rowcount


@dataclass(frozen=True)
class Audit:
    """A moderator's action, as the audit log keeps it."""

    guild_id: int
    moderator_id: int
    action: str
    details: str = ""
    target_user_id: int | None = None


def add_audit(session: AsyncSession, audit: Audit) -> None:
    """Record a moderator's action in the same transaction as the action itself."""
    session.add(AuditEntry(**asdict(audit), created_at=utcnow()))


def is_conflict(exc: DBAPIError) -> bool:
    return getattr(exc.orig, "sqlstate", None) in CONFLICT_STATES


async def retry_on_conflict(transaction: Callable[[], Awaitable[T]]) -> T:
    """Run ``transaction`` again, after a short random pause, when the database aborted it for a conflict
    with a concurrent one."""
    for attempt in range(1, CONFLICT_ATTEMPTS + 1):
        try:
            return await transaction()
        except DBAPIError as exc:
            if not is_conflict(exc) or attempt == CONFLICT_ATTEMPTS:
                raise
            await asyncio.sleep(random.uniform(0, 0.02 * attempt))
    raise AssertionError("unreachable")


class StoreBase:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self._sessions = async_sessionmaker(engine, expire_on_commit=False)
        self._postgres = engine.dialect.name == "postgresql"

    @asynccontextmanager
    async def _transaction(self) -> AsyncIterator[AsyncSession]:
        async with self._sessions() as session, session.begin():
            yield session
