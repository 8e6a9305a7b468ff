"""``python -m bot models list``: each enabled model, where its weights are (a local directory, or the
Hugging Face cache: downloaded, partly, or not yet), their size on disk and the published download size."""

from __future__ import annotations

from bot.config import Settings

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
