"""Slurm allocations: obtain one (`salloc --no-shell`), check one, release one.

A profile with `allocation = <id>` (or "current": the allocation of the shell snaptui runs in)
runs its jobs as job steps inside that allocation (steps.py) instead of submitting
an array: the use is interactive debugging on nodes already reserved.
"""
from __future__ import annotations

import re
import subprocess
from pathlib import Path
from dataclasses import dataclass
from typing import Callable, Mapping

from snaptui.engine.errors import ConfigError, SnaptuiError
from snaptui.engine.jobside.jobenv import without_scheduler_vars
from .settings import SlurmProfile

GRANTED = re.compile(r"Granted job allocation (\d+)")


@dataclass(frozen=True)
class Allocation:
    job_id: str
    state: str
    cpus: int
    mem_mb: int | None
    nodes: str
    user: str


def describe(job_id: str) -> Allocation | None:
    """The allocation as Slurm has it now; None if Slurm does not know the id (or it is gone)."""
    try:
        out = subprocess.run(["scontrol", "show", "job", "-o", str(job_id)], capture_output=True, text=True,
                             timeout=30)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise SnaptuiError(f"cannot ask Slurm about allocation {job_id}: {exc}") from None
    if out.returncode != 0 or not out.stdout.strip():
        return None
    return parse_job(out.stdout, job_id)


def parse_job(shown: str, job_id: str) -> Allocation:
    """An allocation from `scontrol show job -o ID`'s one line."""
    fields = dict(part.split("=", 1) for part in shown.split() if "=" in part)
    mem = re.search(r"mem=(\d+)([MGT]?)", fields.get("TRES", ""))
    mem_mb = int(mem.group(1)) * {"": 1, "M": 1, "G": 1024, "T": 1024 ** 2}[mem.group(2)] if mem else None
    return Allocation(job_id=str(job_id), state=fields.get("JobState", "?"), cpus=int(fields.get("NumCPUs", 1)),
                      mem_mb=mem_mb, nodes=fields.get("NodeList", ""), user=fields.get("UserId", "").split("(")[0])


def resolve(value: int | str | None, environ: Mapping[str, str], file: Path | str | None, key: str) -> Allocation:
    """The running allocation a profile names; bad input (exit 2) when there is none."""
    if str(value) == "current":
        job_id = environ.get("SLURM_JOB_ID")
        if not job_id:
            raise ConfigError.single(file, key, 'is "current" but this shell is not inside a Slurm allocation'
                                     " (no SLURM_JOB_ID)", hint="run from an salloc shell, or give the id of"
                                     " `snaptui alloc get`")
    else:
        job_id = str(value)
    found = describe(job_id)
    if found is None or found.state != "RUNNING":
        what = "does not exist" if found is None else f"is {found.state}, not RUNNING"
        raise ConfigError.single(file, key, f"allocation {job_id} {what}",
                                 hint="`snaptui alloc get` obtains a new one; squeue lists yours")
    return found


SALLOC_FLAGS = {"partition": "--partition", "account": "--account", "qos": "--qos", "nodes": "--nodes",
                "cpus_per_task": "--cpus-per-task", "constraint": "--constraint", "gpus_per_node": "--gpus-per-node",
                "nodelist": "--nodelist", "exclude": "--exclude"}


def salloc_command(profile: SlurmProfile, tasks: int, time_min: float, job_name: str) -> list[str]:
    cmd = ["salloc", "--no-shell", f"--ntasks={tasks}", f"--time={max(1, int(time_min))}", f"--job-name={job_name}"]
    for key, flag in SALLOC_FLAGS.items():
        if value := getattr(profile, key):
            cmd.append(f"{flag}={value}")
    if profile.mem_gb:
        cmd.append(f"--mem-per-cpu={int(profile.mem_gb * 1024)}M")
    return cmd


def get(profile: SlurmProfile, tasks: int, time_min: float, job_name: str, on_line: Callable[[str], None],
        environ: Mapping[str, str]) -> str:
    """Obtain an allocation and return its id. salloc waits until Slurm grants it; its lines
    ("queued and waiting for resources") are passed to `on_line` as they come."""
    cmd = salloc_command(profile, tasks, time_min, job_name)
    try:
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                env=without_scheduler_vars(environ))  # never nested in the caller's allocation
    except OSError as exc:
        raise SnaptuiError(f"cannot run salloc: {exc}") from None
    job_id = None
    lines = []
    assert proc.stdout is not None   # stdout=PIPE
    for line in proc.stdout:
        line = line.rstrip()
        lines.append(line)
        on_line(line)
        if (match := GRANTED.search(line)):
            job_id = match.group(1)
    if proc.wait() != 0 or job_id is None:
        raise SnaptuiError("salloc did not grant an allocation:\n" + "\n".join(lines[-5:]))
    return job_id


def release(job_id: str, me: str) -> None:
    found = describe(job_id)
    if found is None or found.state not in ("RUNNING", "PENDING", "CONFIGURING"):
        what = "does not exist" if found is None else f"has already ended ({found.state})"
        raise ConfigError.single(None, "alloc release", f"allocation {job_id} {what}")
    if found.user and found.user != me:
        raise ConfigError.single(None, "alloc release", f"allocation {job_id} belongs to {found.user}, not to you")
    result = subprocess.run(["scancel", str(job_id)], capture_output=True, text=True, timeout=60)
    if result.returncode != 0:
        raise SnaptuiError(f"scancel {job_id} failed: {result.stderr.strip()[:300]}")
