"""Finding the arrays an interrupted launch submitted, in accounting as well as in the queue.

A launcher killed between sbatch and recording the array's id leaves an array the store does
not know. squeue lists only queued and running jobs, so an array that already finished is
invisible to it; recovering by squeue alone would submit the whole sweep again. Accounting
(sacct, over the launch's time window) still has it. Our arrays are recognised by the launch's
uid: in the job name snaptui gives by default, in the comment (which squeue shows, but sacct
only when the cluster stores comments), or, for a job name the user chose, by the manifest a
started task wrote into its folder. Every scheduler command's exit status is checked: when the
scheduler cannot answer, recovery refuses rather than guess.
"""
from __future__ import annotations

import json
import subprocess
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from snaptui.engine.errors import SnaptuiError
from snaptui.engine.jobside.manifest import MANIFEST_NAME
from snaptui.engine.models import Attempt, Sweep
from . import sacct
from snaptui.engine.store.store import Store

WINDOW_MARGIN_S = 600  # clocks of the launching host and the controller may disagree a little
TIMEOUT_S = 60


class SchedulerUnsure(SnaptuiError):
    """The scheduler could not say whether the launch submitted anything."""


def _run(argv: list[str], what: str) -> str:
    try:
        result = subprocess.run(argv, capture_output=True, text=True, timeout=TIMEOUT_S)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise SchedulerUnsure(f"{what} could not run ({exc}); nothing was submitted or cancelled, try again "
                              f"once the scheduler answers") from None
    if result.returncode != 0:
        first = (result.stderr.strip().splitlines() or ["no message"])[0]
        raise SchedulerUnsure(f"{what} failed (exit {result.returncode}: {first}); nothing was submitted or "
                              f"cancelled, try again once the scheduler answers")
    return result.stdout


def _owned_by_manifest(submitit_root: Path, task_ids: list[str], sweep: Sweep) -> bool:
    for task_id in task_ids:
        try:
            manifest = json.loads((submitit_root / task_id / MANIFEST_NAME).read_text())
        except (OSError, ValueError):
            continue
        if manifest.get("sweep_id") == sweep.id and (manifest.get("snapshot") or {}) == (sweep.snapshot or {}):
            return True
    return False


def launch_tag(sweep: Sweep) -> str | None:
    """What every job of a launch carries in its comment, so the launch finds its jobs after a crash."""
    return f"snaptui:{sweep.uid}" if sweep.uid else None


def find_arrays(sweep: Sweep, job_name: str, submitit_root: Path) -> dict[str, dict[str, sacct.SlurmRecord | None]]:
    """Arrays of this launch known to the scheduler: {array id: {task id: accounting record or None}}."""
    tag = launch_tag(sweep)
    start = datetime.fromtimestamp(sweep.created_at - WINDOW_MARGIN_S).strftime("%Y-%m-%dT%H:%M:%S")
    accounted = sacct.parse(_run(["sacct", "-X", "-n", "-P", "-S", start, "-E", "now", "--name", job_name,
                                  "-o", ",".join(sacct.FIELDS)], "sacct"))
    # `-t all`: the controller still lists a job for MinJobAge after it ended, while accounting may
    # not have it yet (slurmdbd lags): together they leave no window in which a finished array is unseen.
    queued = _run(["squeue", "--me", "-h", "-r", "-t", "all", "-o", "%i|%T|%k"], "squeue")
    arrays: dict[str, dict[str, sacct.SlurmRecord | None]] = {}
    for task_id, slurm_state, comment in parse_queue(queued):
        if tag in comment.split():
            record = accounted.get(task_id) or _from_controller(task_id, slurm_state)
            arrays.setdefault(task_id.split("_")[0], {})[task_id] = record
    by_array: dict[str, list[str]] = {}
    for task_id in accounted:
        by_array.setdefault(task_id.split("_")[0], []).append(task_id)
    for array_id, task_ids in by_array.items():
        if array_id in arrays or job_name.endswith(f"-{sweep.uid}") or \
                _owned_by_manifest(submitit_root, task_ids, sweep):
            arrays.setdefault(array_id, {}).update({t: accounted[t] for t in task_ids})
    return arrays


def parse_queue(text: str) -> list[tuple[str, str, str]]:
    """(task id, state, comment) of each line of `squeue -h -r -o %i|%T|%k`."""
    rows = []
    for line in text.splitlines():
        task_id, _, rest = line.partition("|")
        slurm_state, _, comment = rest.partition("|")
        rows.append((task_id, slurm_state, comment))
    return rows


def _from_controller(task_id: str, slurm_state: str) -> sacct.SlurmRecord | None:
    state = sacct.SLURM_STATES.get(slurm_state.split()[0] if slurm_state else "")
    if state is None:
        return None
    return sacct.SlurmRecord(job_id=task_id, slurm_state=slurm_state, state=state, exit_code=None, signal=None,
                             node=None, submit=None, start=None, end=None, user="", reason=None)


def _task_order(task_id: str) -> tuple[int, int]:
    array, _, index = task_id.partition("_")
    return int(array), int(index or 0)


def adopt(store: Store, submitit_root: Path, pending: list[Attempt], arrays: dict[str, Any],
          cluster: str | None) -> list[Attempt]:
    """Attempts were submitted in id order, array after array: task i of the k-th array belongs to the
    next attempt in line. Returns the attempts no array covers (still to submit)."""
    tasks = sorted((t for tasks in arrays.values() for t in tasks), key=_task_order)
    queue = sorted(pending, key=lambda a: a.id)
    for attempt, task_id in zip(queue, tasks):
        store.claim(attempt.id)
        store.update_attempt(attempt.id, executor_id=task_id, log_dir=str(submitit_root / task_id),
                             submitted_at=time.time(), proc={"cluster": cluster})
    return queue[len(tasks):]


def scancel_and_report(targets: list[str], tasks: list[str]) -> list[str]:
    """scancel `targets` (jobs or whole arrays), then say what accounting shows for `tasks` afterwards:
    what scancel did, not what we hoped it did."""
    if not targets:
        return []
    _run(["scancel", *targets], f"scancel {' '.join(targets)}")
    try:
        after = sacct.query(tasks)
    except sacct.SchedulerUnreachable as exc:
        return [f"scancel {' '.join(targets)} exited 0; the jobs' states could not be read back ({exc})"]
    by_state: dict[str, list[str]] = {}
    for job_id in tasks:
        record = after.get(job_id)
        by_state.setdefault(record.slurm_state if record else "not in accounting", []).append(job_id)
    states = "; ".join(f"{state}: {', '.join(sorted(jobs, key=_task_order))}"
                       for state, jobs in sorted(by_state.items()))
    return [f"scancel {' '.join(targets)} exited 0; accounting now says {states}"]


def abort(sweep: Sweep, submitted: list[Attempt], job_name: str, submitit_root: Path) -> list[str]:
    """Cancel every job of the launch still queued or running, tracked or not; report each outcome."""
    arrays = find_arrays(sweep, job_name, submitit_root)
    known = {a.executor_id for a in submitted if a.executor_id}
    try:
        records = sacct.query(sorted(known))
    except sacct.SchedulerUnreachable as exc:
        raise SchedulerUnsure(f"{exc}; nothing was cancelled, try again once the scheduler answers") from None
    states = {t: r for tasks in arrays.values() for t, r in tasks.items()}
    states.update({t: records.get(t) for t in known})
    untracked = sorted((a for a, tasks in arrays.items() if not set(tasks) & known), key=int)
    def live(task: str) -> bool:
        record = states.get(task)
        return record is None or not record.state.is_final
    lines = []
    finished = sorted((t for t in states if not live(t)), key=_task_order)
    if finished:
        lines.append(f"already finished, nothing to cancel: {', '.join(finished)}")
    targets = sorted({t for t in known if live(t)}, key=_task_order) + \
        [a for a in untracked if any(live(t) for t in arrays[a])]
    tasks = sorted({t for t in states if live(t)}, key=_task_order)
    lines += scancel_and_report(targets, tasks)
    if untracked:
        lines.append(f"untracked array(s) of this launch: {', '.join(untracked)}")
    return lines
