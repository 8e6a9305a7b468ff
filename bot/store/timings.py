"""Measured render times: one running estimate per model and clip size (see ``bot/render_estimate.py``)."""

from __future__ import annotations

from sqlalchemy import select

from bot.render_estimate import ClipSize, Timing, updated
from bot.store.base import StoreBase, utcnow
from bot.store.schema import RenderTiming


class RenderTimings(StoreBase):
    async def record(self, model: str, size: ClipSize, seconds: float) -> None:
        """Fold one render's measured seconds into the model's estimate for that size."""
        async with self._transaction() as session:
            row = (
                await session.scalars(
                    select(RenderTiming)
                    .where(
                        RenderTiming.model == model,
                        RenderTiming.width == size.width,
                        RenderTiming.height == size.height,
                        RenderTiming.frames == size.frames,
                    )
                    .with_for_update()
                )
            ).one_or_none()
            if row is None:
                session.add(
                    RenderTiming(
                        model=model,
                        width=size.width,
                        height=size.height,
                        frames=size.frames,
                        seconds=updated(None, seconds),
                        samples=1,
                        updated_at=utcnow(),
                    )
                )
            else:
                row.seconds = updated(row.seconds, seconds)
                row.samples += 1
                row.updated_at = utcnow()

    async def of_model(self, model: str) -> list[Timing]:
        async with self._transaction() as session:
            rows = await session.scalars(select(RenderTiming).where(RenderTiming.model == model))
            return [
                Timing(ClipSize(row.width, row.height, row.frames), row.seconds, row.samples) for row in rows
            ]
