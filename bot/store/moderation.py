"""Bans, blocked prompt terms and the audit log of moderator actions: every query on them lives here,
the check a submission must pass included (``refusal``, run in the submission's own transaction)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.blocklist import blocked_term_in, normalise
from bot.limits import Barred, Refusal
from bot.store.base import Audit, StoreBase, add_audit, affected, utcnow
from bot.store.schema import AuditEntry, Ban, BlockedTerm

MAX_TERMS = 200


@dataclass(frozen=True)
class AuditRecord:
    moderator_id: int
    action: str
    target_user_id: int | None
    details: str
    created_at: datetime


class ModerationStore(StoreBase):
    async def record(self, audit: Audit) -> None:
        async with self._transaction() as session:
            add_audit(session, audit)

    async def audit(self, guild_id: int, limit: int = 20) -> list[AuditRecord]:
        async with self._transaction() as session:
            rows = await session.scalars(
                select(AuditEntry)
                .where(AuditEntry.guild_id == guild_id)
                .order_by(AuditEntry.id.desc())
                .limit(limit)
            )
            return [
                AuditRecord(r.moderator_id, r.action, r.target_user_id, r.details, r.created_at) for r in rows
            ]

    async def ban(self, guild_id: int, user_id: int, reason: str | None, moderator_id: int) -> bool:
        """Ban a member from /video here; False if they already were (the reason is updated)."""
        async with self._transaction() as session:
            row = await session.get(Ban, (guild_id, user_id))
            new = row is None
            if row is None:
                session.add(
                    Ban(
                        guild_id=guild_id,
                        user_id=user_id,
                        reason=reason,
                        banned_by=moderator_id,
                        created_at=utcnow(),
                    )
                )
            else:
                row.reason = reason
            add_audit(session, Audit(guild_id, moderator_id, "ban", reason or "", user_id))
            return new

    async def unban(self, guild_id: int, user_id: int, moderator_id: int) -> bool:
        async with self._transaction() as session:
            result = await session.execute(
                delete(Ban).where(Ban.guild_id == guild_id, Ban.user_id == user_id)
            )
            removed = bool(affected(result))
            if removed:
                add_audit(session, Audit(guild_id, moderator_id, "unban", "", user_id))
            return removed

    async def add_term(self, guild_id: int, term: str, moderator_id: int) -> bool | None:
        """Block a term; False if already blocked, None if the server's list is full."""
        term = normalise(term)
        async with self._transaction() as session:
            if await session.get(BlockedTerm, (guild_id, term)) is not None:
                return False
            if len(await _terms(session, guild_id)) >= MAX_TERMS:
                return None
            session.add(BlockedTerm(guild_id=guild_id, term=term, added_by=moderator_id, created_at=utcnow()))
            add_audit(session, Audit(guild_id, moderator_id, "blocklist add", term))
            return True

    async def remove_term(self, guild_id: int, term: str, moderator_id: int) -> bool:
        """Unblock a term, however it was typed: rows stored before normalisation changed still match."""
        term = normalise(term)
        async with self._transaction() as session:
            matching = [row for row in await _terms(session, guild_id) if normalise(row) == term]
            if not matching:
                return False
            await session.execute(
                delete(BlockedTerm).where(BlockedTerm.guild_id == guild_id, BlockedTerm.term.in_(matching))
            )
            add_audit(session, Audit(guild_id, moderator_id, "blocklist remove", term))
            return True

    async def terms(self, guild_id: int) -> list[str]:
        async with self._transaction() as session:
            return await _terms(session, guild_id)


async def refusal(session: AsyncSession, guild_id: int, user_id: int, texts: Sequence[str]) -> Refusal | None:
    """Why the moderators of this server refuse a member's submission with these prompts, if they do: a ban,
    or a blocked term in one of the texts."""
    ban = await session.get(Ban, (guild_id, user_id))
    if ban is not None:
        return Refusal(Barred.BANNED, 0, None, detail=ban.reason)
    term = blocked_term_in(texts, await _terms(session, guild_id))
    return Refusal(Barred.BLOCKED_TERM, 0, None, detail=term) if term is not None else None


async def _terms(session: AsyncSession, guild_id: int) -> list[str]:
    """The server's blocked terms, as stored, in order."""
    rows = await session.scalars(
        select(BlockedTerm.term).where(BlockedTerm.guild_id == guild_id).order_by(BlockedTerm.term)
    )
    return list(rows)
