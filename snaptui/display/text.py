"""Small rich renderables shared by the screens: count bars, state labels, times, ETA."""
from __future__ import annotations

import time
from rich.text import Text

from snaptui.engine.states import JobState, done_count
from snaptui.format import STATE_STYLE

BAR_ORDER = [JobState.COMPLETED, JobState.FAILED, JobState.TIMEOUT, JobState.CANCELLED, JobState.RUNNING,
             JobState.UNKNOWN, JobState.PENDING]


def count_bar(counts: dict[JobState, int], total: int, width: int = 12) -> Text:
    """A proportional bar of state symbols (readable without colour), then done/total."""
    text = Text(no_wrap=True, overflow="ellipsis")
    if total <= 0:
        return text.append("-".ljust(width), style="dim")
    cells: list[JobState] = []
    remaining = width
    shares = [(s, counts.get(s, 0)) for s in BAR_ORDER if counts.get(s, 0)]
    for position, (state, n) in enumerate(shares):
        left = len(shares) - position - 1
        size = max(1, round(n * width / total))
        size = min(size, remaining - left) if remaining - left > 0 else 0
        cells.extend([state] * size)
        remaining -= size
    if remaining > 0 and shares:
        cells.extend([shares[-1][0]] * remaining)
    for state in cells:
        text.append(state.symbol, style=STATE_STYLE[state])
    text.append(f" {done_count(counts):,}/{total:,}")
    return text


def clock_time(at: float | None, now: float) -> str:
    if at is None:
        return "-"
    local, today = time.localtime(at), time.localtime(now)
    if local[:3] == today[:3]:
        return time.strftime("%H:%M:%S", local)
    return time.strftime("%m-%d %H:%M", local)


def ago(at: float | None, now: float) -> str:
    """'just now', '5m ago', '3h12m ago', '4d ago': how long since, at a glance."""
    if at is None:
        return "-"
    seconds = max(now - at, 0)
    if seconds < 60:
        return "just now"
    if seconds < 3600:
        return f"{int(seconds // 60)}m ago"
    if seconds < 86400:
        return f"{int(seconds // 3600)}h{int(seconds % 3600 // 60):02d}m ago"
    return f"{int(seconds // 86400)}d ago"


def elapsed(started: float | None, ended: float | None, now: float) -> float | None:
    if started is None:
        return None
    return (ended if ended is not None else now) - started


def truncate(text: str, width: int) -> str:
    return text if len(text) <= width else text[: max(width - 1, 0)] + "…"


def truncate_left(text: str, width: int) -> str:
    """'…235320-cube': for names that differ at their end (snapshot branches share a date prefix)."""
    return text if len(text) <= width else "…" + text[len(text) - max(width - 1, 0):]


def sweep_branch(sweep, prefix: str = "") -> str:
    """The snapshot branch (without the common prefix when given), or why there is none."""
    snap = sweep.snapshot or {}
    if not snap:
        return "(no snapshot)"
    branch = snap.get("branch") or ""
    if prefix and branch.startswith(prefix.rstrip("/") + "/"):
        branch = branch[len(prefix.rstrip("/")) + 1:]
    commit = (snap.get("commit") or "")[:7]
    return branch or commit or "?"
