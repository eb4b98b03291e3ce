"""The seam between the engine and a scheduler.

An executor turns PENDING attempts into running jobs (`submit`), keeps the store in
step with reality (`poll`) and stops jobs (`cancel`). The launching process calls
`submit` for executors that submit at once (Slurm); the agent calls it on every tick
for executors that queue (local). The agent calls `poll`.
"""
from __future__ import annotations

import os
import time
from abc import ABC, abstractmethod
from pathlib import Path

from ..manifest import MANIFEST_NAME, read_manifest
from ..models import Attempt, Job, Sweep
from ..runner import RunSpec
from ..states import JobState
from ..store import Store

SUBMITIT_DIRNAME = ".submitit"


class Executor(ABC):
    name: str = ""
    submits_from_agent = False  # True: the agent starts queued attempts as slots free up

    def __init__(self, store: Store, repo_root: Path):
        self.store = store
        self.repo_root = Path(repo_root)
        self._manifest_versions: dict[int, tuple[int, int]] = {}

    @property
    def submitit_root(self) -> Path:
        return self.repo_root / SUBMITIT_DIRNAME

    @abstractmethod
    def submit(self, sweep: Sweep, attempts: list[Attempt]) -> None:
        """Hand PENDING attempts to the scheduler, recording executor ids."""

    @abstractmethod
    def poll(self, attempts: list[Attempt]) -> None:
        """Bring the store's view of these active attempts up to date."""

    @abstractmethod
    def cancel(self, attempts: list[Attempt]) -> None:
        """Stop attempts already handed to the scheduler (the store flagged them first)."""

    def poll_interval(self) -> float:
        return 1.0

    def adopt_interrupted(self, sweep: Sweep, pending: list[Attempt]) -> tuple[list[str], list[Attempt]]:
        """A launch was interrupted: adopt what the scheduler already has of it.
        Returns (what was done, attempts still to submit)."""
        return [], pending

    def abort_interrupted(self, sweep: Sweep, submitted: list[Attempt]) -> list[str]:
        """Stop every job of an interrupted launch; says what was done."""
        if not submitted:
            return []
        self.cancel(submitted)
        return [f"cancelled {len(submitted)} submitted job(s)"]

    def quick_poll(self, attempts: list[Attempt]) -> None:
        """Cheap checks the agent makes on every tick, between scheduler polls (default: none)."""

    # -- shared helpers ----------------------------------------------------------
    def run_spec(self, sweep: Sweep, job: Job, attempt: Attempt, timeout_s: float | None) -> RunSpec:
        workdir = str(Path(sweep.workdir) / (sweep.spec.get("workdir") or "."))
        return RunSpec(
            argv=job.argv, cwd=workdir, env=self.store.sweep_env(sweep.id),
            result_pattern=sweep.config["results"]["pattern"], timeout_s=timeout_s, scheduler=self.name,
            user_env={**sweep.config["executor"].get("env", {}), **sweep.spec.get("env", {})},
            manifest={
                "sweep_id": sweep.id, "sweep_name": sweep.name, "job_index": job.index, "label": job.label,
                "attempt": attempt.number, "params": job.params,
                "overrides": {k: job.params[k] for k in _varying(sweep) if k in job.params},
                "snapshot": sweep.snapshot, "config": sweep.config, "repo": str(self.repo_root),
            },
        )

    def manifest_changed(self, attempt: Attempt) -> bool:
        """Whether the job rewrote its manifest since this executor last looked: one stat, so the
        agent's every-tick checks never parse an unchanged file."""
        try:
            stat = os.stat(os.path.join(attempt.log_dir or "", MANIFEST_NAME))
        except OSError:
            return False
        version = (stat.st_ino, stat.st_mtime_ns)  # every write is a rename: a new inode, even where
        if self._manifest_versions.get(attempt.id) == version:  # mtimes are coarse (NFS)
            return False
        self._manifest_versions[attempt.id] = version
        return True

    def apply_manifest(self, attempt: Attempt) -> bool:
        """Copy what the job reported about itself into the store. True once the attempt is final."""
        manifest = read_manifest(attempt.log_dir)
        if manifest is None or (manifest.get("sweep_id"), manifest.get("job_index"), manifest.get("attempt")) != (
                attempt.sweep_id, attempt.job_index, attempt.number):
            return False  # not written yet, or left by another job in a reused folder
        if attempt.state == JobState.PENDING and manifest.get("state") == "RUNNING":
            self.store.update_attempt(attempt.id, JobState.RUNNING, started_at=manifest.get("started_at"),
                                      node=manifest.get("host"), reason=None)
        if manifest.get("ended_at") is None:
            return False
        state = JobState(manifest["state"])
        if attempt.cancel_requested and state != JobState.COMPLETED:
            state = JobState.CANCELLED
        reason = "cancelled" if state == JobState.CANCELLED else manifest.get("reason")
        if manifest.get("result_problem"):
            reason = f"{reason}; {manifest['result_problem']}" if reason else manifest["result_problem"]
        self.store.update_attempt(
            attempt.id, state, exit_code=manifest.get("exit_code"), ended_at=manifest.get("ended_at"),
            started_at=manifest.get("started_at"), node=manifest.get("host"),
            results=manifest.get("results") or {}, reason=reason)
        return True

    def vanished(self, attempt: Attempt, what: str) -> None:
        """The job is gone and never reported an end: cancelled if asked, else failed, with why."""
        if attempt.cancel_requested:
            self.store.update_attempt(attempt.id, JobState.CANCELLED, ended_at=time.time(), reason="cancelled")
        else:
            self.store.update_attempt(attempt.id, JobState.FAILED, ended_at=time.time(), reason=what)


def _varying(sweep: Sweep) -> list[str]:
    keys = list(sweep.spec.get("grid", {}))
    for group in sweep.spec.get("zip", []):
        keys += list(group)
    return keys
