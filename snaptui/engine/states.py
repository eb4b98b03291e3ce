"""Job states as a user reads them, and which ones are final."""
from __future__ import annotations

from enum import Enum
from typing import Mapping


class JobState(str, Enum):
    PENDING = "PENDING"
    RUNNING = "RUNNING"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"
    TIMEOUT = "TIMEOUT"
    UNKNOWN = "UNKNOWN"

    @property
    def is_final(self) -> bool:
        return self in FINAL_STATES

    @property
    def symbol(self) -> str:
        return _SYMBOLS[self]

    def __str__(self) -> str:
        return self.value


FINAL_STATES = frozenset({JobState.COMPLETED, JobState.FAILED, JobState.CANCELLED, JobState.TIMEOUT})
ACTIVE_STATES = frozenset({JobState.PENDING, JobState.RUNNING, JobState.UNKNOWN})
RETRYABLE_STATES = frozenset({JobState.FAILED, JobState.CANCELLED, JobState.TIMEOUT})
STATE_ORDER = [JobState.RUNNING, JobState.PENDING, JobState.UNKNOWN, JobState.COMPLETED,
               JobState.FAILED, JobState.TIMEOUT, JobState.CANCELLED]


class Cause(str, Enum):
    """Why a finished attempt ended, in one word a person understands; the state says how it ended
    (OUT_OF_MEMORY, PREEMPTED and NODE_FAIL end FAILED), the cause says why."""
    COMPLETED = "completed"
    EXIT = "exit"                     # the command exited non-zero, or a signal killed it
    TIMEOUT = "TIMEOUT"
    OUT_OF_MEMORY = "OUT_OF_MEMORY"
    PREEMPTED = "PREEMPTED"
    NODE_FAIL = "NODE_FAIL"
    CANCELLED = "cancelled"           # by whom: the attempt's detail (snaptui, scancel, admin)
    LOST = "lost"                     # gone without a word from the job or the scheduler
    NOT_STARTED = "not started"       # its submission or start was refused (the detail says why)
    REQUEUED = "requeued"             # Slurm requeued it: the job goes on in a new attempt

    def __str__(self) -> str:
        return self.value


CANCELLERS = ("snaptui", "scancel", "admin")


def cause_label(cause: Cause | str | None, exit_code: int | None = None, detail: str | None = None) -> str:
    """The short name a cause is counted under: 'exit 1', 'signal 9', 'TIMEOUT', 'cancelled by scancel'
    ("3 TIMEOUT, 2 OUT_OF_MEMORY, 1 exit 1"); '' for none yet."""
    if not cause:
        return ""
    kind = Cause(cause)
    if kind == Cause.EXIT:
        if exit_code is None:
            return "exit ?"
        return f"signal {-exit_code}" if exit_code < 0 else f"exit {exit_code}"
    if kind == Cause.CANCELLED and detail in CANCELLERS:
        return f"cancelled by {detail}"
    return str(kind)   # its value


def cause_text(cause: Cause | str | None, exit_code: int | None = None, detail: str | None = None) -> str:
    """The label with what explains it: 'exit 1: ValueError: lr must be positive', 'lost: the node ...'."""
    label = cause_label(cause, exit_code, detail)
    if label and detail and detail not in CANCELLERS:
        return f"{label}: {detail}"
    return label


def done_count(counts: Mapping[JobState, int]) -> int:
    """How many of a sweep's jobs have ended, in any final state."""
    return sum(n for state, n in counts.items() if state.is_final)


_SYMBOLS = {
    JobState.PENDING: "·", JobState.RUNNING: "▶", JobState.COMPLETED: "✔", JobState.FAILED: "✘",
    JobState.CANCELLED: "⊘", JobState.TIMEOUT: "◔", JobState.UNKNOWN: "?",
}
