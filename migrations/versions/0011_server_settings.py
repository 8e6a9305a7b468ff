"""server settings: the channels where /video may be used, and the server's default model

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("guild_settings") as batch:
        batch.add_column(sa.Column("default_model", sa.String(200), nullable=True))
    op.create_table(
        "allowed_channels",
        sa.Column("guild_id", sa.BigInteger(), primary_key=True),
        sa.Column("channel_id", sa.BigInteger(), primary_key=True),
    )


def downgrade() -> None:
    op.drop_table("allowed_channels")
    with op.batch_alter_table("guild_settings") as batch:
        batch.drop_column("default_model")
