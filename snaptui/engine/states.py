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


def done_count(counts: Mapping[JobState, int]) -> int:
    """How many of a sweep's jobs have ended, in any final state."""
    return sum(n for state, n in counts.items() if state.is_final)


_SYMBOLS = {
    JobState.PENDING: "·", JobState.RUNNING: "▶", JobState.COMPLETED: "✔", JobState.FAILED: "✘",
    JobState.CANCELLED: "⊘", JobState.TIMEOUT: "◔", JobState.UNKNOWN: "?",
}
