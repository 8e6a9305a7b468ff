"""A worker's name that survives its restarts, held by one live process at a time.

Jobs record the worker that runs them. A worker restarted after a crash under the same name knows the
running jobs under that name were its previous life's, so it takes them back at once instead of waiting
for their leases to expire. That is only safe if no other live process uses the name: each name is held
with an exclusive lock on a file in the worker's clip directory (released by the kernel when the process
dies, however it dies). Names set in ``[worker] name`` must also be unique across machines.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import secrets
import socket
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO

_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]")
# An identity the worker chose itself (reused by its next life) and one the owner configured.
_CHOSEN, _CONFIGURED = ".identity-", ".worker-"
# How long to keep trying a lock that may only be held for an instant (20 x 50 ms).
PATIENCE_TRIES, PATIENCE_STEP = 20, 0.05


class IdentityInUseError(Exception):
    """Another live process on this machine holds the configured worker name."""


@dataclass
class WorkerIdentity:
    name: str
    _lock: IO[str]

    @property
    def workspace(self) -> str:
        """A file-name-safe form of the name, for this worker's own scratch directory."""
        return _UNSAFE.sub("_", self.name)

    def release(self) -> None:
        with contextlib.suppress(OSError):
            self._lock.close()


def acquire_identity(directory: Path, configured: str = "") -> WorkerIdentity:
    """The configured name, or the name an earlier life of a worker here chose (the first one free), or a
    new one made from the host name."""
    directory.mkdir(parents=True, exist_ok=True)
    if configured:
        lock = _lock_patiently(directory / f"{_CONFIGURED}{_UNSAFE.sub('_', configured)}.lock")
        if lock is None:
            raise IdentityInUseError(
                f"another worker named {configured!r} is running on this machine; give each worker its own "
                "[worker] name"
            )
        return WorkerIdentity(configured, lock)
    for path in sorted(directory.glob(f"{_CHOSEN}*.lock")):
        lock = _lock_patiently(path)
        if lock is None:
            continue
        lock.seek(0)
        name = lock.read().strip()
        if name:
            return WorkerIdentity(name, lock)
        lock.close()
    name = f"{socket.gethostname()}-{secrets.token_hex(3)}"
    lock = try_lock(directory / f"{_CHOSEN}{_UNSAFE.sub('_', name)}.lock")
    if lock is None:  # pragma: no cover - a fresh random name is free
        raise IdentityInUseError(f"could not hold the new worker name {name!r}")
    lock.seek(0)
    lock.truncate()
    lock.write(name)
    lock.flush()
    os.fsync(lock.fileno())
    return WorkerIdentity(name, lock)


def held_workspaces(directory: Path) -> set[str]:
    """The workspaces of identities some live process holds now (their scratch files are in use)."""
    held = set()
    for path in directory.glob(".*.lock"):
        lock = try_lock(path)
        if lock is None:
            held.add(path.name.removeprefix(_CHOSEN).removeprefix(_CONFIGURED).removesuffix(".lock"))
        else:
            lock.close()
    return held


def _lock_patiently(path: Path) -> IO[str] | None:
    """Lock ``path``, allowing for a live worker's sweep, which holds every free lock for an instant."""
    for _ in range(PATIENCE_TRIES):
        lock = try_lock(path)
        if lock is not None:
            return lock
        time.sleep(PATIENCE_STEP)
    return None


def try_lock(path: Path) -> IO[str] | None:
    handle = path.open("a+", encoding="utf-8")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        return None
    return handle
