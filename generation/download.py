"""Fetch a preset's weights from the Hugging Face Hub ahead of loading: only the files its pipeline needs,
after checking the disk can take them, with progress.

Which files a pipeline needs is diffusers' own choice (its ``DiffusionPipeline.download`` works it out from
the repository's ``model_index.json``, the variant and the weight formats); this module asks diffusers for
that choice and fetches exactly those files with ``huggingface_hub.snapshot_download``. That resumes a file
after a network blip with a Range request; a run that was stopped keeps the files it completed, and the
next run fetches the rest. A component from its own repository takes its config and safetensors weights;
a LoRA, its one file. ``HF_TOKEN`` (or a token saved by ``hf auth login``) reaches gated models.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from generation.explained import first_line
from generation.hub_cache import COMPONENT_FILES, complete_on_disk, existing_parent, hub_cache_dir, sources_of
from generation.presets import ModelPreset, resolve_model

GB = 1000**3
Progress = Callable[[int, int], None]  # (bytes here so far, bytes in all)


class DiskTooSmallError(Exception):
    """The download would leave less free disk than the owner keeps free."""


@dataclass(frozen=True)
class RepoFetch:
    """One repository's share of a model: which files, and how many bytes are still to come."""

    repo_id: str
    allow_patterns: tuple[str, ...] | None
    ignore_patterns: tuple[str, ...] | None
    files: int
    missing: int  # files not yet complete in the cache
    total: int  # bytes of the files, fetched or not
    to_fetch: int  # bytes of the files not yet complete in the cache


@dataclass(frozen=True)
class DownloadPlan:
    model: str
    fetches: tuple[RepoFetch, ...]

    @property
    def total(self) -> int:
        return sum(f.total for f in self.fetches)

    @property
    def to_fetch(self) -> int:
        return sum(f.to_fetch for f in self.fetches)

    @property
    def missing(self) -> int:
        """Files still to fetch (some may be of unknown size)."""
        return sum(f.missing for f in self.fetches)


def plan_download(preset: ModelPreset, cache: Path | None = None) -> DownloadPlan:
    """What fetching ``preset`` involves. Reads the Hub's metadata (and the pipeline's small
    ``model_index.json``); fetches no weights."""
    fetches = [_pipeline_fetch(preset, cache)]
    for component in preset.components:
        fetches.append(_dry_run(component.source, COMPONENT_FILES, None, cache))
    for lora in preset.loras:
        fetches.append(_dry_run(lora.source, (lora.weight_name,), None, cache))
    return DownloadPlan(preset.name, tuple(f for f in fetches if f.files))


def remove_stale_partials(preset: ModelPreset, cache: Path | None = None, older_than: float = 600) -> int:
    """Delete what interrupted downloads of ``preset`` left behind, and return the bytes freed.

    huggingface_hub downloads each file to a name of its own process and deletes it on failure; a killed
    process leaves it, and no later download reuses it. One untouched for ``older_than`` seconds is not
    being written (a live download writes every few seconds, or times out)."""
    freed = 0
    now = time.time()
    for source in sources_of(preset):
        blobs = (cache or hub_cache_dir()) / f"models--{source.replace('/', '--')}" / "blobs"
        for partial in blobs.glob("*.incomplete") if blobs.is_dir() else ():
            with contextlib.suppress(FileNotFoundError):
                stat = partial.stat()
                if now - stat.st_mtime >= older_than:
                    partial.unlink()
                    freed += stat.st_size
    return freed


def check_disk(plan: DownloadPlan, keep_free: int, cache: Path | None = None) -> int:
    """Free bytes where the cache lies; raises DiskTooSmallError if fetching ``plan`` would leave fewer than
    ``keep_free``."""
    free = shutil.disk_usage(existing_parent(cache or hub_cache_dir())).free
    if free - plan.to_fetch < keep_free:
        raise DiskTooSmallError(
            f"{plan.model} needs {plan.to_fetch / GB:.1f} GB more and {free / GB:.1f} GB are free "
            f"in {cache or hub_cache_dir()}; keeping {keep_free / GB:.1f} GB free, it does not fit. "
            "Free some space, point HF_HOME at a larger disk, or lower --keep-free."
        )
    return free


class NotCachedOfflineError(Exception):
    """The model is not (wholly) in the cache, and ``HF_HUB_OFFLINE`` forbids fetching it."""


def needs_download(preset: ModelPreset, cache: Path | None = None) -> bool:
    """Whether ``preset``'s weights are still to fetch, from the disk alone (no network): not a local
    directory, and not every file it loads complete in the cache. Raises NotCachedOfflineError when they
    are missing and ``HF_HUB_OFFLINE`` is set."""
    from huggingface_hub import constants

    if Path(preset.source).expanduser().is_dir():
        return False
    remove_stale_partials(preset, cache)
    if complete_on_disk(preset, cache):
        return False
    if constants.is_offline_mode():
        raise NotCachedOfflineError(
            f"{preset.name} is not (wholly) in the Hugging Face cache {cache or hub_cache_dir()}, and "
            "HF_HUB_OFFLINE is set: unset it, or run python -m bot models pull where the Hub can be reached"
        )
    return True


def fetch_missing(
    preset: ModelPreset, keep_free: int, progress: Progress | None = None, cache: Path | None = None
) -> DownloadPlan:
    """Fetch what ``preset`` lacks, without progress bars, after checking the disk keeps ``keep_free``
    bytes free (DiskTooSmallError if not). ``progress`` hears the bytes of the model already here (those an
    earlier try fetched included) against its total. Blocking."""
    plan = plan_download(preset, cache)
    here = plan.total - plan.to_fetch

    def report(done: int, _: int) -> None:
        if progress is not None:
            progress(here + done, plan.total)

    report(0, plan.to_fetch)
    if plan.missing:
        check_disk(plan, keep_free, cache)
        download(plan, report, bars=False, cache=cache)
    return plan


def download(
    plan: DownloadPlan, progress: Progress | None = None, bars: bool = True, cache: Path | None = None
) -> None:
    """Fetch ``plan``'s files into the Hugging Face cache, resuming any a previous try left incomplete.
    ``progress`` hears the bytes written so far against ``plan.to_fetch``; ``bars`` draws huggingface_hub's
    progress bars on standard error."""
    from huggingface_hub import snapshot_download

    counter = _ByteCounter(plan.to_fetch, progress)
    for fetch in plan.fetches:
        if not fetch.missing:
            continue
        snapshot_download(
            fetch.repo_id,
            allow_patterns=list(fetch.allow_patterns) if fetch.allow_patterns is not None else None,
            ignore_patterns=list(fetch.ignore_patterns) if fetch.ignore_patterns is not None else None,
            cache_dir=cache,
            tqdm_class=counter.bar_class(bars),
        )
    counter.finish()


def download_reporting_json(reference: str, keep_free: int, out: TextIO) -> int:
    """``python -m generation download``: fetch what model ``reference`` lacks, writing one JSON object per
    line to ``out``: ``{"done": bytes, "total": bytes}`` as it goes (each time a file, or a 10 MB block of
    one, reaches the disk), then ``{"fetched": bytes, "total": bytes}`` and 0, or ``{"error": why}`` and 1.
    The bot's worker runs this in a process of its own, so that a stop ends a download however stalled its
    connection is."""

    def write(line: dict[str, Any]) -> None:
        out.write(json.dumps(line) + "\n")
        out.flush()

    def report(done: int, total: int) -> None:
        write({"done": done, "total": total})

    try:
        plan = fetch_missing(resolve_model(reference), keep_free, report)
    except Exception as exc:
        write({"error": why_not_fetched(exc)})
        return 1
    write({"fetched": plan.to_fetch, "total": plan.total})
    return 0


def why_not_fetched(exc: BaseException) -> str:
    """Why a download failed, for the owner, with the fix where there is one."""
    if isinstance(exc, DiskTooSmallError):
        return str(exc)
    return hub_refusal(exc) or first_line(exc)


def hub_refusal(exc: BaseException) -> str | None:
    """What the Hub's refusal of a model means for its owner, with the fix; None for other faults."""
    from huggingface_hub.errors import GatedRepoError, RepositoryNotFoundError

    if isinstance(exc, GatedRepoError):
        return (
            "the Hub refused access to this gated model: accept its licence on its Hub page, then set "
            "HF_TOKEN to a token of that account (or run `hf auth login`)"
        )
    if isinstance(exc, RepositoryNotFoundError):
        return "the Hub has no such model (check the name), or it is private: set HF_TOKEN"
    return None


class _ByteCounter:
    """Adds up the bytes huggingface_hub's aggregate bar counts as written, across repositories."""

    def __init__(self, total: int, progress: Progress | None) -> None:
        self.total, self._progress = total, progress
        self._done = 0
        self._lock = threading.Lock()

    def add(self, count: int) -> None:
        with self._lock:  # huggingface_hub's threads report at once: keep their reports in order
            self._done = min(self.total, self._done + count)
            if self._progress is not None:
                self._progress(self._done, self.total)

    def finish(self) -> None:
        with self._lock:
            if self._progress is not None:
                self._progress(self.total, self.total)

    def bar_class(self, shown: bool) -> type[Any]:
        from huggingface_hub.utils.tqdm import tqdm as hub_tqdm

        counter = self

        class CountingBar(hub_tqdm):
            # huggingface_hub names its bar of bytes written to disk after snapshot_download itself.
            def __init__(self, *args: Any, **kwargs: Any) -> None:
                self._counts = kwargs.get("name") == "huggingface_hub.snapshot_download"
                if not shown:
                    kwargs["disable"] = True
                super().__init__(*args, **kwargs)  # type: ignore[no-untyped-call]

            def update(self, n: float | None = 1) -> bool | None:
                if self._counts and n:
                    counter.add(int(n))
                return super().update(n)  # type: ignore[no-any-return]

        return CountingBar


def _pipeline_fetch(preset: ModelPreset, cache: Path | None) -> RepoFetch:
    import diffusers
    from huggingface_hub import model_info

    # diffusers falls back to the cache when the Hub refuses; asked first, the Hub says why (no such
    # repository, gated, unreachable).
    model_info(preset.source)

    pipeline_class = getattr(diffusers, preset.pipeline_class or "DiffusionPipeline")
    options: dict[str, Any] = {"cache_dir": cache}
    if preset.variant:
        options["variant"] = preset.variant
    with _diffusers_choice() as chosen:
        pipeline_class.download(preset.source, **options)
    if not chosen:  # everything diffusers needs is in the cache already
        return RepoFetch(preset.source, None, None, 0, 0, 0, 0)
    allow, ignore = chosen.get("allow_patterns"), chosen.get("ignore_patterns")
    return _dry_run(preset.source, allow, ignore, cache)


def _dry_run(repo_id: str, allow: Any, ignore: Any, cache: Path | None) -> RepoFetch:
    from huggingface_hub import snapshot_download

    allow_patterns = tuple(allow) if allow is not None else None
    ignore_patterns = tuple(ignore) if ignore is not None else None
    files = snapshot_download(
        repo_id,
        allow_patterns=list(allow_patterns) if allow_patterns is not None else None,
        ignore_patterns=list(ignore_patterns) if ignore_patterns is not None else None,
        cache_dir=cache,
        dry_run=True,
        tqdm_class=_ByteCounter(0, None).bar_class(False),
    )
    total = sum(f.file_size or 0 for f in files)
    coming = [f for f in files if f.will_download]
    to_fetch = sum(f.file_size or 0 for f in coming)
    return RepoFetch(repo_id, allow_patterns, ignore_patterns, len(files), len(coming), total, to_fetch)


class _Chosen(dict[str, Any]):
    """The keyword arguments diffusers chose for its snapshot download."""


class _DiffusersChoice(Exception):
    """Stops diffusers' download once it has chosen what to fetch."""


_capturing = threading.local()
_install_lock = threading.Lock()


@contextmanager
def _diffusers_choice() -> Iterator[_Chosen]:
    """Within the block, in this thread only, diffusers' pipeline download records the files it would fetch
    instead of fetching them. Other threads (a worker loading another model) download as usual."""
    from diffusers.pipelines import pipeline_utils

    with _install_lock:
        original = pipeline_utils.__dict__["snapshot_download"]
        if not getattr(original, "_records_choice", False):

            def snapshot_download(*args: Any, **kwargs: Any) -> Any:
                chosen: _Chosen | None = getattr(_capturing, "chosen", None)
                if chosen is None:
                    return original(*args, **kwargs)
                chosen.update(kwargs)
                raise _DiffusersChoice

            snapshot_download._records_choice = True  # type: ignore[attr-defined]
            setattr(pipeline_utils, "snapshot_download", snapshot_download)  # noqa: B010
    chosen = _Chosen()
    _capturing.chosen = chosen
    try:
        yield chosen
    except _DiffusersChoice:
        pass
    finally:
        _capturing.chosen = None
