"""every job ends with one outcome: notices owed, images that count when cancelled

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("jobs") as batch:
        batch.add_column(sa.Column("with_image", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("notice_due_at", sa.DateTime(timezone=True), nullable=True))
    op.create_index(
        "ix_jobs_notice_due",
        "jobs",
        ["notice_due_at"],
        postgresql_where=sa.text("notice_due_at IS NOT NULL"),
        sqlite_where=sa.text("notice_due_at IS NOT NULL"),
    )
    op.create_index("ix_jobs_state_finished", "jobs", ["state", "finished_at"])
    # Images of jobs that already ended are kept by no rule.
    op.execute(
        "DELETE FROM job_images WHERE job_id IN "
        "(SELECT id FROM jobs WHERE state IN ('delivered', 'failed', 'cancelled'))"
    )
    options = "CAST(options AS TEXT)" if op.get_bind().dialect.name == "postgresql" else "options"
    op.execute(f"UPDATE jobs SET with_image = true WHERE {options} LIKE '%\"image\": true%'")


def downgrade() -> None:
    op.drop_index("ix_jobs_state_finished", table_name="jobs")
    op.drop_index("ix_jobs_notice_due", table_name="jobs")
    with op.batch_alter_table("jobs") as batch:
        batch.drop_column("notice_due_at")
        batch.drop_column("with_image")
