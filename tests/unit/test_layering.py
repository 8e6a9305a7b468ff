"""The rules of docs/architecture.md, read from the code's imports: arrows point down, SQL only in
``bot/store``, no torch outside ``generation``, and pure rules free of Discord, databases and torch."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# Modules that decide, and import nothing that talks to Discord, a database or a GPU.
PURE = [
    "bot/limits.py",
    "bot/queue_order.py",
    "bot/render_estimate.py",
    "bot/job_options.py",
    "bot/video_request.py",
    "bot/blocklist.py",
    "bot/faults.py",
]


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def _modules(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


def _uses(imports: set[str], root: str) -> bool:
    return any(name == root or name.startswith(root + ".") for name in imports)


@pytest.mark.parametrize("path", _modules("generation"), ids=lambda p: str(p.relative_to(ROOT)))
def test_generation_knows_nothing_of_the_bot_discord_or_the_database(path: Path) -> None:
    imports = _imports(path)
    assert not any(_uses(imports, root) for root in ("bot", "discord", "sqlalchemy"))


@pytest.mark.parametrize("path", _modules("bot"), ids=lambda p: str(p.relative_to(ROOT)))
def test_sql_lives_in_the_store_and_torch_in_generation(path: Path) -> None:
    imports = _imports(path)
    assert not _uses(imports, "torch") and not _uses(imports, "diffusers")
    in_store = path.is_relative_to(ROOT / "bot" / "store")
    # Outside the store, SQLAlchemy may only be consulted for what its errors mean (bot/faults.py).
    sql = {name for name in imports if _uses({name}, "sqlalchemy") and not _uses({name}, "sqlalchemy.exc")}
    assert in_store or not sql
    assert in_store or not any(_uses(imports, r) for r in ("aiosqlite", "asyncpg"))
    if in_store:
        assert not _uses(imports, "discord") and not _uses(imports, "bot.discord_app")


@pytest.mark.parametrize("module", PURE)
def test_the_rules_import_neither_discord_nor_a_database_nor_torch(module: str) -> None:
    imports = _imports(ROOT / module)
    for root in ("discord", "torch", "diffusers", "bot.store", "bot.discord_app"):
        assert not _uses(imports, root), f"{module} imports {root}"


def test_the_rules_and_the_light_parts_of_generation_load_without_torch() -> None:
    # In a fresh interpreter: this test process has imported torch already.
    modules = [m.removesuffix(".py").replace("/", ".") for m in PURE]
    modules += ["generation.presets", "generation.families", "generation.images", "generation.gif"]
    modules += ["generation.clip_shape", "bot.store.jobs"]
    heavy = "[m for m in ('torch', 'diffusers') if m in sys.modules]"
    code = f"import sys\nfor m in {modules!r}: __import__(m)\nprint({heavy})"
    loaded = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert loaded.stdout.strip() == "[]"
