"""One batched accounting query for every active Slurm job, and its parsing.

sacct (not squeue) is the source of truth: it still knows a job after it left the
queue, with the state Slurm gave it (TIMEOUT, CANCELLED, NODE_FAIL, ...). Pending
array tasks come folded into one record like `123_[4-9%2]`, which is unfolded here.
"""
from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass, replace
from datetime import datetime

from snaptui.engine.states import JobState
from .reasons import pending_words

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

FINAL_SLURM_STATES = frozenset(name for name, state in SLURM_STATES.items() if state.is_final)


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
    cancelled_by: int | None = None   # the uid in "CANCELLED by 1000"

    def describe(self) -> str | None:
        if self.state == JobState.COMPLETED or self.state == JobState.RUNNING:
            return None
        if self.state == JobState.PENDING:
            return pending_words(self.reason) if self.reason and self.reason != "None" else None
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
    """Records by job id, array tasks one by one. A task's own row wins over a folded row that still names it:
    slurmdbd updates an array's folded "pending remainder" row (`123_[0-2%3]`) only when its next task starts,
    so for a while both rows list a task that has started or even ended (`123_0|CANCELLED` beside
    `123_[0-2%3]|PENDING`), and the folded row must not turn it back to pending."""
    records: dict[str, SlurmRecord] = {}
    own_rows: set[str] = set()
    for line in text.splitlines():
        parts = line.split("|")
        if len(parts) < len(FIELDS):
            continue
        job_id, state, exit_code, node, submit, start, end, user, reason = parts[:len(FIELDS)]
        words = state.split() if state else ["UNKNOWN"]  # "CANCELLED by 0"
        base_state = words[0]
        by = int(words[2]) if len(words) == 3 and words[1] == "by" and words[2].isdigit() else None
        code, _, sig = exit_code.partition(":")
        ids = [job_id]
        folded = _FOLDED.match(job_id)
        if folded:
            ids = [f"{folded.group(1)}_{i}" for i in _expand(folded.group(2))]
        for one in ids:
            if folded and one in own_rows:
                continue
            if not folded:
                own_rows.add(one)
            records[one] = SlurmRecord(
                job_id=one, slurm_state=base_state, state=SLURM_STATES.get(base_state, JobState.UNKNOWN),
                exit_code=int(code) if code.isdigit() else None,
                signal=int(sig) if sig.isdigit() and int(sig) else None,
                node=None if node in ("", "None assigned") else node, submit=_time(submit), start=_time(start),
                end=_time(end), user=user, reason=reason or None, cancelled_by=by)
    return records


def query(job_ids: list[str]) -> dict[str, SlurmRecord]:
    """States of these jobs (array tasks as `A_i`) in one sacct call; a second one, for the jobs among them
    that FAILED, finds those killed for memory (with_memory_kills)."""
    if not job_ids:
        return {}
    parents = sorted({j.split("_")[0] for j in job_ids})
    result = ask(["sacct", "-X", "-n", "-P", "-o", ",".join(FIELDS), "-j", ",".join(parents)], QUERY_TIMEOUT_S)
    if result.returncode != 0:
        raise failed(result)
    records = parse(result.stdout)
    failures = sorted(j for j in set(job_ids) if j in records and records[j].slurm_state == "FAILED")
    if failures:
        steps = ask(["sacct", "-n", "-P", "-o", "JobID,State", "-j", ",".join(failures)], QUERY_TIMEOUT_S)
        if steps.returncode == 0:   # else the failure stands as it is: the cause is a detail
            records = with_memory_kills(records, steps.stdout)
    return records


def with_memory_kills(records: dict[str, SlurmRecord], steps_text: str) -> dict[str, SlurmRecord]:
    """A job whose step the cgroup OOM killer hit is OUT_OF_MEMORY. With srun inside the batch script (as
    submitit runs a job), Slurm records the kill on the step only (`123_0.0|OUT_OF_MEMORY`) and the job
    line says FAILED 1:0, which read as the command's "exit 1"."""
    killed = {line.split("|")[0].split(".")[0] for line in steps_text.splitlines()
              if "." in line.split("|")[0] and line.split("|")[1:2] == ["OUT_OF_MEMORY"]}
    return {job: replace(record, slurm_state="OUT_OF_MEMORY") if job in killed and record.slurm_state == "FAILED"
            else record for job, record in records.items()}


def ask(argv: list[str], timeout: float) -> subprocess.CompletedProcess[str]:
    """Run one of Slurm's query commands (sacct, squeue); one that is not installed or does not answer
    within `timeout` seconds is SchedulerUnreachable. Its exit status is the caller's to judge."""
    try:
        return subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
    except FileNotFoundError:
        raise SchedulerUnreachable(f"{argv[0]} is not installed on this machine") from None
    except subprocess.TimeoutExpired:
        raise SchedulerUnreachable(f"{argv[0]} did not answer within {timeout:g}s") from None


def failed(result: subprocess.CompletedProcess[str]) -> SchedulerUnreachable:
    """The error for a query command that answered with a failure: its first line of stderr."""
    first = (result.stderr.strip().splitlines() or ["no message"])[0]
    return SchedulerUnreachable(f"{result.args[0]} failed: {first}")


USAGE_FIELDS = ("JobID", "Elapsed", "Timelimit", "TotalCPU", "AllocCPUS", "MaxRSS", "ReqMem", "State")


def seconds(text: str) -> float | None:
    """Slurm's durations: 'MM:SS.mmm' (TotalCPU), 'HH:MM:SS', 'D-HH:MM:SS'; None for UNLIMITED and the like."""
    text = (text or "").strip()
    if not text or not text[0].isdigit():
        return None
    days, _, rest = text.rpartition("-")
    try:
        parts = [float(p) for p in rest.split(":")]
    except ValueError:
        return None
    total = 0.0
    for part in parts:
        total = total * 60 + part
    return total + (int(days) * 86400 if days.isdigit() else 0)


def megabytes(text: str) -> float | None:
    """'1234K', '12.5M', '2G', '100Mn' (per node) -> MB; None when empty."""
    text = (text or "").strip().rstrip("nc")
    if not text:
        return None
    scale = {"K": 1 / 1024, "M": 1.0, "G": 1024.0, "T": 1024.0 ** 2}
    unit = text[-1].upper()
    try:
        return float(text[:-1]) * scale[unit] if unit in scale else float(text) / 2 ** 20
    except ValueError:
        return None


SacctUsage = dict[str, float | str | None]   # a job's figures (floats and ints, None: not accounted), its state


def parse_usage(text: str) -> dict[str, SacctUsage]:
    """What each job used, as Slurm accounted it (sacct without -X: the job's line, then its steps'):
    elapsed, time limit and CPU seconds, allocated CPUs, requested memory, and MaxRSS, the largest of its
    steps' (a step's own peak; Slurm samples it every JobAcctGatherFrequency)."""
    found: dict[str, SacctUsage] = {}
    peak_rss: dict[str, float] = {}    # by job: its steps' largest MaxRSS
    steps_cpu: dict[str, float] = {}   # by job: its steps' TotalCPU summed
    for line in text.splitlines():
        parts = line.split("|")
        if len(parts) < len(USAGE_FIELDS):
            continue
        job_id, elapsed, limit, total_cpu, cpus, max_rss, req_mem, state = parts[:len(USAGE_FIELDS)]
        job, _, step = job_id.partition(".")
        record = found.setdefault(job, {})
        if not step:
            record.update(elapsed_s=seconds(elapsed), limit_s=seconds(limit), cpu_s=seconds(total_cpu),
                          cpus=int(cpus) if cpus.isdigit() else None, mem_req_mb=megabytes(req_mem),
                          state=state.split()[0] if state else None)
        else:
            rss = megabytes(max_rss)
            if rss is not None:
                record["peak_rss_mb"] = peak_rss[job] = max(peak_rss.get(job, 0.0), rss)
            steps_cpu[job] = steps_cpu.get(job, 0.0) + (seconds(total_cpu) or 0.0)
    for job, record in found.items():
        if not record.get("cpu_s") and steps_cpu.get(job):
            record["cpu_s"] = steps_cpu[job]
    return found


def query_usage(job_ids: list[str]) -> dict[str, SacctUsage]:
    """parse_usage for these jobs, in one sacct call; {} when accounting cannot answer."""
    if not job_ids:
        return {}
    argv = ["sacct", "-n", "-P", "-o", ",".join(USAGE_FIELDS), "-j", ",".join(sorted(set(job_ids)))]
    try:
        result = subprocess.run(argv, capture_output=True, text=True, timeout=QUERY_TIMEOUT_S)
    except (OSError, subprocess.TimeoutExpired):
        return {}
    return parse_usage(result.stdout) if result.returncode == 0 else {}
