"""Local executor: jobs on this machine, started by the per-repo agent as slots free up.

submitit's LocalExecutor starts every job at once, costs a controller and a task
interpreter per job, and can only watch or cancel from the process that submitted.
Here the agent (a detached process) starts attempts as slots free up, so the
parallelism cap holds after the launching process exits, and hands them to long-lived
workers (workers.py), one interpreter per slot, not per job. A job reports
through its manifest, and liveness is a PID plus its start time, so any snaptui
process can tell what still runs and cancel it by killing the command's process group.
"""
from __future__ import annotations

import dataclasses
import logging
import os
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping

from snaptui.engine.config.settings import stored_config
from snaptui.engine.jobside.jobenv import GPU_BINDING
from .slots import gpu_binding, plan_starts, resolve_local_gpus
from snaptui.engine.jobside.manifest import MANIFEST_NAME, read_manifest
from snaptui.engine.config.settings import EffectiveConfig
from snaptui.engine.jobside.runspec import RunSpec
from snaptui.engine.models import Attempt, Job, Sweep
from snaptui.engine.procs import is_alive, terminate
from snaptui.engine.store.store import Store, state_dir
from .orphans import OrphanedCommands
from snaptui.engine.executors.queued import QueueingExecutor

if TYPE_CHECKING:
    from .workers import WorkerPool

log = logging.getLogger("snaptui.local")
RECORDED_END_WAIT_S = 5.0  # a stopped job's worker records its end within this (it is not killed)
ADOPT_AFTER_S = 10.0  # a claimed job starts within a second; older claims without an id are settled


class LocalExecutor(QueueingExecutor):
    name = "local"
    wakes_agent = True  # its workers say when a job ends

    def __init__(self, store: Store, repo_root: Path) -> None:
        super().__init__(store, repo_root)
        self._workers: WorkerPool | None = None  # made in the agent, the one process that starts jobs
        # the store asked when an orphan is found: a dry run's executor has none (--dry-run --script)
        self.orphans = OrphanedCommands(self.submitit_root, lambda sweep_id: self.store.sweep_env(sweep_id))

    def settle_config(self, config: EffectiveConfig, environ: Mapping[str, str], project_path: Path | None
                      ) -> EffectiveConfig:
        """GPUs are counted once, here: the agent hands them out."""
        return dataclasses.replace(config, local=resolve_local_gpus(
            config.local, getattr(config.profile, "gpus_per_node", 0), environ, project_path,
            f"profiles.{config.profile_name}.gpus_per_node"))

    def start_queued(self, started: list[Attempt], queued_sweeps: list[int]) -> None:
        """Start queued attempts while their sweep, the host and the GPUs have room (slots.py)."""
        self._settle_interrupted_submissions(started)
        for start in plan_starts(started, queued_sweeps, self._sweep, self.store.queued_attempts):
            self.submit(start.sweep, [start.attempt], gpus={start.attempt.id: start.gpus})

    def start(self, sweep: Sweep, job: Job, attempt: Attempt, spec: RunSpec, gpus: list[str] | None
              ) -> tuple[str, Path, dict[str, Any]]:
        """Hand the attempt to a long-lived worker of the agent's pool (workers.py)."""
        # Without a GPU request a local job sees the GPUs the launching shell made visible.
        spec.bound_env = gpu_binding(gpus) if gpus else {k: spec.env[k] for k in GPU_BINDING if k in spec.env}
        spec.scheduler = "local"
        spec.preload = list(stored_config(sweep.config).local.preload) or None
        executor_id = f"{os.getpid()}-{attempt.id}"
        folder = self.submitit_root / executor_id
        worker = self.workers.dispatch(spec, folder, executor_id)
        return executor_id, folder, {"worker": worker, "gpus": gpus}

    @property
    def workers(self) -> WorkerPool:
        if self._workers is None:
            from .workers import WorkerPool   # the agent's alone: a launch never imports the job side's runner

            self._workers = WorkerPool(state_dir(self.repo_root) / "agent.log")
        return self._workers

    def wait_for_event(self, timeout: float, also: tuple[int, ...] = ()) -> bool:
        """The agent's sleep: returns early the moment a worker finishes a job (or `also` is readable)."""
        if self._workers is None:
            return super().wait_for_event(timeout, also)
        woke = self._workers.wait(timeout, also)
        self._collect()
        return woke

    def _collect(self) -> None:
        """What the workers said, and the jobs a dead worker left running (orphans.py)."""
        workers = self.workers
        workers.collect()
        while workers.lost:
            self.orphans.adopt(workers.lost.pop())
        if self.orphans.watched:
            self.orphans.collect({w.pid for w in workers.workers})

    def _settle_interrupted_submissions(self, attempts: list[Attempt]) -> None:
        """A claim without an executor id means a submitter died mid-submission. If the job started
        anyway, its manifest says so and it is adopted; if not, the claim is given back."""
        stale = [a for a in attempts if a.claimed and a.executor_id is None
                 and time.time() - (a.submitted_at or 0) > ADOPT_AFTER_S]
        if not stale:
            return
        manifests: dict[tuple[Any, Any, Any], dict[str, Any]] = {}
        for path in self.submitit_root.glob(f"*/{MANIFEST_NAME}"):
            found = read_manifest(path.parent) or {}
            manifests[(found.get("sweep_id"), found.get("job_index"), found.get("attempt"))] = found
        for attempt in stale:
            recorded = manifests.get((attempt.sweep_id, attempt.job_index, attempt.number))
            if recorded is None:
                log.warning("attempt %s was claimed but never started; queueing it again", attempt.id)
                self.store.unclaim(attempt.id)
                continue
            log.warning("adopting attempt %s, started as %s before its submitter died", attempt.id,
                        recorded["executor_id"])
            self.store.update_attempt(attempt.id, executor_id=recorded["executor_id"], log_dir=recorded["log_dir"],
                                      proc={"controller": None})

    def alive(self, attempt: Attempt) -> bool:
        if self._workers is not None:
            # In the agent: a job whose worker died is adopted, and an adopted command that ended has its
            # end written, before the job is judged (orphans.py).
            self._collect()
            if attempt.executor_id in self._workers.last_words:
                return False  # its worker said the job is over
            if self.orphans.watching(attempt.executor_id):
                return True  # its command runs on, watched by the agent
        return any(is_alive(i) for i in self._idents(attempt))

    def last_word(self, attempt: Attempt) -> dict[str, Any] | None:
        return self._workers.last_words.pop(attempt.executor_id or "", None) if self._workers is not None else None

    def stop(self, attempts: list[Attempt]) -> bool:
        """Stop the command's process group; the worker running it lives on, records the job's end
        and takes the next. A job its worker has not started yet is skipped by its cancel marker."""
        from snaptui.engine.jobside.packed import request_cancel   # the job side's: not imported by a launch

        targets = []
        for attempt in attempts:
            if attempt.proc.get("worker") and attempt.log_dir:
                request_cancel(attempt.log_dir)
            for ident, group in self._idents_with_groups(attempt, for_kill=True):
                targets.append((ident, group))
        terminate(targets)
        self._await_recorded_ends(attempts)
        return True

    @staticmethod
    def _await_recorded_ends(attempts: list[Attempt]) -> None:
        """The command is dead, but its worker writes the job's end into the manifest a moment later
        (longer on a loaded machine): wait for that, briefly, so `snaptui cancel` returns with the job
        shown CANCELLED rather than still RUNNING. A worker that died too is left to the liveness check."""
        # a live worker writes the end, also when the job's folder (and manifest) vanished: it makes it again
        started = [a for a in attempts if a.proc.get("worker") and is_alive(a.proc["worker"])]
        deadline = time.monotonic() + RECORDED_END_WAIT_S
        while started and time.monotonic() < deadline:
            started = [a for a in started if not (read_manifest(a.log_dir) or {}).get("ended_at")]
            if started:
                time.sleep(0.05)

    def _idents_with_groups(self, attempt: Attempt, for_kill: bool = False) -> list[tuple[dict[str, Any] | None, bool]]:
        manifest = read_manifest(attempt.log_dir) or {}
        idents = [(manifest.get("command"), True), (attempt.proc.get("controller"), False)]
        if attempt.proc.get("worker"):
            # The worker writes the job's end whatever happens to the command, so while it lives the
            # job is not lost; it is never a target (it outlives its jobs and takes the next).
            if not for_kill:
                idents.append((attempt.proc["worker"], False))
        else:  # an attempt started by an older snaptui through submitit's controller
            idents.append((manifest.get("runner"), False))
        return idents

    def _idents(self, attempt: Attempt) -> list[dict[str, Any] | None]:
        return [ident for ident, _ in self._idents_with_groups(attempt)]

    def reap(self, attempt_id: int) -> None:
        if self._workers is not None:
            self._collect()
