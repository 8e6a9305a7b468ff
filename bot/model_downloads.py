"""Where a worker's model downloads stand: bytes fetched against bytes to fetch, or held up and why.

The download (``bot/model_fetcher.py``) reports here; the worker's loop reads snapshots to advertise them
(members' status cards say "the model is downloading (42%)") and to log progress at most every
``LOG_EVERY`` seconds per model. Pure: no Discord, no database, no torch.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

# Least time between two progress lines of one model's download in the log.
LOG_EVERY = 10.0
GB = 1000**3


class DownloadStoppedError(Exception):
    """The worker is stopping: its download is left where it is (what it finished stays cached)."""


@dataclass(frozen=True)
class DownloadState:
    """One model's download: ``done`` of ``total`` bytes (``total`` is 0 until the files are known);
    ``held_up`` says why it is not moving (it is tried again), None while it is."""

    done: int = 0
    total: int = 0
    held_up: str | None = None

    @property
    def fraction(self) -> float:
        """The share fetched, 0 to 1 (0 while the total is unknown)."""
        return self.done / self.total if self.total > 0 else 0.0

    @property
    def percent(self) -> int:
        """Whole percent fetched, never 100 before the end (a card saying 100% while waiting misleads)."""
        if self.total <= 0:
            return 0
        return min(99, self.done * 100 // self.total) if self.done < self.total else 100

    def describe(self) -> str:
        """For the owner's log and ``python -m bot status``."""
        if self.held_up is not None:
            return f"held up ({self.held_up}); trying again"
        if self.total <= 0:
            return "finding the files to fetch"
        return f"{self.percent}% ({self.done / GB:.2f} of {self.total / GB:.2f} GB)"

    def to_json(self) -> dict[str, Any]:
        return {"done": self.done, "total": self.total, "held_up": self.held_up}

    @classmethod
    def from_json(cls, data: object) -> DownloadState | None:
        """The stored state, or None for anything that is not one (a row another version wrote)."""
        if not isinstance(data, Mapping):
            return None
        done, total, held_up = data.get("done"), data.get("total"), data.get("held_up")
        if not isinstance(done, int) or not isinstance(total, int):
            return None
        return cls(done, total, held_up if isinstance(held_up, str) else None)


def states_from_json(data: object) -> dict[str, DownloadState]:
    """A worker's stored downloads, by model; what cannot be read is left out."""
    if not isinstance(data, Mapping):
        return {}
    found = {str(model): DownloadState.from_json(state) for model, state in data.items()}
    return {model: state for model, state in found.items() if state is not None}


def furthest_download(states: list[DownloadState | None]) -> DownloadState | None:
    """What a member waiting for a model is told, from each live worker serving it (None: that worker has
    the model): nothing when one has it (or none serves it), else the download furthest along."""
    if not states or any(state is None for state in states):
        return None
    downloads = [state for state in states if state is not None]
    moving = [state for state in downloads if state.held_up is None]
    return max(moving or downloads, key=lambda state: state.fraction)


class DownloadTracker:
    """What the worker's downloads report, read for what to advertise and log (thread-safe)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic, log_every: float = LOG_EVERY) -> None:
        self._clock = clock
        self._log_every = log_every
        self._lock = threading.Lock()
        self._states: dict[str, DownloadState] = {}
        self._logged: dict[str, float] = {}  # model -> when its progress was last logged

    def started(self, model: str) -> None:
        with self._lock:
            self._states[model] = DownloadState()

    def progress(self, model: str, done: int, total: int) -> None:
        with self._lock:
            self._states[model] = DownloadState(done, total)

    def held_up(self, model: str, reason: str) -> None:
        with self._lock:
            previous = self._states.get(model, DownloadState())
            self._states[model] = DownloadState(previous.done, previous.total, reason)

    def retrying(self, model: str) -> None:
        """A new try of a held-up download starts: it is moving again, from where it was."""
        with self._lock:
            previous = self._states.get(model, DownloadState())
            self._states[model] = DownloadState(previous.done, previous.total)

    def finished(self, model: str) -> None:
        with self._lock:
            self._states.pop(model, None)
            self._logged.pop(model, None)

    def snapshot(self) -> dict[str, DownloadState]:
        with self._lock:
            return dict(self._states)

    def due_for_log(self) -> dict[str, DownloadState]:
        """The downloads whose progress should be logged now: each at most once every ``log_every``
        seconds (the first report at once)."""
        now = self._clock()
        with self._lock:
            due = {
                model: state
                for model, state in self._states.items()
                if state.held_up is None
                and ((last := self._logged.get(model)) is None or now - last >= self._log_every)
            }
            for model in due:
                self._logged[model] = now
            return due
