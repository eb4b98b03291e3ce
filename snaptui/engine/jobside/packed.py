"""Packing: several sweep jobs run one after another inside one array task.

Clusters ask users with thousands of short jobs to pack them: fewer tasks to schedule,
one interpreter start per task instead of per job. Each packed job keeps its own folder
(`<task folder>/job<index>.<attempt>/`) with its own stdout/stderr log, manifest and
result file, so states, logs, cancel and resubmit work per job. Cancelling one packed
job drops a marker file in its folder: the task skips it, or stops it if running, and
goes on with the next.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

from .runner import CANCEL_MARKER, run_attempt_to_logs
from .runspec import RunSpec


def packed_folder(task_folder: str | Path, job_index: int, attempt: int) -> Path:
    return Path(task_folder) / f"job{job_index}.{attempt}"


def request_cancel(folder: str | Path) -> None:
    path = Path(folder)
    path.mkdir(mode=0o700, parents=True, exist_ok=True)  # made again if it vanished: private, as the engine makes it
    (path / CANCEL_MARKER).touch()


class PackedRunner:
    """The callable submitit pickles for a packed task: runs its jobs in order, each to its end."""

    def __call__(self, specs: list[RunSpec]) -> dict[str, Any]:
        import submitit

        os.umask(0o077)
        job_env = submitit.JobEnvironment()
        task_folder = Path(job_env.paths.folder)
        executor_id = str(job_env.job_id)
        outcomes = []
        for spec in specs:
            folder = packed_folder(task_folder, spec.manifest["job_index"], spec.manifest["attempt"])
            folder.mkdir(parents=True, exist_ok=True)
            state = run_attempt_to_logs(spec, folder, executor_id)[0]
            print(f"snaptui: packed job {spec.manifest['job_index']}: {state.lower()}", flush=True)
            outcomes.append(state)
        if any(state not in ("COMPLETED", "CANCELLED") for state in outcomes):
            print(f"snaptui: {len(outcomes) - outcomes.count('COMPLETED')} of {len(outcomes)} packed jobs did not"
                  f" complete", file=sys.stderr, flush=True)
            raise SystemExit(1)  # the task shows as FAILED in sacct; each job's own state is in its manifest
        return {"states": outcomes}
