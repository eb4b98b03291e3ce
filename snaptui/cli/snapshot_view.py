"""What the batch mode and CLI print about a snapshot: its preview in a dry run, and progress
while a launch hashes untracked files (which can take seconds)."""
from __future__ import annotations

import time

from rich.console import Console

from ..engine.api import Engine, LaunchPlan
from ..engine.errors import SnaptuiError


def print_preview(console: Console, engine: Engine, plan: LaunchPlan) -> int:
    """The snapshot a launch would take; returns 2 if the launch would be refused, else 0."""
    try:
        preview = engine.preview_snapshot(plan)
    except SnaptuiError as exc:
        console.print(f"[bold red]error:[/] {exc}", markup=True, highlight=False)
        return exc.exit_code
    if preview is None:
        console.print("snapshot: none (jobs run in the repository itself)")
        return 0
    for line in preview.describe():
        console.print(line, markup=False, highlight=False)
    try:
        preview.check_total(plan.config.snapshot)
    except SnaptuiError as exc:
        console.print(f"error: {exc}", markup=False, highlight=False)
        return exc.exit_code
    return 0


BIG_HASH_BYTES = 64 * 1024 * 1024


class HashProgress:
    """A line on stderr while hashing takes more than half a second, updated at most 5 times a second."""

    def __init__(self, console: Console):
        self.console, self.started, self.shown_at = console, time.monotonic(), 0.0

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        if done == 0 and total >= BIG_HASH_BYTES:  # say at once that this will take a while
            self.console.print(f"snapshot: hashing {total / 1048576:,.0f} MB of untracked files (Ctrl-C stops the "
                               f"launch cleanly)", markup=False, highlight=False)
            self.shown_at = now
            return
        if now - self.started < 0.5 or (now - self.shown_at < 0.2 and done < total):
            return
        self.shown_at = now
        end = "\n" if done >= total or not self.console.is_terminal else "\r"
        self.console.print(f"snapshot: hashing untracked files {done / 1048576:,.0f}/{total / 1048576:,.0f} MB",
                           end=end, markup=False, highlight=False)
