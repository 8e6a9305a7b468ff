"""Throwaway PostgreSQL databases on a real server, for tests and benchmarks."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

# Admin connection to the server the databases are created on.
POSTGRES_ADMIN = os.environ.get("VIDEOBOT_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")


async def _admin(admin_dsn: str, sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(admin_dsn, timeout=5)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def unreachable(admin_dsn: str = POSTGRES_ADMIN) -> str | None:
    """Why the server cannot be used, or None when it can."""
    try:
        asyncio.run(_admin(admin_dsn, "SELECT 1"))
    except Exception as exc:
        return f"PostgreSQL at {admin_dsn} is not reachable ({exc})"
    return None


@contextmanager
def temporary_database(admin_dsn: str = POSTGRES_ADMIN) -> Iterator[str]:
    """Create an empty database, yield its SQLAlchemy asyncpg URL, drop it afterwards."""
    name = f"videobot_test_{uuid.uuid4().hex[:12]}"
    asyncio.run(_admin(admin_dsn, f'CREATE DATABASE "{name}"'))
    base = admin_dsn.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://", 1)
    try:
        yield f"{base}/{name}"
    finally:
        asyncio.run(_admin(admin_dsn, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
