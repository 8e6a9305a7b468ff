"""a job's cost against its member's limits: a story's shots each count as a clip

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("jobs") as batch:
        batch.add_column(sa.Column("cost", sa.Integer(), nullable=False, server_default=sa.text("1")))


def downgrade() -> None:
    with op.batch_alter_table("jobs") as batch:
        batch.drop_column("cost")
