"""Workers advertise the models they serve, so the bot can tell members when nothing serves theirs."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, select

from bot.store.base import StoreBase, utcnow
from bot.store.schema import WorkerRow

# A worker that has not refreshed its advertisement for this long is taken to be gone.
STALE_AFTER = timedelta(minutes=2)


class WorkerRegistry(StoreBase):
    async def announce(self, name: str, models: frozenset[str]) -> None:
        now = utcnow()
        async with self._transaction() as session:
            row = await session.get(WorkerRow, name)
            if row is None:
                session.add(WorkerRow(name=name, models=sorted(models), started_at=now, last_seen_at=now))
            else:
                row.models = sorted(models)
                row.last_seen_at = now

    async def retire(self, name: str) -> None:
        async with self._transaction() as session:
            await session.execute(delete(WorkerRow).where(WorkerRow.name == name))

    async def serving(self, model: str) -> list[str]:
        """Names of the live workers that serve ``model``."""
        return [name for name, models in await self.live() if model in models]

    async def live(self) -> list[tuple[str, list[str]]]:
        """Each live worker's name and the models it serves."""
        async with self._transaction() as session:
            rows = (
                await session.execute(
                    select(WorkerRow.name, WorkerRow.models).where(
                        WorkerRow.last_seen_at > utcnow() - STALE_AFTER
                    )
                )
            ).all()
            return [(name, list(models)) for name, models in rows]
