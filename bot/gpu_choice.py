"""Which GPU a worker renders on, when a machine has several: ``[worker] gpu``.

Empty: every GPU the process sees (the model goes on the first). An index (``"1"``): that GPU alone.
``"auto"``: the first GPU no other worker on this machine holds, held with an exclusive lock on a file
(released by the kernel however the process ends), so that workers started together, such as
``docker compose up --scale worker=4``, take one GPU each. The choice is made by narrowing
``CUDA_VISIBLE_DEVICES`` before CUDA starts, so the rest of the bot keeps using "the" GPU.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from bot.worker_identity import try_lock

VISIBLE = "CUDA_VISIBLE_DEVICES"
# Where the NVIDIA driver lists the machine's GPUs, one directory each (also inside containers).
DRIVER_GPUS = Path("/proc/driver/nvidia/gpus")


class NoFreeGpuError(Exception):
    """Every GPU this worker may use is held by another worker on this machine."""


@dataclass
class GpuChoice:
    gpu: str | None  # the device id now in CUDA_VISIBLE_DEVICES; None: left as it was
    _lock: IO[str] | None = None

    def release(self) -> None:
        if self._lock is not None:
            with contextlib.suppress(OSError):
                self._lock.close()


def visible_gpus(
    environ: dict[str, str] | os._Environ[str] = os.environ, driver: Path = DRIVER_GPUS
) -> list[str]:
    """The GPUs this process may use, as CUDA_VISIBLE_DEVICES names them."""
    listed = environ.get(VISIBLE)
    if listed is not None:
        return [gpu.strip() for gpu in listed.split(",") if gpu.strip() and gpu.strip() != "-1"]
    if driver.is_dir():
        return [str(index) for index in range(sum(1 for _ in driver.iterdir()))]
    return []


def choose_gpu(
    setting: str,
    lock_dir: Path,
    environ: dict[str, str] | os._Environ[str] = os.environ,
    driver: Path = DRIVER_GPUS,
) -> GpuChoice:
    """Apply ``[worker] gpu`` to this process; hold the chosen GPU's lock until ``release``."""
    if not setting:
        return GpuChoice(None)
    if setting != "auto":
        environ[VISIBLE] = setting
        return GpuChoice(setting)
    gpus = visible_gpus(environ, driver)
    if not gpus:
        raise NoFreeGpuError('[worker] gpu = "auto", but this machine shows no NVIDIA GPU')
    lock_dir.mkdir(parents=True, exist_ok=True)
    for gpu in gpus:
        lock = try_lock(lock_dir / f"gpu-{gpu}.lock")
        if lock is not None:
            environ[VISIBLE] = gpu
            return GpuChoice(gpu, lock)
    raise NoFreeGpuError(
        f"all {len(gpus)} GPU(s) here ({', '.join(gpus)}) are held by other workers; run one worker per GPU"
    )
