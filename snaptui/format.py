"""Shared formatting for the faces (batch output, CLI tables, TUI): states, counts, durations."""
from __future__ import annotations

from rich.text import Text

from .engine.states import STATE_ORDER, JobState

STATE_STYLE = {
    JobState.PENDING: "dim", JobState.RUNNING: "bold blue", JobState.COMPLETED: "green",
    JobState.FAILED: "bold red", JobState.CANCELLED: "yellow", JobState.TIMEOUT: "magenta",
    JobState.UNKNOWN: "bold yellow",
}


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    seconds = int(max(seconds, 0))
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    if seconds < 86400:
        return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"
    return f"{seconds // 86400}d{seconds % 86400 // 3600:02d}h"


def counts_line(counts: dict[JobState, int], total: int) -> Text:
    text = Text()
    done = sum(n for s, n in counts.items() if s.is_final)
    text.append(f"{done}/{total} done")
    for state in STATE_ORDER:
        if counts.get(state):
            text.append("  ")
            text.append(f"{counts[state]} {state.value.lower()}", style=STATE_STYLE[state])
    return text
