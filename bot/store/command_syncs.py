"""The hash of the commands last synced to Discord, per application and scope."""

from __future__ import annotations

from sqlalchemy import select

from bot.store.base import StoreBase, utcnow
from bot.store.schema import CommandSync


class CommandSyncs(StoreBase):
    async def last_hash(self, application_id: int, scope: str) -> str | None:
        async with self._transaction() as session:
            return await session.scalar(
                select(CommandSync.payload_hash).where(
                    CommandSync.application_id == application_id, CommandSync.scope == scope
                )
            )

    async def record(self, application_id: int, scope: str, payload_hash: str) -> None:
        async with self._transaction() as session:
            row = await session.get(CommandSync, (application_id, scope), with_for_update=True)
            if row is None:
                session.add(
                    CommandSync(
                        application_id=application_id,
                        scope=scope,
                        payload_hash=payload_hash,
                        synced_at=utcnow(),
                    )
                )
            else:
                row.payload_hash = payload_hash
                row.synced_at = utcnow()
