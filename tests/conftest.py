"""Shared fixtures: tiny pipelines, real SQLite and PostgreSQL databases, ffprobe."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from generation.tiny import make_tiny
from standins import postgres


@pytest.fixture(scope="session")
def tiny_models(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Path]:
    """Tiny random-weight pipelines by family, each written once per test session."""
    built: dict[str, Path] = {}

    def get(family: str) -> Path:
        if family not in built:
            built[family] = make_tiny(tmp_path_factory.mktemp(f"tiny-{family}"), family)
        return built[family]

    return get


@pytest.fixture(scope="session")
def tiny_wan(tiny_models: Callable[[str], Path]) -> Path:
    return tiny_models("wan")


@pytest.fixture(scope="session")
def tiny_ltx(tiny_models: Callable[[str], Path]) -> Path:
    return tiny_models("ltx")


@pytest.fixture(scope="session")
def postgres_admin() -> str:
    problem = postgres.unreachable()
    if problem:
        if os.environ.get("CI"):
            pytest.fail(f"{problem}; CI must run the PostgreSQL tests")
        pytest.skip(problem)
    return postgres.POSTGRES_ADMIN


@pytest.fixture
def postgres_url(postgres_admin: str) -> Iterator[str]:
    """A fresh, empty database on the real server, dropped afterwards."""
    with postgres.temporary_database(postgres_admin) as url:
        yield url


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'videobot.db'}"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest) -> str:
    return str(request.getfixturevalue(f"{request.param}_url"))


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[Any]:
    from bot.store.engine import create_engine
    from bot.store.jobs import JobStore
    from bot.store.migrate import upgrade_to_head

    engine = create_engine(database_url)
    await upgrade_to_head(engine)
    try:
        yield JobStore(engine)
    finally:
        await engine.dispose()


def ffprobe(path: Path) -> dict[str, Any]:
    """Stream and container facts of a video file, from the real ffprobe."""
    exe = shutil.which("ffprobe")
    if exe is None:
        pytest.fail("ffprobe is not installed: install ffmpeg (the README's test command does)")
    out = subprocess.run(
        [exe, "-v", "error", "-count_frames", "-show_streams", "-show_format", "-of", "json", str(path)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    data: dict[str, Any] = json.loads(out)
    return data
