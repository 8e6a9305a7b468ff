"""``python -m bot status``: the queue by model and server, the workers, and the latest failures, as text
for the owner's terminal. Pure: formats what ``bot/store/overview.py`` read."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from bot.store.overview import Overview
from bot.store.schema import JobState

_STATE_WORDS = {
    JobState.QUEUED: "queued",
    JobState.RUNNING: "rendering",
    JobState.DELIVERED: "delivered",
    JobState.FAILED: "failed",
    JobState.CANCELLED: "cancelled",
}


def _ago(moment: datetime, now: datetime) -> str:
    seconds = max(0, round((now - moment).total_seconds()))
    if seconds < 120:
        return f"{seconds} s ago"
    if seconds < 7200:
        return f"{seconds // 60} min ago"
    return f"{seconds // 3600} h ago"


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else "-"


def _table(rows: list[list[str]], right: set[int]) -> list[str]:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return [
        "  "
        + "  ".join(
            cell.rjust(w) if i in right else cell.ljust(w)
            for i, (cell, w) in enumerate(zip(row, widths, strict=True))
        ).rstrip()
        for row in rows
    ]


def report(overview: Overview, now: datetime) -> str:
    lines = ["Queue"]
    counts: dict[tuple[str, int], dict[JobState, int]] = defaultdict(lambda: defaultdict(int))
    for entry in overview.pending:
        counts[(entry.model, entry.guild_id)][entry.state] += entry.jobs
    if counts:
        rows = [["model", "server", "queued", "rendering"]]
        for (model, guild), by_state in sorted(counts.items()):
            rows.append([model, str(guild), str(by_state[JobState.QUEUED]), str(by_state[JobState.RUNNING])])
        queued = sum(c[JobState.QUEUED] for c in counts.values())
        running = sum(c[JobState.RUNNING] for c in counts.values())
        rows.append(["(all)", "", str(queued), str(running)])
        lines += _table(rows, right={2, 3})
    else:
        lines.append("  empty: nothing is queued or rendering")

    lines.append("Workers")
    for worker in overview.workers:
        state = "live" if worker.live else "silent (gone, or stuck)"
        lines.append(
            f"  {worker.name}: {state}, last heartbeat {_ago(worker.last_seen_at, now)}, "
            f"serves {', '.join(worker.models) or 'nothing'} (up since {_when(worker.started_at)})"
        )
        for model, download in sorted(worker.downloads.items()):
            lines.append(f"    downloading {model}: {download.describe()}")
    if not overview.workers:
        lines.append("  none: no worker is running (a worker that stops cleanly removes itself)")

    totals = ", ".join(f"{overview.totals.get(state, 0)} {word}" for state, word in _STATE_WORDS.items())
    lines.append(f"Jobs in the database: {totals}")

    lines.append("Latest failures, newest first")
    for failure in overview.failures:
        lines.append(
            f"  #{failure.job_id} {_when(failure.finished_at)}  {failure.model}  server {failure.guild_id}: "
            f"{failure.reason or '(no reason recorded)'}"
        )
    if not overview.failures:
        lines.append("  none")
    return "\n".join(lines)
