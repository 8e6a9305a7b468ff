"""Measured render times kept per model and clip size, on real SQLite and PostgreSQL."""

from __future__ import annotations

from bot.render_estimate import ClipSize, Timing, updated
from bot.store.engine import create_engine
from bot.store.migrate import upgrade_to_head
from bot.store.timings import RenderTimings


async def test_renders_fold_into_one_estimate_per_model_and_size(database_url: str) -> None:
    engine = create_engine(database_url)
    await upgrade_to_head(engine)
    try:
        timings = RenderTimings(engine)
        small, large = ClipSize(64, 64, 9), ClipSize(128, 128, 17)
        assert await timings.of_model("wan") == []
        await timings.record("wan", small, 10.0)
        await timings.record("wan", small, 20.0)
        await timings.record("wan", large, 50.0)
        await timings.record("ltx", small, 3.0)
        found = sorted(await timings.of_model("wan"), key=lambda t: t.size.work)
        assert found == [Timing(small, updated(10.0, 20.0), 2), Timing(large, 50.0, 1)]
        assert await timings.of_model("ltx") == [Timing(small, 3.0, 1)]
    finally:
        await engine.dispose()
