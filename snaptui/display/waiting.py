"""Why a sweep's jobs wait and why those that ended did: what the sweep header adds to its counts
("·3 Resources, first start ~4m  ⚠ 1 can never start  (2 TIMEOUT, 1 exit 1)"), worked out in the same
pass over the jobs as the ETA (off the UI thread for a large sweep)."""
from __future__ import annotations

import re
from dataclasses import dataclass

from rich.text import Text

from snaptui.engine.states import JobState
from snaptui.engine.views import cause_summary
from snaptui.format import duration, safe

_CODE = re.compile(r"\(([^()]+)\)\s*$")


@dataclass(frozen=True)
class Waiting:
    pending: int = 0
    reason: str | None = None          # the most common pending reason (Slurm's code: Resources, Priority)
    next_start: float | None = None    # the earliest start the scheduler expects for a pending job
    never: int = 0                     # pending jobs that can never start as submitted
    never_why: str | None = None
    causes: str = ""                   # why the jobs that did not complete ended


def waiting(jobs, now: float) -> Waiting:
    reasons: dict[str, int] = {}
    pending, never, never_why, next_start = 0, 0, None, None
    for job in jobs:
        attempt = job.attempt
        if attempt.state is not JobState.PENDING:
            continue
        pending += 1
        said = attempt.reason or ""
        if "can never start" in said:
            never += 1
            never_why = never_why or said.split("can never start: ", 1)[-1]
        found = _CODE.search(said)
        if found:
            reasons[found.group(1)] = reasons.get(found.group(1), 0) + 1
        if attempt.expected_start and attempt.expected_start > now:
            next_start = attempt.expected_start if next_start is None else min(next_start, attempt.expected_start)
    reason = max(reasons, key=reasons.get) if reasons else None
    return Waiting(pending, reason, next_start, never, never_why, cause_summary(jobs))


def waiting_text(found: Waiting | None, now: float) -> Text:
    text = Text(no_wrap=True, overflow="ellipsis")
    if found is None:
        return text
    if found.never:
        text.append(f"  ⚠ {found.never} can never start: {safe(found.never_why or '')}", style="bold red")
    elif found.pending and (found.reason or found.next_start):
        text.append(f"  ·{found.pending} " + (safe(found.reason) if found.reason else "pending"), style="dim")
        if found.next_start:
            text.append(f", next start ~{duration(found.next_start - now)}", style="dim")
    if found.causes:
        text.append(f"  ({safe(found.causes)})", style="yellow")
    return text
