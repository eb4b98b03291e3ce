"""What Slurm's word on a job means for its attempt's state: the Slurm half of the state policy.

The Slurm executor only asks the scheduler (sacct); this module decides what an answer, or no
answer, means: a record of an older job under a reused id, a job missing from accounting, a
requeue after a node failure, a packed job whose task runs others first, a job killed by Slurm
whose own report never came. What the job reported itself is read through StatePolicy.
"""
from __future__ import annotations

import math
import os
import time
from typing import Any

from snaptui.engine.models import Attempt
from snaptui.engine.jobside.joblogs import log_files
from snaptui.engine.jobside.results import last_error_line
from snaptui.engine.states import Cause, JobState
from . import sacct
from snaptui.engine.executors.state_policy import StatePolicy

NOT_IN_ACCOUNTING_GRACE_S = 300.0
REQUEUED_AFTER = ("NODE_FAIL", "PREEMPTED")
REQUEUE_WINDOW_S = 180.0
REUSED_ID_SLACK_S = 120


def apply_record(states: StatePolicy, attempt: Attempt, record: sacct.SlurmRecord | None) -> bool:
    """Bring the attempt in line with its accounting record (None: accounting has none).
    True if its state changed."""
    store = states.store
    if record is not None and record.submit and attempt.submitted_at and \
            record.submit < attempt.submitted_at - REUSED_ID_SLACK_S:
        record = None  # an older job with a reused id (the cluster's ids were reset)
    before = attempt.state
    if record is None:
        if attempt.cancel_requested:
            # Slurm keeps no record of an array task cancelled while still pending.
            store.update_attempt(attempt.id, JobState.CANCELLED, ended_at=time.time(),
                                 reason="cancelled before it started", cause=Cause.CANCELLED.value, detail="snaptui")
            return True
        if time.time() - (attempt.submitted_at or 0) > NOT_IN_ACCOUNTING_GRACE_S:
            store.update_attempt(attempt.id, JobState.UNKNOWN, reason="not found in Slurm accounting")
        return False
    if record.slurm_state in REQUEUED_AFTER and time.time() - (record.end or time.time()) < REQUEUE_WINDOW_S:
        # Slurm requeues batch jobs after a node failure or preemption (JobRequeue=1, the
        # default): for a short while the outcome is unknown, not failed.
        store.update_attempt(attempt.id, JobState.UNKNOWN, node=record.node,
                             reason=f"{record.slurm_state}: Slurm may requeue it")
        return attempt.state != JobState.UNKNOWN
    if packed(attempt) and not record.state.is_final:
        # The task runs its jobs in turn: a packed job runs once its own manifest says so.
        if record.state == JobState.PENDING and attempt.state == JobState.PENDING and not _queue_said(attempt):
            store.update_attempt(attempt.id, JobState.PENDING, reason=record.describe())
        return False
    if record.state.is_final:
        # The job's own report has the exact exit code and results, unless Slurm killed it.
        if (record.slurm_state in ("COMPLETED", "FAILED") or packed(attempt)) and \
                states.apply_manifest(attempt):
            return True
        state = JobState.CANCELLED if attempt.cancel_requested and record.state != JobState.COMPLETED \
            else record.state
        cause, detail, exit_code = slurm_cause(record, attempt)
        store.update_attempt(attempt.id, state, exit_code=exit_code, node=record.node,
                             started_at=record.start or attempt.started_at, ended_at=record.end or time.time(),
                             reason=record.describe(), cause=cause, detail=detail)
        return True
    if attempt.state in (JobState.RUNNING, JobState.UNKNOWN) and attempt.started_at and \
            requeued_since(record, attempt):
        record_requeue(states, attempt, record.state, record.submit)
        return True
    if record.state == JobState.RUNNING:
        store.update_attempt(attempt.id, JobState.RUNNING, node=record.node,
                             started_at=record.start or time.time(), reason=None)
    elif attempt.state == JobState.RUNNING and not requeued_since(record, attempt):
        pass  # accounting lags the job's own report that it started: not a step back to pending
    elif record.state == JobState.PENDING and _fresher_than(store.attempt(attempt.id), record):
        pass
    else:
        store.update_attempt(attempt.id, record.state, reason=record.describe())
    current = store.attempt(attempt.id)
    return current is not None and current.state != before   # None: deleted meanwhile (its sweep removed)


SLURM_CAUSES = {"TIMEOUT": Cause.TIMEOUT, "DEADLINE": Cause.TIMEOUT, "OUT_OF_MEMORY": Cause.OUT_OF_MEMORY,
                "PREEMPTED": Cause.PREEMPTED, "NODE_FAIL": Cause.NODE_FAIL, "BOOT_FAIL": Cause.NODE_FAIL,
                "CANCELLED": Cause.CANCELLED, "COMPLETED": Cause.COMPLETED}


def slurm_cause(record: sacct.SlurmRecord, attempt: Attempt) -> tuple[str, str | None, int | None]:
    """(cause, detail, exit code) of a job Slurm ended, from its accounting record: who cancelled it (snaptui
    when it asked, else the job's own user with scancel, else an admin), or the log's last error line. Only
    an exit is an exit code: a cancelled, timed-out or killed job's 0:15 is not the command's verdict."""
    if attempt.cancel_requested and record.state != JobState.COMPLETED:
        return Cause.CANCELLED.value, "snaptui", None
    cause = SLURM_CAUSES.get(record.slurm_state, Cause.EXIT)
    if cause == Cause.CANCELLED:
        by = "scancel" if record.cancelled_by is None or record.cancelled_by == os.getuid() else "admin"
        return cause.value, by, None
    if cause == Cause.COMPLETED:
        return cause.value, None, record.exit_code
    if cause != Cause.EXIT:
        return cause.value, None, None
    code = record.exit_code if record.exit_code else -record.signal if record.signal else record.exit_code
    return cause.value, _error_line(attempt), code


def _error_line(attempt: Attempt) -> str | None:
    if not attempt.log_dir or not attempt.executor_id:
        return None
    return last_error_line(log_files(attempt.log_dir, attempt.executor_id)[1])


def record_requeue(states: StatePolicy, attempt: Attempt, now: JobState, submitted: float | None) -> int | None:
    """Slurm runs the job again: the attempt ends as its run ended (its own report of a time limit, the
    node failure or preemption accounting showed, else a requeue by scontrol or an admin) and a new attempt
    goes on, `now` PENDING or RUNNING. Returns the new attempt's id."""
    from snaptui.engine.jobside.requeue import read_run_manifest

    run = int((attempt.proc or {}).get("restart") or 0)
    reported: dict[str, Any] = {}
    for which in (run, None):   # the run's manifest set aside, else the latest
        found = read_run_manifest(attempt.log_dir, which)
        if found and found.get("attempt") == attempt.number:
            reported = found
            break
    said = attempt.reason or ""
    if reported.get("state") == "TIMEOUT":
        state, cause, detail = JobState.TIMEOUT, Cause.TIMEOUT.value, None
    elif said.startswith(("NODE_FAIL", "PREEMPTED")):
        state, cause, detail = JobState.FAILED, said.split(":")[0], None
    else:
        state, cause, detail = JobState.CANCELLED, Cause.REQUEUED.value, "requeued by Slurm (scontrol requeue, " \
                                                                         "an admin or preemption)"
    return states.store.requeue(attempt.id, state=state, cause=cause, detail=detail,
                                ended_at=reported.get("ended_at") or time.time(), new_state=now, submitted_at=submitted,
                                reason=f"{cause}: Slurm requeued the job; it goes on as the next attempt")


def _fresher_than(current: Attempt | None, record: sacct.SlurmRecord) -> bool:
    """Whether the store already knows better than a pending accounting record: the job's own report or the
    queue (queue.py) said it runs since this poll's attempts were read (accounting lags both), or the queue's
    pending reason, which accounting often still gives as None; or the attempt is gone (nothing to update)."""
    if current is None:
        return True
    if current.state == JobState.RUNNING:
        return not requeued_since(record, current)
    return current.state == JobState.PENDING and _queue_said(current)


def _queue_said(attempt: Attempt) -> bool:
    return bool(attempt.reason and attempt.reason.startswith("pending"))


def packed(attempt: Attempt) -> bool:
    return bool((attempt.proc or {}).get("packed"))


def requeued_since(record: sacct.SlurmRecord, attempt: Attempt) -> bool:
    """A requeued job is pending again under the same id, and Slurm gives it a new submit time.

    Accounting shows whole seconds, and the first submission was no later than our own record
    of it, so any later second is a requeue. Our start time alone is not enough: after a node
    failure the killed job may write its start to its manifest after Slurm already requeued it."""
    if not record.submit:
        return False
    if attempt.submitted_at and record.submit > math.floor(attempt.submitted_at):
        return True
    return bool(attempt.started_at and record.submit > attempt.started_at)

