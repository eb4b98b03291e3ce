"""One estimate of a sweep's time left, for the TUI and the batch mode alike.

Two biases made the simple "mean of finished jobs x jobs left / parallelism" optimistic:
short jobs finish first, so early means are too low (a running job that has already run
longer than that mean says so: its elapsed time counts as a lower bound of its duration),
and jobs start in waves of `slots`, so the last wave runs on fewer slots than the average
suggests. This estimate places every unfinished job on the earliest free slot, as the
agent or an array with a parallelism limit does.

Slots are what the sweep allows, not what the machine gives: 1,500 one-second tasks with
array_parallelism = 256 on a cluster of two free CPUs run a few at a time, and the slot
model alone said "0 s" for a quarter of an hour. Once enough jobs have ended, the rate at
which they ended so far bounds the estimate from below too.
"""
from __future__ import annotations

import heapq
from typing import TYPE_CHECKING, Any, Iterable

from snaptui.engine.config.settings import stored_config
from snaptui.engine.states import JobState

if TYPE_CHECKING:
    from snaptui.engine.models import Job

UNSTARTED = (JobState.PENDING, JobState.UNKNOWN)
RATE_AFTER = 10   # ended jobs before their rate is trusted (the first ones say little about throughput)


def eta_seconds(jobs: Iterable[Job], now: float, slots: int | None = None) -> float | None:
    """Seconds until the last unfinished job ends, or None before any job has finished."""
    finished: list[float] = []
    running: list[float] = []
    pending, ended = 0, 0
    expected: float | None = None
    first_start: float | None = None
    last_end: float | None = None
    for job in jobs:
        attempt = job.attempt
        if attempt.started_at is not None:
            first_start = attempt.started_at if first_start is None else min(first_start, attempt.started_at)
        if job.state.is_final and attempt.ended_at is not None:
            ended += 1
            last_end = attempt.ended_at if last_end is None else max(last_end, attempt.ended_at)
        if job.state is JobState.COMPLETED and attempt.started_at is not None and attempt.ended_at is not None:
            finished.append(attempt.ended_at - attempt.started_at)
        elif job.state is JobState.RUNNING:
            running.append(max(now - attempt.started_at, 0.0) if attempt.started_at is not None else 0.0)
        elif job.state in UNSTARTED:
            pending += 1
            if attempt.expected_start and attempt.expected_start > now:   # the scheduler's own word (squeue)
                expected = attempt.expected_start if expected is None else max(expected, attempt.expected_start)
    if not finished or not (pending or running):
        return None
    mean = sum(finished) / len(finished)
    overdue = [e for e in running if e > mean]          # censored durations: at least this long
    typical = (sum(finished) + sum(overdue)) / (len(finished) + len(overdue))
    width = max(slots or 0, len(running), 1)
    free = [max(typical - e, 0.0) if e <= typical else typical * 0.1 for e in running]
    free += [0.0] * (width - len(free))
    heapq.heapify(free)
    for _ in range(pending):
        heapq.heappush(free, heapq.heappop(free) + typical)
    estimate = max(free)
    if expected is not None:   # a job Slurm will not start before then ends no sooner than then + its run
        estimate = max(estimate, expected - now + typical)
    if ended >= RATE_AFTER and first_start is not None and last_end is not None and last_end > first_start:
        rate = ended / (last_end - first_start)
        estimate = max(estimate, (pending + len(running)) / rate)
    return estimate


def slots_of(config: dict[str, Any] | None) -> int | None:
    """How many jobs of a sweep may run at once, from its recorded config (None: no limit known): the
    profile's parallelism, which its executor enforces too."""
    if not (config or {}).get("executor"):
        return None   # nothing recorded of its profile
    return stored_config(config).profile.parallelism()
