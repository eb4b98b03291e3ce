"""Plain records the engine hands to its faces (TUI, batch, CLI)."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from .states import JobState, cause_label, cause_text

def format_value(value: Any) -> str:
    """How a parameter value is written on a command line, in a job's label and on the matrix's axes
    (TOML/Hydra spelling for booleans)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


@dataclass(frozen=True)
class Setting:
    """One override of the effective config as a typed value (the Hydra launcher's fields), beside the
    command line's `key=value` text; `origin` names where it came from in error messages."""
    key: str
    value: Any
    origin: str = "--set"


@dataclass(frozen=True)
class SettingRow:
    """One effective setting as `snaptui config` shows it: the key `--set` takes, its value (None:
    unset, the scheduler decides), where the value came from, its unit and one line of help."""
    key: str
    value: Any
    source: str
    unit: str = ""
    help: str = ""


@dataclass(frozen=True)
class Attempt:
    id: int
    sweep_id: int
    job_index: int
    number: int
    state: JobState
    executor_id: str | None = None
    log_dir: str | None = None
    node: str | None = None
    submitted_at: float | None = None
    started_at: float | None = None
    ended_at: float | None = None
    exit_code: int | None = None
    reason: str | None = None
    results: dict[str, Any] = field(default_factory=dict)
    cancel_requested: bool = False
    proc: dict[str, Any] = field(default_factory=dict)
    claimed: bool = False      # taken by a submitter; with no executor_id yet, mid-submission
    cause: str | None = None   # why it ended (states.Cause), once final
    detail: str | None = None  # what explains the cause: the log's last error line, who cancelled it
    usage: dict[str, Any] = field(default_factory=dict)    # what it used of what it asked for (efficiency)
    changes: dict[str, Any] = field(default_factory=dict)  # resubmitted with: {"set": {key: value}, "why": ...}
    expected_start: float | None = None   # a pending job's start as the scheduler expects it
    held: bool = False         # recorded but not handed over yet (the rest of a sweep behind its canary)

    @property
    def cause_label(self) -> str:
        """'exit 1', 'TIMEOUT', 'cancelled by scancel', ... ('' while it runs)."""
        return cause_label(self.cause, self.exit_code, self.detail)

    @property
    def cause_text(self) -> str:
        """The label with its explanation: 'exit 1: ValueError: bad lr'."""
        return cause_text(self.cause, self.exit_code, self.detail)

    @property
    def elapsed(self) -> float | None:
        import time
        if self.started_at is None:
            return None
        return (self.ended_at or time.time()) - self.started_at


@dataclass(frozen=True)
class Job:
    sweep_id: int
    index: int
    label: str
    params: dict[str, Any]
    argv: list[str]
    attempt: Attempt

    @property
    def ref(self) -> str:
        return f"{self.sweep_id}/{self.index}"

    @property
    def state(self) -> JobState:
        return self.attempt.state


@dataclass(frozen=True)
class Sweep:
    id: int
    name: str
    created_at: float
    status: str               # launching (a failed launch is deleted) | active
    executor: str
    profile: str
    sweep_file: str | None
    spec: dict[str, Any]
    config: dict[str, Any]
    snapshot: dict[str, Any] | None
    workdir: str
    counts: dict[JobState, int] = field(default_factory=dict)
    ended_at: float | None = None
    uid: str | None = None                 # tags the snapshot branch and the Slurm jobs of this launch
    launcher: dict[str, Any] | None = None  # pid and start time of the process that launched it
    canary: dict[str, Any] | None = None    # {"job", "after_s", "state": waiting | passed | failed, "why"}

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def is_active(self) -> bool:
        return any(self.counts.get(s, 0) for s in (JobState.PENDING, JobState.RUNNING, JobState.UNKNOWN))


class JobLine(NamedTuple):
    """What a listing of many jobs shows of each (`snaptui status SWEEP`): read without decoding the
    parameters and command lines that make a Job, so 100,000 of them read in well under a second."""
    index: int          # type: ignore[assignment]  # a field named like tuple.index: the job's index
    label: str
    state: str          # a JobState's value (no enum made per row)
    attempt: int
    executor_id: str | None
    node: str | None
    started_at: float | None
    ended_at: float | None
    exit_code: int | None
    reason: str | None
    results_json: str | None
    cause: str | None       # a states.Cause's value, once it ended
    detail: str | None      # what explains the cause (the log's last error line, who cancelled it)
    expected_start: float | None   # a pending job's start as the scheduler expects it
    slurm_id: str | None    # an allocation step's id as Slurm gives it (ID.STEP), once it runs


@dataclass(frozen=True)
class Event:
    """One state change, as stored; ids grow, so a watcher resumes from the last one it saw."""

    id: int
    attempt_id: int
    sweep_id: int
    job_index: int
    old_state: JobState | None
    new_state: JobState
    at: float
    reason: str | None


def loads(text: str | None, default: Any = None) -> Any:
    return json.loads(text) if text else default
