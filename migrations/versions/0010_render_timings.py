"""measured render times per model and clip size, for the queue's ETAs

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from bot.store.schema import UTCDateTime

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "render_timings",
        sa.Column("model", sa.String(200), primary_key=True),
        sa.Column("width", sa.Integer(), primary_key=True),
        sa.Column("height", sa.Integer(), primary_key=True),
        sa.Column("frames", sa.Integer(), primary_key=True),
        sa.Column("seconds", sa.Float(), nullable=False),
        sa.Column("samples", sa.Integer(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("render_timings")
