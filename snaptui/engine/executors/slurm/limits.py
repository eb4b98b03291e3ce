"""What the cluster lets one user submit, and how a sweep is split to fit it.

`MaxArraySize` caps an array's highest index (so an array holds at most that many
tasks), `MaxJobCount` the job records slurmctld keeps, and a QOS or association
`MaxSubmitJobs` the jobs (each array task counts) a user may have queued at once.
A sweep larger than one array becomes several arrays; one that cannot fit at all
is refused before anything is submitted, naming the limit and how to pack.
"""
from __future__ import annotations

import getpass
import math
import subprocess
from pathlib import Path
from dataclasses import dataclass

from snaptui.engine.errors import ConfigError

QUERY_TIMEOUT_S = 15


@dataclass(frozen=True)
class ClusterLimits:
    max_array_size: int | None = None     # tasks per array (index 0..MaxArraySize-1)
    max_job_count: int | None = None      # job records slurmctld holds, for everyone
    max_submit_jobs: int | None = None    # this user's queued jobs (array tasks count one each)
    submit_limit_name: str = ""           # where max_submit_jobs comes from, for messages
    queued_now: int = 0                   # this user's jobs (tasks) queued or running under that limit
    records_now: int = 0                  # job records slurmctld holds now
    cluster_name: str | None = None


@dataclass(frozen=True)
class ArrayChunk:
    """One sbatch --array: a slice of the sweep's tasks with its share of array_parallelism.

    `after` is the index of an earlier chunk this one waits for (afterany), used only when
    array_parallelism is smaller than the number of arrays: then at most that many run at once."""
    start: int
    size: int
    throttle: int
    after: int | None = None


def _run(argv: list[str]) -> str:
    """A query's output, or "" when it cannot run, fails or times out."""
    return _run_together([argv])[0]


def _int(text: str | None) -> int | None:
    text = (text or "").strip()
    return int(text) if text.isdigit() else None


def parse_config(text: str) -> dict[str, str]:
    values = {}
    for line in text.splitlines():
        key, sep, value = line.partition("=")
        if sep:
            values[key.strip()] = value.strip()
    return values


def read_limits(qos: str | None = None, account: str | None = None) -> ClusterLimits:
    """The limits that apply to the current user now (unknown ones are None: no check)."""
    config = parse_config(_run(["scontrol", "show", "config"]))
    user = getpass.getuser()
    # QOS and association limits bind only where slurmctld enforces them.
    enforced = {part.strip() for part in config.get("AccountingStorageEnforce", "").split(",")}
    submit_limit, submit_name, queued = None, "", 0
    if enforced & {"limits", "safe"}:
        # Each limit counts only the jobs under it (a QOS limit, the user's jobs in that QOS): the binding
        # one is the one with the least room left.
        for limit, name, which in _submit_limits(user, qos, account):
            mine = len(_run(["squeue", "-h", "-r", "-u", user, *which, "-o", "%i"]).split())
            if submit_limit is None or limit - mine < submit_limit - queued:
                submit_limit, submit_name, queued = limit, name, mine
    records = _run(["squeue", "-h", "-o", "%i"]) if _int(config.get("MaxJobCount")) else ""
    return ClusterLimits(
        max_array_size=_int(config.get("MaxArraySize")), max_job_count=_int(config.get("MaxJobCount")),
        max_submit_jobs=submit_limit, submit_limit_name=submit_name,
        queued_now=queued, records_now=len(records.split()),
        cluster_name=config.get("ClusterName"))


def _submit_limits(user: str, qos: str | None, account: str | None) -> list[tuple[int, str, list[str]]]:
    """The MaxSubmitJobs of the user's association and of the QOS the jobs run under, each with the
    squeue filter that selects the jobs it counts. The two sacctmgr queries (each a slurmdbd round
    trip, ~0.2-0.3 s here) run at once: the QOS one asks for every QOS, since which one applies
    may be the association's default."""
    assoc_argv = ["sacctmgr", "-n", "-P", "show", "assoc", f"user={user}", "format=Account,MaxSubmit,DefaultQOS"]
    assoc_out, qos_out = _run_together([assoc_argv, ["sacctmgr", "-n", "-P", "show", "qos", "format=Name,MaxSubmitPU"]])
    return parse_submit_limits(assoc_out, qos_out, user, qos, account)


def parse_submit_limits(assoc_out: str, qos_out: str, user: str, qos: str | None, account: str | None
                        ) -> list[tuple[int, str, list[str]]]:
    """The limits in sacctmgr's answers (`show assoc` and `show qos`, -n -P) that bind `user`'s jobs."""
    limits: list[tuple[int, str, list[str]]] = []
    default_qos = None
    for line in assoc_out.splitlines():
        acct, max_submit, def_qos = (line.split("|") + ["", "", ""])[:3]
        if account and acct != account:
            continue
        default_qos = default_qos or def_qos or None
        if _int(max_submit):
            limits.append((int(max_submit), f"MaxSubmitJobs of the association of {user} in account {acct}",
                           ["-A", acct]))
    qos = qos or default_qos or "normal"
    for line in qos_out.splitlines():
        name, per_user = (line.split("|") + [""])[:2]
        if name == qos and _int(per_user):
            limits.append((int(per_user), f"MaxSubmitJobsPerUser of QOS {qos}", ["-q", qos]))
    return limits


def _run_together(commands: list[list[str]]) -> list[str]:
    """_run for several commands started at once; a command that cannot run or fails gives ""."""
    started: list[subprocess.Popen[str] | None] = []
    for argv in commands:
        try:
            started.append(subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True))
        except OSError:
            started.append(None)
    outputs = []
    for process in started:
        if process is None:
            outputs.append("")
            continue
        try:
            out, _ = process.communicate(timeout=QUERY_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()
            out = ""
        outputs.append(out if process.returncode == 0 else "")
    return outputs


def check_fits(limits: ClusterLimits, jobs: int, tasks: int, jobs_per_task: int,
               sweep_file: str | Path | None = None) -> None:
    """Refuse a sweep that the user's limits cannot take, before anything is submitted."""
    arrays = math.ceil(tasks / limits.max_array_size) if limits.max_array_size else 1
    if limits.max_submit_jobs is not None and limits.queued_now + tasks > limits.max_submit_jobs:
        room = limits.max_submit_jobs - limits.queued_now
        raise ConfigError.single(
            sweep_file, "grid",
            f"{jobs} jobs as {tasks} array tasks exceed the cluster's {limits.submit_limit_name} = "
            f"{limits.max_submit_jobs} ({limits.queued_now} of your jobs are queued already)",
            hint=_pack_hint(jobs, room, jobs_per_task))
    if limits.max_job_count is not None and limits.records_now + arrays > limits.max_job_count:
        raise ConfigError.single(
            sweep_file, "grid",
            f"{arrays} arrays do not fit the cluster's MaxJobCount = {limits.max_job_count} "
            f"({limits.records_now} jobs are in the queue now)",
            hint="wait for the queue to drain, or pack jobs: set jobs_per_task in the profile")


def _pack_hint(jobs: int, room: int, jobs_per_task: int) -> str:
    if room <= 0:
        return "wait until some of your queued jobs end"
    need = math.ceil(jobs / room)
    return (f"pack several jobs into each array task: set jobs_per_task = {need} (or more) in the profile,"
            f" e.g. --set jobs_per_task={need}" if need > jobs_per_task else "wait until some of your jobs end")


def split_arrays(tasks: int, max_array_size: int | None, parallelism: int) -> list[ArrayChunk]:
    """Consecutive chunks of at most max_array_size tasks whose throttles add up to parallelism.

    With fewer parallel slots than arrays, chunks form `parallelism` lanes; each chunk waits for
    the previous one in its lane, so no more than `parallelism` tasks ever run at once."""
    size = max_array_size or tasks
    starts = list(range(0, tasks, size))
    sizes = [min(size, tasks - s) for s in starts]
    lanes = max(1, min(parallelism, len(starts)))
    if parallelism >= tasks:  # no throttle needed
        return [ArrayChunk(start, n, n) for start, n in zip(starts, sizes)]
    base, extra = divmod(parallelism, lanes)
    shares = [base + (1 if lane < extra else 0) for lane in range(lanes)]
    return [ArrayChunk(start, n, min(n, shares[i % lanes]), i - lanes if i >= lanes else None)
            for i, (start, n) in enumerate(zip(starts, sizes))]
