"""What Slurm's word on a job means for its attempt's state: the Slurm half of the state policy.

The Slurm executor only asks the scheduler (sacct); this module decides what an answer, or no
answer, means: a record of an older job under a reused id, a job missing from accounting, a
requeue after a node failure, a packed job whose task runs others first, a job killed by Slurm
whose own report never came. What the job reported itself is read through StatePolicy.
"""
from __future__ import annotations

import math
import time

from snaptui.engine.models import Attempt
from snaptui.engine.states import JobState
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
                                 reason="cancelled before it started")
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
        if record.state == JobState.PENDING and attempt.state == JobState.PENDING:
            store.update_attempt(attempt.id, JobState.PENDING, reason=record.describe())
        return False
    if record.state.is_final:
        # The job's own report has the exact exit code and results, unless Slurm killed it.
        if (record.slurm_state in ("COMPLETED", "FAILED") or packed(attempt)) and \
                states.apply_manifest(attempt):
            return True
        state = JobState.CANCELLED if attempt.cancel_requested and record.state != JobState.COMPLETED \
            else record.state
        store.update_attempt(attempt.id, state, exit_code=record.exit_code, node=record.node,
                             started_at=record.start or attempt.started_at, ended_at=record.end or time.time(),
                             reason=record.describe())
        return True
    if record.state == JobState.RUNNING:
        store.update_attempt(attempt.id, JobState.RUNNING, node=record.node,
                             started_at=record.start or time.time(), reason=None)
    elif attempt.state == JobState.RUNNING and not requeued_since(record, attempt):
        pass  # accounting lags the job's own report that it started: not a step back to pending
    else:
        store.update_attempt(attempt.id, record.state, reason=record.describe())
    return store.attempt(attempt.id).state != before


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

