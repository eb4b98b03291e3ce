"""What the batch mode and CLI print about a snapshot: its preview in a dry run, and progress
while a launch hashes untracked files (which can take seconds)."""
from __future__ import annotations

import time

from rich.console import Console

from ..engine.api import CheckedPlan


def print_preview(console: Console, plan: CheckedPlan) -> int:
    """The snapshot a launch would take, then why the launch would be refused, if it would (raised: the
    caller prints it as any bad input); 0 when it would launch."""
    if plan.preview is None and plan.config.snapshot.enabled is False:
        console.print("snapshot: none (jobs run in the repository itself)")
    for line in plan.preview.describe() if plan.preview is not None else ():
        console.print(line, markup=False, highlight=False)
    for warning in plan.warnings[len(plan.notes):]:
        console.print(f"warning: {warning}", markup=False, highlight=False)
    if plan.refusal is not None:
        raise plan.refusal
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
