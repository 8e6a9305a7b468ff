"""``python -m bot models list``: each enabled model, where its weights are (a local directory, or the
Hugging Face cache: downloaded, partly, or not yet), their size on disk and the published download size."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TextIO

from bot.config import Settings
from generation.explained import first_line

GB = 1000**3
_STATES = {
    "local": "local directory",
    "cached": "downloaded",
    "partial": "partly downloaded",
    "missing": "not downloaded",
}


def enabled_references(settings: Settings) -> list[str]:
    g = settings.generation
    return list(dict.fromkeys(r for r in [g.model, g.image_model, *g.models] if r))


def models_list(settings: Settings) -> str:
    from generation import RenderOverrides
    from generation.hub_cache import hub_cache_dir, model_files
    from generation.presets import resolve_model

    rows = [["model", "state", "on disk", "download"]]
    for reference in enabled_references(settings):
        files = model_files(resolve_model(reference, RenderOverrides()))
        download = f"{files.download / GB:.1f} GB" if files.download else "-"
        rows.append([files.name, _STATES[files.state], f"{files.on_disk / GB:.1f} GB", download])
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    lines = [
        "  ".join(
            cell.rjust(w) if i >= 2 else cell.ljust(w)
            for i, (cell, w) in enumerate(zip(row, widths, strict=True))
        ).rstrip()
        for row in rows
    ]
    return "\n".join([*lines, f"(Hugging Face cache: {hub_cache_dir()})"])


def models_pull(settings: Settings, names: list[str], keep_free: int, out: TextIO = sys.stdout) -> int:
    """Fetch the named models (else every enabled one) into the Hugging Face cache, each after checking
    the disk can take it and still keep ``keep_free`` bytes free. 0 when all are here; 1 otherwise."""
    from generation import RenderOverrides
    from generation.download import (
        DiskTooSmallError,
        check_disk,
        download,
        hub_refusal,
        plan_download,
        remove_stale_partials,
    )
    from generation.hub_cache import model_files
    from generation.presets import ModelResolutionError, resolve_model

    failed = 0
    for reference in names or enabled_references(settings):
        try:
            preset = resolve_model(reference, RenderOverrides())
        except ModelResolutionError as exc:
            print(f"✗ {exc}", file=out)
            failed += 1
            continue
        if Path(preset.source).expanduser().is_dir():
            print(f"✓ {preset.name}: a local directory, nothing to download", file=out)
            continue
        if freed := remove_stale_partials(preset):
            print(f"  {preset.name}: removed {freed / GB:.2f} GB left by an interrupted download", file=out)
        try:
            plan = plan_download(preset)
            if not plan.missing:
                size = model_files(preset).on_disk
                print(f"✓ {preset.name}: already downloaded ({size / GB:.1f} GB)", file=out)
                continue
            free = check_disk(plan, keep_free)
            print(
                f"… {preset.name}: fetching {plan.to_fetch / GB:.2f} GB of {plan.total / GB:.2f} GB "
                f"({free / GB:.1f} GB free)",
                file=out,
                flush=True,
            )
            download(plan)
        except DiskTooSmallError as exc:
            print(f"✗ {exc}", file=out)
            failed += 1
            continue
        except Exception as exc:  # the Hub refusing, the network, the disk: what was fetched stays cached
            refusal = hub_refusal(exc)
            why = refusal or f"the download stopped ({first_line(exc)}); run pull again to resume"
            print(f"✗ {preset.name}: {why}", file=out)
            failed += 1
            continue
        print(f"✓ {preset.name}: downloaded", file=out)
    return 1 if failed else 0
