"""How the tasks of one job report into its single manifest.

A job with one task writes the manifest itself, as before. A job with several tasks
(tasks_per_node > 1 or nodes > 1, each task running the command as srun starts it) would
have every task rewrite the same file: here each task writes only its own
`snaptui_task_<rank>.json`, then, holding a POSIX lock on the job folder's lock file (works
across nodes on NFS through lockd), folds all task files into the manifest. The last task to
end therefore writes the job's final state: COMPLETED only when every task exited 0.
A task killed without a word never ends its file; Slurm's accounting then decides.
"""
from __future__ import annotations

import fcntl
import json
import os
from pathlib import Path
from typing import Any

from snaptui.engine.config.settings import stored_config
from .manifest import MANIFEST_NAME, write_json_atomic

TASK_FILE = "snaptui_task_{rank}.json"
LOCK_NAME = ".snaptui_manifest.lock"
# Per-task facts; everything else in a task's report is the job's.
TASK_KEYS = ("rank", "host", "state", "exit_code", "reason", "started_at", "ended_at", "runner", "command",
             "signals", "error_line", "usage")


def read_tasks(folder: str | Path) -> dict[int, dict[str, Any]]:
    tasks = {}
    for path in Path(folder).glob("snaptui_task_*.json"):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            tasks[int(data["rank"])] = data
        except (OSError, ValueError, KeyError, TypeError):
            continue
    return tasks


def job_outcome(tasks: dict[int, dict[str, Any]], ntasks: int) -> dict[str, Any]:
    """The job's state, exit code and end from its tasks': final only once every task ended."""
    ended = [t for t in tasks.values() if t.get("ended_at") is not None]
    if len(ended) < ntasks:
        return {"state": "RUNNING", "ended_at": None}
    failed = sorted((t for t in ended if t.get("state") != "COMPLETED"), key=lambda t: t["rank"])
    usage = _job_usage([t["usage"] for t in ended if t.get("usage")])
    if not failed:
        return {"state": "COMPLETED", "exit_code": 0, "reason": None, "ended_at": max(t["ended_at"] for t in ended),
                **usage}
    first = failed[0]
    state = "TIMEOUT" if any(t.get("state") == "TIMEOUT" for t in failed) else "FAILED"
    ranks = ", ".join(str(t["rank"]) for t in failed)
    return {"state": state, "exit_code": first.get("exit_code"), "ended_at": max(t["ended_at"] for t in ended),
            "reason": f"task {ranks} of {ntasks}: {first.get('reason')}", "error_line": first.get("error_line"),
            **usage}


def _job_usage(tasks: list[dict[str, Any]]) -> dict[str, Any]:
    """The job's usage from its tasks': CPU time and memory summed (on one node or several), the longest."""
    if not tasks:
        return {}
    usage = dict(tasks[0])
    usage.update(elapsed_s=max(t.get("elapsed_s") or 0 for t in tasks),
                 cpu_s=sum(t.get("cpu_s") or 0 for t in tasks),
                 peak_rss_mb=sum(t.get("peak_rss_mb") or 0 for t in tasks))
    return {"usage": usage}


class Reporter:
    """Writes what one task knows into the job's manifest, without clobbering its peers."""

    def __init__(self, folder: Path, manifest: dict[str, Any], rank: int, ntasks: int) -> None:
        self.folder = Path(folder)
        self.manifest = manifest  # the job's facts as this task knows them; updated in place
        self.rank = rank
        self.ntasks = ntasks

    @property
    def path(self) -> Path:
        return self.folder / MANIFEST_NAME

    def update(self, **fields: Any) -> None:
        self.manifest.update(fields)
        if self.ntasks <= 1:
            self._write(self.path, self.manifest)
            return
        task = {k: self.manifest[k] for k in TASK_KEYS if k in self.manifest}
        task["rank"] = self.rank
        self._write(self.folder / TASK_FILE.format(rank=self.rank), task)
        with _locked(self.folder / LOCK_NAME):
            self._merge()

    def _write(self, path: Path, data: dict[str, Any]) -> None:
        """A job folder that vanished (rm -rf .submitit, a job removing its own $SNAPTUI_JOB_DIR) is made
        again: the engine learns of the job's end from this manifest, whole, ids and all."""
        try:
            write_json_atomic(path, data)
        except FileNotFoundError:
            self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            write_json_atomic(path, data)

    def _merge(self) -> None:
        tasks = read_tasks(self.folder)
        try:
            merged = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            merged = {}
        job_keys = {k: v for k, v in self.manifest.items() if k not in TASK_KEYS}
        if self.rank == 0 or not merged:
            merged.update(job_keys)  # task 0's view (its log's results) is the job's
        else:
            for key, value in job_keys.items():
                merged.setdefault(key, value)
        first = tasks.get(0) or tasks[min(tasks)]
        starts = [t["started_at"] for t in tasks.values() if t.get("started_at") is not None]
        merged.update(ntasks=self.ntasks, tasks={str(r): tasks[r] for r in sorted(tasks)},
                      host=first.get("host"), runner=first.get("runner"), command=first.get("command"),
                      started_at=min(starts) if starts else None, **job_outcome(tasks, self.ntasks))
        write_json_atomic(self.path, merged)


class _locked:
    def __init__(self, path: Path) -> None:
        self.path = path

    def __enter__(self) -> _locked:
        self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        fcntl.lockf(self.fd, fcntl.LOCK_EX)
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            fcntl.lockf(self.fd, fcntl.LOCK_UN)
        finally:
            os.close(self.fd)


def tasks_of(config: dict[str, Any]) -> int:
    """Tasks per job of a sweep's effective config: tasks_per_node x nodes, as srun starts them."""
    return stored_config(config).profile.tasks_per_job()
