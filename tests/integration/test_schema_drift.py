"""The migrations build exactly the schema the code declares (``bot.store.schema``), on SQLite and on
PostgreSQL: a column, type, nullability, server default, index or constraint changed in one and not the
other fails here, not in production.

How it compares:

- Alembic's autogenerate (``compare_metadata``) with ``compare_type`` and ``compare_server_default`` on:
  stricter than ``migrations/env.py`` (which compares types only), so a ``revision --autogenerate`` from a
  database at head is empty too. No filter is needed on either backend: the schema declares SQLite's
  variants itself (``BigId`` is INTEGER there, for the row id), and Alembic compares SQLite's reflected
  DATETIME, BOOLEAN and VARCHAR(n) against the declared types without affinity noise. Alembic's own
  ``alembic_version`` table is left out by autogenerate.
- What autogenerate does not compare, checked here from the reflected schema: CHECK constraints (by name,
  and by the quoted values they allow, since PostgreSQL rewrites ``IN (...)`` as ``= ANY (ARRAY[...])``)
  and the predicates of partial indexes (``postgresql_where`` / ``sqlite_where``), normalised the same way.

The checker itself is shown to fail: a copy of the metadata with one drift of each kind must differ.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import CheckConstraint, Column, Connection, Index, MetaData, String, Text, inspect, text

from bot.store.engine import create_engine
from bot.store.migrate import upgrade_to_head
from bot.store.schema import Base

# A cast PostgreSQL adds when it stores an expression: ``::text``, ``::character varying``, ``::text[]``.
_CAST = re.compile(r"::\w+(?: varying)?(?:\[\])?")


def _normalised(sql: str) -> str:
    """An SQL predicate without casts, brackets, quoting of names, case and spacing differences."""
    sql = _CAST.sub("", sql)
    sql = re.sub(r'[()"`]', "", sql)
    return re.sub(r"\s+", " ", sql).strip().lower()


def _literals(sql: str) -> set[str]:
    return set(re.findall(r"'([^']*)'", sql))


def _where(index: Index, dialect: str) -> str | None:
    where = index.dialect_options[dialect].get("where")
    return None if where is None else str(where)


def _reflected_where(index: dict[str, Any], dialect: str) -> str | None:
    where = (index.get("dialect_options") or {}).get(f"{dialect}_where")
    return None if where is None else str(where)


def schema_drift(connection: Connection, metadata: MetaData) -> list[str]:
    """Every difference between the database on ``connection`` and ``metadata``, one line each."""
    context = MigrationContext.configure(
        connection, opts={"compare_type": True, "compare_server_default": True}
    )
    drift = [repr(diff) for diff in compare_metadata(context, metadata)]
    dialect = connection.dialect.name
    inspector = inspect(connection)
    existing = set(inspector.get_table_names())
    for table in metadata.sorted_tables:
        if table.name not in existing:
            continue  # autogenerate has reported it
        declared = {
            c.name: str(c.sqltext) for c in table.constraints if isinstance(c, CheckConstraint) and c.name
        }
        reflected = {c["name"]: c["sqltext"] for c in inspector.get_check_constraints(table.name)}
        for name in sorted(declared.keys() ^ reflected.keys()):
            where = "declared only" if name in declared else "in the database only"
            drift.append(f"CHECK constraint {table.name}.{name}: {where}")
        for name in sorted(declared.keys() & reflected.keys()):
            if _literals(declared[name]) != _literals(reflected[name]):
                drift.append(
                    f"CHECK constraint {table.name}.{name}: declared {declared[name]!r}, "
                    f"database has {reflected[name]!r}"
                )
        indexes = {i["name"]: i for i in inspector.get_indexes(table.name)}
        for index in table.indexes:
            if index.name not in indexes:
                continue  # autogenerate has reported it
            want = _where(index, dialect)
            have = _reflected_where(indexes[index.name], dialect)
            if (want and _normalised(want)) != (have and _normalised(have)):
                drift.append(f"index {index.name}: declared WHERE {want!r}, database has WHERE {have!r}")
    return drift


async def _drift_after_migrating(url: str, *metadatas: MetaData) -> list[list[str]]:
    """Migrate a fresh database to head with the bot's own migration path; the drift of each metadata."""
    engine = create_engine(url)
    try:
        await upgrade_to_head(engine)
        async with engine.connect() as connection:
            return [await connection.run_sync(schema_drift, metadata) for metadata in metadatas]
    finally:
        await engine.dispose()


async def test_the_migrations_build_exactly_the_declared_schema(database_url: str) -> None:
    (drift,) = await _drift_after_migrating(database_url, Base.metadata)
    assert drift == [], "bot/store/schema.py and migrations/versions disagree:\n" + "\n".join(drift)


# -- the checker can fail ----------------------------------------------------------------------------------
def _copy() -> MetaData:
    metadata = MetaData()
    for table in Base.metadata.sorted_tables:
        table.to_metadata(metadata)
    return metadata


def _add_column(m: MetaData) -> None:
    m.tables["jobs"].append_column(Column("notes", Text, nullable=True))


def _narrow_a_type(m: MetaData) -> None:
    m.tables["jobs"].c.model.type = String(100)


def _allow_nulls(m: MetaData) -> None:
    m.tables["jobs"].c.prompt.nullable = True


def _drop_server_default(m: MetaData) -> None:
    m.tables["jobs"].c.with_image.server_default = None


def _add_index(m: MetaData) -> None:
    Index("ix_jobs_seed", m.tables["jobs"].c.seed)


def _allow_another_state(m: MetaData) -> None:
    (check,) = [c for c in m.tables["jobs"].constraints if isinstance(c, CheckConstraint)]
    check.sqltext = text("state IN ('queued', 'running', 'delivered', 'failed', 'cancelled', 'paused')")


def _change_a_partial_index(m: MetaData) -> None:
    (index,) = [i for i in m.tables["jobs"].indexes if i.name == "ix_jobs_notice_due"]
    for dialect in ("postgresql", "sqlite"):
        index.dialect_options[dialect]._non_defaults["where"] = text("notice_due_at IS NULL")


DRIFTS: dict[str, Callable[[MetaData], None]] = {
    "add_column": _add_column,
    "modify_type": _narrow_a_type,
    "modify_nullable": _allow_nulls,
    "modify_default": _drop_server_default,
    "add_index": _add_index,
    "CHECK constraint jobs.ck_jobs_state": _allow_another_state,
    "index ix_jobs_notice_due": _change_a_partial_index,
}


async def test_the_check_fails_on_each_kind_of_drift(database_url: str) -> None:
    """A copy of the metadata with one change the migrations do not make: exactly that change is reported
    (a column added to the schema without a migration among them)."""
    copies = []
    for drift in DRIFTS.values():
        copy = _copy()
        drift(copy)
        copies.append(copy)
    found = await _drift_after_migrating(database_url, *copies)
    for (kind, _), lines in zip(DRIFTS.items(), found, strict=True):
        assert len(lines) == 1 and kind in lines[0], f"{kind}: {lines}"
    assert "'jobs', Column('notes'" in found[0][0]
