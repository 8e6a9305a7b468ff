"""A worker's name survives its restarts, and no two live processes hold the same one."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bot.worker_identity import IdentityInUseError, acquire_identity

HOLD = """
import sys, time
from pathlib import Path
from bot.worker_identity import acquire_identity
identity = acquire_identity(Path(sys.argv[1]), sys.argv[2])
print(identity.name, flush=True)
time.sleep(60)
"""


def _hold(directory: Path, name: str = "") -> tuple[subprocess.Popen[str], str]:
    """Another live process holding an identity in ``directory``."""
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(directory), name], stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None
    return proc, proc.stdout.readline().strip()


def test_a_restarted_worker_gets_its_name_back(tmp_path: Path) -> None:
    first = acquire_identity(tmp_path)
    first.release()  # the process died
    again = acquire_identity(tmp_path)
    assert again.name == first.name
    again.release()


def test_a_name_held_by_a_live_process_is_not_shared(tmp_path: Path) -> None:
    proc, held = _hold(tmp_path)
    try:
        mine = acquire_identity(tmp_path)
        assert held and mine.name != held
        mine.release()
    finally:
        proc.kill()
        proc.wait()
    # Once that process is gone, its name is free for its next life.
    assert acquire_identity(tmp_path).name in {held, mine.name}


def test_a_configured_name_runs_once_per_machine(tmp_path: Path) -> None:
    proc, held = _hold(tmp_path, "gpu-1")
    try:
        assert held == "gpu-1"
        with pytest.raises(IdentityInUseError, match="gpu-1"):
            acquire_identity(tmp_path, "gpu-1")
    finally:
        proc.kill()
        proc.wait()
    acquire_identity(tmp_path, "gpu-1").release()


def test_workspaces_are_file_names(tmp_path: Path) -> None:
    identity = acquire_identity(tmp_path, "gpu box/1:a")
    assert identity.workspace == "gpu_box_1_a"
    identity.release()
