"""Executors whose queue is the agent: local jobs and steps of an allocation.

Both start PENDING attempts from the agent as room frees (`dispatch_queued`), learn of a
job's end from its manifest (a stat per tick), and have a process on this machine as the
job's handle: when it is gone and the manifest never said the job ended, the job vanished.
The submit and the poll are written once here; each executor says only how it starts a job
(`start`), which processes keep a job alive (`alive`), what to tidy once it is over (`reap`)
and how to word a failed start or a vanished job.
"""
from __future__ import annotations

import logging
import time
from abc import abstractmethod
from pathlib import Path
from typing import Any

from .. import faults
from ..errors import SnaptuiError
from ..models import Attempt, Job, Sweep
from snaptui.engine.jobside.runspec import RunSpec
from ..states import Cause, JobState
from .base import Executor
from snaptui.engine.store.store import Store

log = logging.getLogger("snaptui.queued")
LIVENESS_EVERY_S = 1.0


class QueueingExecutor(Executor):
    submits_from_agent = True
    vanished_reason = "the job's processes ended without reporting an exit code (killed?)"
    start_failed = "could not start"  # how a failed start reads on the job, before the error
    start_errors: tuple[type[Exception], ...] = (Exception,)

    def __init__(self, store: Store, repo_root: Path) -> None:
        super().__init__(store, repo_root)
        self._sweeps: dict[int, Sweep] = {}
        self._alive_checked: dict[int, float] = {}
        self._code_checked: set[int] = set()  # sweeps whose worktree was checked since their last job ended

    def poll_interval(self) -> float:
        return 0.0  # every agent tick: a stat or two per running job

    def dispatch_queued(self) -> None:
        queued = [sweep_id for sweep_id, _ in self.store.queued_sweeps(executor=self.name)]
        if queued:
            self.start_queued(self.store.started_attempts(executor=self.name), queued)

    @abstractmethod
    def start_queued(self, started: list[Attempt], queued_sweeps: list[int]) -> None:
        """Start as many queued attempts of these sweeps as there is room for beside the `started` ones
        (read a few at a time: store.queued_attempts)."""

    def _sweep(self, sweep_id: int) -> Sweep:
        """A sweep's launch facts (config, code, spec) never change once active: read them once,
        not on every tick (store.sweep also counts the sweep's jobs)."""
        if sweep_id not in self._sweeps:
            sweep = self.store.sweep(sweep_id)
            if sweep is None:   # removed with its queued jobs since they were listed; not cached
                raise SnaptuiError(f"no sweep {sweep_id}: it was removed")
            self._sweeps[sweep_id] = sweep
        return self._sweeps[sweep_id]

    def submit(self, sweep: Sweep, attempts: list[Attempt], gpus: dict[int, list[str] | None] | None = None) -> None:
        """Start these attempts now, each claimed first so that no two processes start one; `gpus`
        gives the devices each may use (by attempt id)."""
        if attempts:
            self._check_code(sweep)
        for attempt in attempts:
            if not self.store.claim(attempt.id):
                continue
            job = self.store.job(sweep.id, attempt.job_index)
            if job is None:   # its sweep was removed since the attempt was read
                continue
            spec = self.run_spec(sweep, job, attempt, timeout_s=self.config_of(sweep, attempt).profile.timeout_min * 60)
            try:
                executor_id, folder, proc = self.start(sweep, job, attempt, spec, (gpus or {}).get(attempt.id))
            except self.start_errors as exc:  # a failed start must show on the job, not kill the agent
                log.exception("starting attempt %s (%s) failed", attempt.id, self.name)
                self.store.update_attempt(attempt.id, JobState.FAILED, ended_at=time.time(),
                                          reason=f"{self.start_failed}: {exc}", cause=Cause.NOT_STARTED.value,
                                          detail=f"{self.start_failed}: {exc}")
                continue
            faults.point("agent:submitted")
            self.store.update_attempt(attempt.id, executor_id=executor_id, log_dir=str(folder),
                                      submitted_at=time.time(), proc=proc)
            fresh = self.store.attempt(attempt.id)
            if fresh is not None and fresh.cancel_requested:  # cancelled while it was being started
                self.cancel([fresh])

    def _check_code(self, sweep: Sweep) -> None:
        """The sweep's worktree as its snapshot says, before more of its jobs start (snapshot/drift.py);
        looked at again only once one of its jobs has ended (only a job changes it)."""
        if not sweep.snapshot or sweep.id in self._code_checked:
            return
        self._code_checked.add(sweep.id)
        from snaptui.engine.snapshot.drift import Drift, check
        from snaptui.engine.snapshot.gclock import creating_snapshot
        from snaptui.engine.snapshot.housekeeping import restore_worktree

        worktree = Path(sweep.snapshot["worktree"])
        try:
            if worktree.is_dir():
                drift = check(worktree)
            else:
                with creating_snapshot(self.repo_root):
                    restore_worktree(self.repo_root, sweep)
                drift = Drift(recreated=True)
        except Exception as exc:  # noqa: BLE001 - a check that cannot run must not stop the queue
            log.warning("checking the worktree of sweep %s failed: %s", sweep.id, exc)
            return
        if drift:
            log.warning("sweep %s: %s", sweep.id, drift.describe())
            self.store.history.note(sweep.id, drift.describe())

    def _job_ended(self, attempt: Attempt) -> None:
        self._code_checked.discard(attempt.sweep_id)

    @abstractmethod
    def start(self, sweep: Sweep, job: Job, attempt: Attempt, spec: RunSpec, gpus: list[str] | None
              ) -> tuple[str, Path, dict[str, Any]]:
        """Start one claimed attempt; returns its executor id, its folder and the processes that are
        its handle (`proc`, what `alive` reads)."""

    @abstractmethod
    def alive(self, attempt: Attempt) -> bool:
        """Whether a process that keeps this job going, or will report its end, still lives."""

    def reap(self, attempt_id: int) -> None:
        """Tidy up after a job that is over (collect its process); default: nothing."""

    def last_word(self, attempt: Attempt) -> dict[str, Any] | None:
        """What the process that ran the job said of its end, when it said it elsewhere than in the
        manifest (a local worker's `done` line); default: nothing."""
        return None

    def poll(self, attempts: list[Attempt]) -> None:
        """A job's end shows in its manifest (a stat per tick); a job killed without a word shows
        only as its processes gone, looked for every LIVENESS_EVERY_S."""
        now = time.monotonic()
        for attempt in attempts:
            if attempt.executor_id is None:
                continue
            if self.states.manifest_changed(attempt) and self.states.apply_manifest(attempt):
                self.reap(attempt.id)
                self._job_ended(attempt)
                continue
            if now - self._alive_checked.get(attempt.id, 0.0) < LIVENESS_EVERY_S:
                continue
            self._alive_checked[attempt.id] = now
            if self.alive(attempt):
                continue
            self.reap(attempt.id)
            self.states.gone(attempt.id, self.vanished_reason, self.last_word(attempt))
            self._job_ended(attempt)
