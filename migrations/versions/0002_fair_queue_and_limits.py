"""fair scheduling counters, limit overrides, and indexes for limits and claims

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from bot.store.schema import UTCDateTime

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

QUEUED = sa.text("state = 'queued'")
HAS_QUEUED = sa.text("queued > 0")
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def upgrade() -> None:
    op.create_index("ix_jobs_guild_user_created", "jobs", ["guild_id", "user_id", "created_at"])
    op.create_index("ix_jobs_guild_created", "jobs", ["guild_id", "created_at"])
    op.create_index("ix_jobs_state_lease", "jobs", ["state", "lease_expires_at"])
    op.create_index(
        "ix_jobs_queued_member",
        "jobs",
        ["model", "guild_id", "user_id", "id"],
        postgresql_where=QUEUED,
        sqlite_where=QUEUED,
    )
    fair_guilds = op.create_table(
        "fair_guilds",
        sa.Column("model", sa.String(200), primary_key=True),
        sa.Column("guild_id", sa.BigInteger(), primary_key=True),
        sa.Column("queued", sa.Integer(), nullable=False),
        sa.Column("last_served_at", UTCDateTime(), nullable=False),
    )
    op.create_index(
        "ix_fair_guilds_next",
        "fair_guilds",
        ["model", "last_served_at", "guild_id"],
        postgresql_where=HAS_QUEUED,
        sqlite_where=HAS_QUEUED,
    )
    fair_members = op.create_table(
        "fair_members",
        sa.Column("model", sa.String(200), primary_key=True),
        sa.Column("guild_id", sa.BigInteger(), primary_key=True),
        sa.Column("user_id", sa.BigInteger(), primary_key=True),
        sa.Column("queued", sa.Integer(), nullable=False),
        sa.Column("last_served_at", UTCDateTime(), nullable=False),
    )
    op.create_index(
        "ix_fair_members_next",
        "fair_members",
        ["model", "guild_id", "last_served_at", "user_id"],
        postgresql_where=HAS_QUEUED,
        sqlite_where=HAS_QUEUED,
    )
    op.create_table(
        "limit_overrides",
        sa.Column("guild_id", sa.BigInteger(), primary_key=True),
        sa.Column("scope", sa.String(8), primary_key=True),
        sa.Column("target_id", sa.BigInteger(), primary_key=True),
        sa.Column("max_pending", sa.Integer(), nullable=True),
        sa.Column("per_hour", sa.Integer(), nullable=True),
        sa.Column("per_day", sa.Integer(), nullable=True),
        sa.Column("guild_per_day", sa.Integer(), nullable=True),
        sa.CheckConstraint("scope IN ('guild', 'role', 'user')", name="ck_limit_overrides_scope"),
    )
    # Jobs queued before this revision join the fair queue.
    conn = op.get_bind()
    rows = conn.execute(
        sa.text("SELECT model, guild_id, user_id, COUNT(*) FROM jobs WHERE state = 'queued' GROUP BY 1, 2, 3")
    ).all()
    guilds: dict[tuple[str, int], int] = {}
    for model, guild_id, user_id, count in rows:
        guilds[(model, guild_id)] = guilds.get((model, guild_id), 0) + count
        conn.execute(
            fair_members.insert().values(
                model=model, guild_id=guild_id, user_id=user_id, queued=count, last_served_at=EPOCH
            )
        )
    for (model, guild_id), count in guilds.items():
        conn.execute(
            fair_guilds.insert().values(model=model, guild_id=guild_id, queued=count, last_served_at=EPOCH)
        )


def downgrade() -> None:
    op.drop_table("limit_overrides")
    op.drop_table("fair_members")
    op.drop_table("fair_guilds")
    for name in (
        "ix_jobs_queued_member",
        "ix_jobs_state_lease",
        "ix_jobs_guild_created",
        "ix_jobs_guild_user_created",
    ):
        op.drop_index(name, table_name="jobs")
