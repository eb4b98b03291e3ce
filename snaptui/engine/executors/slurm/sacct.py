"""One batched accounting query for every active Slurm job, and its parsing.

sacct (not squeue) is the source of truth: it still knows a job after it left the
queue, with the state Slurm gave it (TIMEOUT, CANCELLED, NODE_FAIL, ...). Pending
array tasks come folded into one record like `123_[4-9%2]`, which is unfolded here.
"""
from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from datetime import datetime

from snaptui.engine.states import JobState

FIELDS = ("JobID", "State", "ExitCode", "NodeList", "Submit", "Start", "End", "User", "Reason")
QUERY_TIMEOUT_S = 30
_FOLDED = re.compile(r"^(\d+)_\[([^\]]+)\]$")

SLURM_STATES = {
    "PENDING": JobState.PENDING, "REQUEUED": JobState.PENDING, "REQUEUE_FED": JobState.PENDING,
    "REQUEUE_HOLD": JobState.PENDING, "RESIZING": JobState.PENDING, "SUSPENDED": JobState.PENDING,
    "CONFIGURING": JobState.PENDING, "RUNNING": JobState.RUNNING, "COMPLETING": JobState.RUNNING,
    "STAGE_OUT": JobState.RUNNING, "SIGNALING": JobState.RUNNING,
    "COMPLETED": JobState.COMPLETED, "CANCELLED": JobState.CANCELLED, "TIMEOUT": JobState.TIMEOUT,
    "DEADLINE": JobState.TIMEOUT, "FAILED": JobState.FAILED, "OUT_OF_MEMORY": JobState.FAILED,
    "NODE_FAIL": JobState.FAILED, "BOOT_FAIL": JobState.FAILED, "PREEMPTED": JobState.FAILED,
    "REVOKED": JobState.FAILED, "SPECIAL_EXIT": JobState.FAILED,
}


class SchedulerUnreachable(Exception):
    """sacct could not answer; the message says why (shown on every affected job)."""


@dataclass(frozen=True)
class SlurmRecord:
    job_id: str
    slurm_state: str
    state: JobState
    exit_code: int | None
    signal: int | None
    node: str | None
    submit: float | None
    start: float | None
    end: float | None
    user: str
    reason: str | None

    def describe(self) -> str | None:
        if self.state == JobState.COMPLETED or self.state == JobState.RUNNING:
            return None
        if self.state == JobState.PENDING:
            return f"pending: {self.reason}" if self.reason and self.reason != "None" else None
        detail = self.slurm_state
        if self.exit_code:
            detail += f", exit code {self.exit_code}"
        if self.signal:
            detail += f", signal {self.signal}"
        return detail


def _time(text: str) -> float | None:
    if not text or text in ("Unknown", "None"):
        return None
    try:
        return datetime.fromisoformat(text).timestamp()
    except ValueError:
        return None


def _expand(spec: str) -> list[int]:
    spec = spec.split("%")[0]
    out: list[int] = []
    for part in spec.split(","):
        if "-" in part:
            low, high = part.split("-", 1)
            out.extend(range(int(low), int(high) + 1))
        elif part:
            out.append(int(part))
    return out


def parse(text: str) -> dict[str, SlurmRecord]:
    records: dict[str, SlurmRecord] = {}
    for line in text.splitlines():
        parts = line.split("|")
        if len(parts) < len(FIELDS):
            continue
        job_id, state, exit_code, node, submit, start, end, user, reason = parts[:len(FIELDS)]
        base_state = state.split()[0] if state else "UNKNOWN"  # "CANCELLED by 0"
        code, _, sig = exit_code.partition(":")
        ids = [job_id]
        folded = _FOLDED.match(job_id)
        if folded:
            ids = [f"{folded.group(1)}_{i}" for i in _expand(folded.group(2))]
        for one in ids:
            records[one] = SlurmRecord(
                job_id=one, slurm_state=base_state, state=SLURM_STATES.get(base_state, JobState.UNKNOWN),
                exit_code=int(code) if code.isdigit() else None,
                signal=int(sig) if sig.isdigit() and int(sig) else None,
                node=None if node in ("", "None assigned") else node, submit=_time(submit), start=_time(start),
                end=_time(end), user=user, reason=reason or None)
    return records


def query(job_ids: list[str]) -> dict[str, SlurmRecord]:
    """States of these jobs (array tasks as `A_i`) in one sacct call."""
    if not job_ids:
        return {}
    parents = sorted({j.split("_")[0] for j in job_ids})
    argv = ["sacct", "-X", "-n", "-P", "-o", ",".join(FIELDS), "-j", ",".join(parents)]
    try:
        result = subprocess.run(argv, capture_output=True, text=True, timeout=QUERY_TIMEOUT_S)
    except FileNotFoundError:
        raise SchedulerUnreachable("sacct is not installed on this machine") from None
    except subprocess.TimeoutExpired:
        raise SchedulerUnreachable(f"sacct did not answer within {QUERY_TIMEOUT_S}s") from None
    if result.returncode != 0:
        first = (result.stderr.strip().splitlines() or ["no message"])[0]
        raise SchedulerUnreachable(f"sacct failed: {first}")
    return parse(result.stdout)
