"""Where a job's stdout and stderr live: the names submitit gives them (`<id>_<task>_log.out/.err`).

Every writer (submitit itself, the local workers, packed tasks, allocation steps) and every reader
(log views, tails, metrics) takes the names from submitit's own JobPaths, so they cannot drift
apart. submitit is imported on first use: it pulls in asyncio and more (~0.1-0.3 s), which a face
that only lists jobs should not pay for.
"""
from __future__ import annotations

from pathlib import Path


def log_files(folder: str | Path, executor_id: str, task: int = 0, run: int | None = None) -> tuple[Path, Path]:
    """(stdout, stderr) of one task of the job `executor_id` whose files are in `folder`; with `run`, the
    files of that earlier run of a job Slurm requeued (requeue.py moved them aside)."""
    from submitit.core.utils import JobPaths

    paths = JobPaths(folder, job_id=str(executor_id), task_id=task)
    if run is None:
        return paths.stdout, paths.stderr
    return run_file(paths.stdout, run), run_file(paths.stderr, run)


def run_file(path: Path, run: int) -> Path:
    """`1234_0_log.out` of run 0 -> `1234_0_log.run0.out`."""
    return path.with_name(f"{path.stem}.run{run}{path.suffix}")


def order_file(stdout: str | Path) -> Path:
    """Where the runner records the order in which a task's stdout and stderr were written (logorder.py),
    beside its stdout: `<id>_<task>_log.order` (`<id>_<task>_log.run0.order` of an earlier run's)."""
    return Path(stdout).with_suffix(".order")
