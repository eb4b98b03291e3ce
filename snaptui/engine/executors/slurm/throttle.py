"""array_parallelism across a split sweep, kept whole as its arrays drain.

A sweep larger than MaxArraySize is several arrays whose throttles add up to array_parallelism
(slurm_limits.split_arrays). When one array has started its last task, its share is idle from
then on: a 1,500-job sweep at 256 ran as 128 + 128, and once the 499-task array was done, the
1,001-task one went on at 128. After each poll the shares are dealt again: what the drained
arrays still run is subtracted from array_parallelism, and the rest goes to the arrays that have
tasks waiting (`scontrol update ArrayTaskThrottle`), so no more than array_parallelism tasks run at
once and no slot stays idle. Arrays chained into lanes (fewer slots than arrays) are left as
submitted: their dependencies already hand each lane's slot on.
"""
from __future__ import annotations

import logging
import subprocess
from dataclasses import dataclass

from snaptui.engine.models import Attempt
from snaptui.engine.states import JobState

log = logging.getLogger("snaptui.slurm")


@dataclass(frozen=True)
class ArrayLoad:
    running: int   # tasks started and not ended (UNKNOWN counts here: it may be running)
    waiting: int   # tasks not started yet


def array_of(executor_id: str | None) -> str | None:
    """The array of an array task's id ("123" of "123_4"); None for a job outside an array."""
    array, sep, _ = (executor_id or "").partition("_")
    return array if sep else None


def array_loads(attempts: list[Attempt]) -> dict[str, ArrayLoad]:
    """Per array id, its active tasks as the store knows them after a poll (a packed task counts once:
    it runs when any of its jobs does, and waits while all of them do)."""
    tasks: dict[str, dict[str, bool]] = {}
    for attempt in attempts:
        array = array_of(attempt.executor_id)
        if array is None:
            continue
        started = attempt.state != JobState.PENDING
        per_array = tasks.setdefault(array, {})
        task = attempt.executor_id or ""
        per_array[task] = per_array.get(task, False) or started
    return {array: ArrayLoad(sum(ts.values()), sum(not s for s in ts.values())) for array, ts in tasks.items()}


def shares(loads: dict[str, ArrayLoad], parallelism: int) -> dict[str, int]:
    """New throttles for the arrays with tasks waiting; {} when they cannot each have a slot."""
    waiting = sorted((a for a, load in loads.items() if load.waiting), key=int)
    budget = parallelism - sum(load.running for load in loads.values() if not load.waiting)
    if not waiting or budget < len(waiting):
        return {}
    need = {a: loads[a].running + loads[a].waiting for a in waiting}
    given = dict.fromkeys(waiting, 0)
    left = budget
    while left > 0:
        hungry = [a for a in waiting if given[a] < need[a]]
        if not hungry:
            break
        each = max(1, left // len(hungry))
        for array in hungry:
            more = min(each, need[array] - given[array], left)
            given[array] += more
            left -= more
    return {a: max(1, n) for a, n in given.items()}


def changes(loads: dict[str, ArrayLoad], new: dict[str, int], current: dict[str, int | None]) -> dict[str, int]:
    """The new throttles that change what may run. An array runs at most min(throttle, tasks left):
    one left with a throttle above its remaining tasks needs no call as it drains (a 1,500-job sweep
    made 115 scontrol calls in 12 minutes lowering such throttles one poll after another)."""
    out = {}
    for array, throttle in new.items():
        left = loads[array].running + loads[array].waiting
        was = current.get(array)
        if was is None or min(was, left) != min(throttle, left):
            out[array] = throttle
    return out


class ThrottleKeeper:
    """Deals the shares of each split sweep after a poll; remembers what it set, to call scontrol
    only for a change (the first sight of an array reads its throttle from scontrol)."""

    def __init__(self) -> None:
        self._set: dict[str, int | None] = {}

    def rebalance(self, attempts: list[Attempt], parallelism: int) -> None:
        loads = array_loads(attempts)
        new = shares(loads, parallelism)
        for array in new:
            if self._set.get(array) is None:
                self._set[array] = _read_throttle(array)
        for array, throttle in changes(loads, new, self._set).items():
            current = self._set[array]
            if self._update(array, throttle):
                log.info("array %s: throttle %s -> %d (array_parallelism %d; arrays still active: %d)",
                         array, current, throttle, parallelism, len(loads))

    def _update(self, array: str, throttle: int) -> bool:
        try:
            result = subprocess.run(["scontrol", "update", f"JobId={array}", f"ArrayTaskThrottle={throttle}"],
                                    capture_output=True, text=True, timeout=30)
        except (OSError, subprocess.TimeoutExpired) as exc:
            log.warning("array %s: throttle not changed: %s", array, exc)
            return False
        # scontrol exits 1 when some of the array's tasks have ended ("6812_0-1: Job has already
        # finished"), yet sets the throttle of the rest: read back what it did.
        if result.returncode != 0 and _read_throttle(array) != throttle:
            log.warning("array %s: throttle not changed: %s", array, (result.stderr or result.stdout).strip()[:200])
            return False
        self._set[array] = throttle
        return True


def _read_throttle(array: str) -> int | None:
    try:
        shown = subprocess.run(["scontrol", "show", "job", "-o", array], capture_output=True, text=True,
                               timeout=30).stdout
    except (OSError, subprocess.TimeoutExpired):
        return None
    return parse_throttle(shown)


def parse_throttle(shown: str) -> int | None:
    """An array's task throttle (%N) from `scontrol show job -o ARRAY`; None when it has none."""
    for word in shown.split():
        if word.startswith("ArrayTaskThrottle="):
            value = word.partition("=")[2]
            return int(value) if value.isdigit() else None
    return None
