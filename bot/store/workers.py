"""Workers advertise the models they serve, and how far the downloads of those still coming are, so the
bot can tell members when nothing serves theirs, or that it is downloading."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta

from sqlalchemy import delete, select

from bot.model_downloads import DownloadState, states_from_json
from bot.store.base import StoreBase, utcnow
from bot.store.schema import WorkerRow

# A worker that has not refreshed its advertisement for this long is taken to be gone.
STALE_AFTER = timedelta(minutes=2)


class WorkerRegistry(StoreBase):
    async def announce(
        self, name: str, models: frozenset[str], downloads: Mapping[str, DownloadState] | None = None
    ) -> None:
        """Refresh ``name``'s advertisement: the models it serves, and those of them it is downloading."""
        now = utcnow()
        stored = {model: state.to_json() for model, state in (downloads or {}).items()} or None
        async with self._transaction() as session:
            row = await session.get(WorkerRow, name)
            if row is None:
                session.add(
                    WorkerRow(
                        name=name, models=sorted(models), started_at=now, last_seen_at=now, downloads=stored
                    )
                )
            else:
                row.models = sorted(models)
                row.last_seen_at = now
                row.downloads = stored

    async def retire(self, name: str) -> None:
        async with self._transaction() as session:
            await session.execute(delete(WorkerRow).where(WorkerRow.name == name))

    async def serving(self, model: str) -> dict[str, DownloadState | None]:
        """The live workers that serve ``model``, each with how far its download of it is (None: that
        worker has it, loaded or loading from disk)."""
        async with self._transaction() as session:
            rows = (
                await session.execute(
                    select(WorkerRow.name, WorkerRow.models, WorkerRow.downloads).where(
                        WorkerRow.last_seen_at > utcnow() - STALE_AFTER
                    )
                )
            ).all()
        return {
            name: states_from_json(downloads).get(model)
            for name, models, downloads in rows
            if model in models
        }

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
