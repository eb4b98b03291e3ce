"""What the queue says now (squeue): which jobs run, which wait and why, and when Slurm expects them to start.

sacct is the record of how a job ended, but it is asked only every poll interval; squeue answers from the
controller at once, so the executor looks at the queue every second: a job that leaves it (or that it lists
as ended, for MinJobAge) is looked up in accounting right then, and a pending job's reason is the queue's
own (accounting often still says None while the queue says Resources).
"""
from __future__ import annotations

from dataclasses import dataclass

from .reasons import NEVER_STARTS
import time

from .sacct import FINAL_SLURM_STATES, SLURM_STATES, SlurmRecord, _expand, _FOLDED, _time, ask, failed

FORMAT = "%i|%T|%r|%S|%N"
QUERY_TIMEOUT_S = 20

@dataclass(frozen=True)
class QueuedJob:
    job_id: str
    slurm_state: str          # RUNNING, PENDING, or how it ended (listed for MinJobAge after its end)
    reason: str | None        # Slurm's code: Resources, Priority, PartitionConfig...
    start: float | None       # when it started, or when Slurm expects it to (pending)
    node: str | None

    @property
    def ended(self) -> bool:
        return self.slurm_state in FINAL_SLURM_STATES

    def as_record(self) -> SlurmRecord:
        """The queue's word on a job that ended, as an accounting record until accounting has its own: the
        state and node are the controller's; the exit code and who cancelled it are only in accounting."""
        return SlurmRecord(job_id=self.job_id, slurm_state=self.slurm_state, state=SLURM_STATES[self.slurm_state],
                           exit_code=None, signal=None, node=self.node, submit=None, start=self.start,
                           end=time.time(), user="", reason=self.reason)

    @property
    def never_starts(self) -> bool:
        return self.slurm_state == "PENDING" and self.reason in NEVER_STARTS


def parse(text: str) -> dict[str, QueuedJob]:
    found: dict[str, QueuedJob] = {}
    for line in text.splitlines():
        parts = line.split("|")
        if len(parts) < 5:
            continue
        job_id, state, reason, start, node = parts[:5]
        folded = _FOLDED.match(job_id)
        ids = [f"{folded.group(1)}_{i}" for i in _expand(folded.group(2))] if folded else [job_id]
        for one in ids:
            found[one] = QueuedJob(one, state.split()[0] if state else "UNKNOWN",
                                   None if reason in ("", "(null)") else reason,
                                   _time(start) if start not in ("N/A", "") else None,
                                   None if node in ("", "(null)", "None assigned") else node)
    return found


def query(job_ids: list[str]) -> dict[str, QueuedJob]:
    """The queue's word on these jobs (array tasks one by one), those ended in the last MinJobAge included.
    A job it does not list has left it. Raises SchedulerUnreachable when squeue cannot answer."""
    if not job_ids:
        return {}
    parents = sorted({j.split("_")[0].split(".")[0] for j in job_ids})
    result = ask(["squeue", "-h", "-r", "-t", "all", "-o", FORMAT, "-j", ",".join(parents)], QUERY_TIMEOUT_S)
    if result.returncode != 0:
        if "Invalid job id" in result.stderr:
            return {}   # none of them is in the queue any more
        raise failed(result)
    return parse(result.stdout)
