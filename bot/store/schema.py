"""Tables. Every change here comes with an Alembic migration in ``migrations/versions``."""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    false,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

# SQLite only auto-increments INTEGER PRIMARY KEY; PostgreSQL gets a 64-bit identity.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC on the way in and out, on every backend (SQLite stores naive text)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class JobState(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DELIVERED = "delivered"
    FAILED = "failed"
    CANCELLED = "cancelled"


FINAL_STATES = frozenset({JobState.DELIVERED, JobState.FAILED, JobState.CANCELLED})
# A job that is queued or running: it counts against its member's max_pending, and may still be cancelled.
PENDING_STATES = (JobState.QUEUED, JobState.RUNNING)


class Base(DeclarativeBase):
    pass


class Job(Base):
    __tablename__ = "jobs"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    guild_id: Mapped[int] = mapped_column(BigInteger)
    channel_id: Mapped[int] = mapped_column(BigInteger)
    user_id: Mapped[int] = mapped_column(BigInteger)
    application_id: Mapped[int] = mapped_column(BigInteger)
    interaction_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    # Lets a worker edit the status message while Discord keeps the token valid (15 minutes).
    interaction_token: Mapped[str | None] = mapped_column(Text)
    prompt: Mapped[str] = mapped_column(Text)
    negative_prompt: Mapped[str | None] = mapped_column(Text)
    options: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    seed: Mapped[int] = mapped_column(BigInteger)
    model: Mapped[str] = mapped_column(String(200))
    max_bytes: Mapped[int] = mapped_column(BigInteger)
    state: Mapped[str] = mapped_column(String(16), default=JobState.QUEUED)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    worker_id: Mapped[str | None] = mapped_column(String(200))
    lease_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Set just before the clip is posted: a retry after a crash looks for the post before posting again.
    delivery_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    error: Mapped[str | None] = mapped_column(Text)
    status_message_id: Mapped[int | None] = mapped_column(BigInteger)
    result_message_id: Mapped[int | None] = mapped_column(BigInteger)
    # An image job counts against the hourly and daily limits even when cancelled before it ran.
    with_image: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # The member is still owed a notice of why the job ended without a clip: due at this time (a sender
    # pushes it forward while it tries, and clears it once told).
    notice_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The job this one re-rolls (same prompt and options, a new seed), from the button on its clip.
    parent_job_id: Mapped[int | None] = mapped_column(BigInteger)
    # Where the clip was posted: the job's channel, or the member's DMs when the channel was closed to it.
    result_channel_id: Mapped[int | None] = mapped_column(BigInteger)
    # How many clips the job counts as against its member's limits: a story's shots each count.
    cost: Mapped[int] = mapped_column(Integer, default=1, server_default=text("1"))
    # The posted clip's length in seconds (for Extend's maximum); unknown for a post adopted after a crash.
    clip_seconds: Mapped[float | None] = mapped_column(Float)
    # The language of the job's channel posts (status card, clip, notices): the server's, when queued.
    locale: Mapped[str | None] = mapped_column(String(16))

    __table_args__ = (
        CheckConstraint(
            "state IN ('queued', 'running', 'delivered', 'failed', 'cancelled')", name="ck_jobs_state"
        ),
        Index("ix_jobs_state_id", "state", "id"),
        Index("ix_jobs_guild_user", "guild_id", "user_id"),
        Index("ix_jobs_guild_user_created", "guild_id", "user_id", "created_at"),
        Index("ix_jobs_guild_created", "guild_id", "created_at"),
        Index("ix_jobs_state_lease", "state", "lease_expires_at"),
        Index("ix_jobs_state_finished", "state", "finished_at"),
        Index(
            "ix_jobs_notice_due",
            "notice_due_at",
            postgresql_where=text("notice_due_at IS NOT NULL"),
            sqlite_where=text("notice_due_at IS NOT NULL"),
        ),
        # A member's next job, in submission order.
        Index(
            "ix_jobs_queued_member",
            "model",
            "guild_id",
            "user_id",
            "id",
            postgresql_where=text("state = 'queued'"),
            sqlite_where=text("state = 'queued'"),
        ),
    )


# Fair scheduling keeps, per model, how many jobs each server and each member has queued and when each
# was last served, so that claiming reads a few index entries however long the queue is.
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class FairGuild(Base):
    __tablename__ = "fair_guilds"

    model: Mapped[str] = mapped_column(String(200), primary_key=True)
    guild_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    queued: Mapped[int] = mapped_column(Integer, default=0)
    last_served_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=EPOCH)

    __table_args__ = (
        Index(
            "ix_fair_guilds_next",
            "model",
            "last_served_at",
            "guild_id",
            postgresql_where=text("queued > 0"),
            sqlite_where=text("queued > 0"),
        ),
    )


class FairMember(Base):
    __tablename__ = "fair_members"

    model: Mapped[str] = mapped_column(String(200), primary_key=True)
    guild_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    queued: Mapped[int] = mapped_column(Integer, default=0)
    last_served_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=EPOCH)

    __table_args__ = (
        Index(
            "ix_fair_members_next",
            "model",
            "guild_id",
            "last_served_at",
            "user_id",
            postgresql_where=text("queued > 0"),
            sqlite_where=text("queued > 0"),
        ),
    )


class LimitOverride(Base):
    """A moderator's limits for a whole server (scope "guild", target 0), a role, or a member.

    A null field inherits from the layer below: config defaults, then the server, then the member's
    most generous role, then the member.
    """

    __tablename__ = "limit_overrides"

    guild_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    scope: Mapped[str] = mapped_column(String(8), primary_key=True)
    target_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    max_pending: Mapped[int | None] = mapped_column(Integer)
    per_hour: Mapped[int | None] = mapped_column(Integer)
    per_day: Mapped[int | None] = mapped_column(Integer)
    guild_per_day: Mapped[int | None] = mapped_column(Integer)

    __table_args__ = (CheckConstraint("scope IN ('guild', 'role', 'user')", name="ck_limit_overrides_scope"),)


class Ban(Base):
    __tablename__ = "bans"

    guild_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    reason: Mapped[str | None] = mapped_column(Text)
    banned_by: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class BlockedTerm(Base):
    __tablename__ = "blocked_terms"

    guild_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    term: Mapped[str] = mapped_column(String(100), primary_key=True)
    added_by: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class AuditEntry(Base):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    guild_id: Mapped[int] = mapped_column(BigInteger)
    moderator_id: Mapped[int] = mapped_column(BigInteger)
    action: Mapped[str] = mapped_column(String(40))
    target_user_id: Mapped[int | None] = mapped_column(BigInteger)
    details: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (Index("ix_audit_log_guild_id", "guild_id", "id"),)


class WorkerRow(Base):
    """A worker's advertisement: the models it serves, refreshed while it runs."""

    __tablename__ = "workers"

    name: Mapped[str] = mapped_column(String(200), primary_key=True)
    models: Mapped[list[str]] = mapped_column(JSON)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # Models it is still downloading: model -> DownloadState.to_json() (bot/model_downloads.py).
    downloads: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)


class JobImage(Base):
    """The first frame of an image-to-video job, checked and re-encoded as PNG before it was stored."""

    __tablename__ = "job_images"

    job_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("jobs.id", ondelete="CASCADE"), primary_key=True
    )
    png: Mapped[bytes] = mapped_column(LargeBinary)


class GuildSettings(Base):
    """Settings a server's moderators choose; a missing row means the defaults."""

    __tablename__ = "guild_settings"

    guild_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    watermark: Mapped[bool] = mapped_column(Boolean, default=False)
    default_model: Mapped[str | None] = mapped_column(String(200))  # None: the bot's default
    language: Mapped[str | None] = mapped_column(String(16))  # of channel posts; None: the server's own


class AllowedChannel(Base):
    """A channel where a server's moderators allow ``/video``; a server with none allows every channel."""

    __tablename__ = "allowed_channels"

    guild_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    channel_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)


class RenderTiming(Base):
    """The running estimate of how long one model takes to render one clip size on this deployment."""

    __tablename__ = "render_timings"

    model: Mapped[str] = mapped_column(String(200), primary_key=True)
    width: Mapped[int] = mapped_column(Integer, primary_key=True)
    height: Mapped[int] = mapped_column(Integer, primary_key=True)
    frames: Mapped[int] = mapped_column(Integer, primary_key=True)
    seconds: Mapped[float] = mapped_column(Float)
    samples: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class CommandSync(Base):
    """What this application last sent Discord as its commands, per scope (global, or one server), by hash:
    a start with the same commands syncs nothing."""

    __tablename__ = "command_syncs"

    application_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    scope: Mapped[str] = mapped_column(String(40), primary_key=True)  # "global" or "guild:<id>"
    payload_hash: Mapped[str] = mapped_column(String(64))
    synced_at: Mapped[datetime] = mapped_column(UTCDateTime())
