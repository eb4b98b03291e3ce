"""Where a job's stdout and stderr live: the names submitit gives them (`<id>_<task>_log.out/.err`).

Every writer (submitit itself, the local workers, packed tasks, allocation steps) and every reader
(log views, tails, metrics) takes the names from submitit's own JobPaths, so they cannot drift
apart. submitit is imported on first use: it pulls in asyncio and more (~0.1-0.3 s), which a face
that only lists jobs should not pay for.
"""
from __future__ import annotations

from pathlib import Path


def log_files(folder: str | Path, executor_id: str, task: int = 0) -> tuple[Path, Path]:
    """(stdout, stderr) of one task of the job `executor_id` whose files are in `folder`."""
    from submitit.core.utils import JobPaths

    paths = JobPaths(folder, job_id=str(executor_id), task_id=task)
    return paths.stdout, paths.stderr


def order_file(stdout: str | Path) -> Path:
    """Where the runner records the order in which a task's stdout and stderr were written (logorder.py),
    beside its stdout: `<id>_<task>_log.order`."""
    return Path(stdout).with_suffix(".order")
