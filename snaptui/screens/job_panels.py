"""The job screen's text: the manifest beside the log, and the log's status line."""
from __future__ import annotations

import shlex
from pathlib import Path

from rich.text import Text

from snaptui.format import STATE_STYLE, duration, format_result, profile_label
from snaptui.display.text import clock_time, elapsed

STREAM_NAMES = {"out": "stdout", "err": "stderr", "both": "stdout+stderr"}


def short_path(path, root: Path) -> str:
    """``path`` relative to the repository when it lies in it."""
    path = Path(path)
    if path == root:
        return "."
    return str(path.relative_to(root)) if root in path.parents else str(path)


def log_status_text(log, stream: str, job, attempts: list, attempt_number: int, shown_task: int,
                    task_count: int, paths: dict) -> Text:
    """Which log (stream, attempt, task), follow or paused, where in it, search, and why it is empty."""
    text = Text(no_wrap=True, overflow="ellipsis")
    text.append(f" {STREAM_NAMES[stream]} ", style="reverse")
    if len(attempts) > 1:
        text.append(f" attempt {attempt_number}/{len(attempts)} (a)", style="bold")
    if task_count > 1:
        text.append(f" task {shown_task}/{task_count} (t)", style="bold")
    text.append("  ")
    text.append("FOLLOW" if log.follow else "PAUSED", style="bold" if log.follow else "bold reverse")
    if log.line_count:
        top = (int(log.scroll_y) if log.wrap else log.top_line) + 1
        text.append(f"  line {min(top, log.line_count):,}/{log.line_count:,}", style="dim")
    if log.new_lines:
        text.append(f"  {log.new_lines:,} new lines (f)")
    if log.wrap:
        text.append("  wrap")
    if log.indexing is not None:
        text.append(f"  reading the log {log.indexing:.0%}", style="bold")
    if log.needle:
        if log.searching is not None:
            found = f"searching {log.searching:.0%}"
        else:
            found = f"{log.current + 1}/{len(log.matches)}" if log.matches else "no match"
        text.append(f"  /{log.needle}  {found}")
    if log.notice:
        text.append(f"  {log.notice}", style="italic")
    streams = ["out", "err"] if stream == "both" else [stream]
    if not any(paths.get(s) for s in streams):
        state = job.state.value.lower() if job else "loading"
        text.append(f"  no log yet ({state})", style="dim")
    elif log.states and all(state == "missing" for state in log.states):
        text.append("  log file not created yet", style="dim")
    elif "deleted" in log.states:
        text.append("  the log file was deleted: showing what was read", style="bold")
    return text


def manifest_text(job, sweep, attempts: list, out_log: Path | None, repo_root: Path, now: float) -> Text:
    """Overrides (the swept ones in bold), command, snapshot, executor, attempts, results, log folder."""
    spec = sweep.spec if sweep else {}
    varying = set((spec.get("grid") or {}))
    for group in spec.get("zip") or []:
        varying.update(group)
    text = Text()

    def head(title: str) -> None:
        text.append(("\n" if text else "") + title + "\n", style="bold underline")

    head("overrides")
    for key, value in job.params.items():
        text.append(f"{key}", style="bold" if key in varying else "")
        text.append(f" = {value}\n")
    head("command")
    text.append(shlex.join(job.argv) + "\n")
    if sweep is not None:
        head("snapshot")
        snap = sweep.snapshot or {}
        if snap:
            text.append(f"branch {snap.get('branch', '?')}\ncommit {str(snap.get('commit', '?'))[:12]}\n")
            if snap.get("base_commit"):
                text.append(f"from   {snap['base_commit'][:12]}\n")
            if snap.get("dirty"):
                text.append("with uncommitted edits\n", style="italic")
        else:
            text.append("none: ran in the repository\n", style="dim")
        text.append(f"workdir {short_path(sweep.workdir, repo_root)}", style="dim")
        if snap.get("worktree") and not Path(sweep.workdir).exists():
            text.append(" (removed by gc: the branch keeps the code)", style="italic")
        text.append("\n")
        head("executor")
        text.append(f"{profile_label(sweep)}\n")
    head("attempts")
    for attempt in attempts:
        text.append(f"#{attempt.number} ")
        text.append(f"{attempt.state.symbol} {attempt.state.value}", style=STATE_STYLE[attempt.state])
        run = elapsed(attempt.started_at, attempt.ended_at, now)
        text.append(f" {duration(run)}" if run is not None else "")
        if attempt.exit_code is not None:
            text.append(f" exit {attempt.exit_code}")
        text.append("\n")
        details = [attempt.executor_id and f"id {attempt.executor_id}", attempt.node and f"on {attempt.node}",
                   attempt.started_at and f"at {clock_time(attempt.started_at, now)}"]
        details = [d for d in details if d]
        if details:
            text.append("   " + "  ".join(details) + "\n", style="dim")
        if attempt.reason:
            text.append(f"   {attempt.reason}\n", style="dim")
    if job.attempt.results:
        head("results")
        for name, value in job.attempt.results.items():
            text.append(f"{name} = {format_result(value)}\n")
    if out_log is not None:
        head("log")
        text.append(f"{short_path(out_log.parent, repo_root)}\n", style="dim")
    return text
