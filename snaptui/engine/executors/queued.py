"""Executors whose queue is the agent: local jobs and steps of an allocation.

Both start PENDING attempts from the agent as room frees (`dispatch_queued`), learn of a
job's end from its manifest (a stat per tick), and have a process on this machine as the
job's handle: when it is gone and the manifest never said the job ended, the job vanished.
The poll is written once here; each executor says only which processes keep a job alive
(`alive`), what to tidy once it is over (`reap`) and how to word a vanished job (`vanished_reason`).
"""
from __future__ import annotations

import time
from abc import abstractmethod

from ..models import Attempt, Sweep
from .base import Executor

LIVENESS_EVERY_S = 1.0


class QueueingExecutor(Executor):
    submits_from_agent = True
    vanished_reason = "the job's processes ended without reporting an exit code (killed?)"

    def __init__(self, store, repo_root):
        super().__init__(store, repo_root)
        self._sweeps: dict[int, Sweep] = {}
        self._alive_checked: dict[int, float] = {}

    def poll_interval(self) -> float:
        return 0.0  # every agent tick: a stat or two per running job

    def dispatch_queued(self) -> None:
        self.start_queued(self.store.active_attempts(executor=self.name))

    @abstractmethod
    def start_queued(self, attempts: list[Attempt]) -> None:
        """Start as many of the PENDING ones among these active attempts as there is room for."""

    def _sweep(self, sweep_id: int) -> Sweep:
        """A sweep's launch facts (config, code, spec) never change once active: read them once,
        not on every tick (store.sweep also counts the sweep's jobs)."""
        if sweep_id not in self._sweeps:
            self._sweeps[sweep_id] = self.store.sweep(sweep_id)
        return self._sweeps[sweep_id]

    @abstractmethod
    def alive(self, attempt: Attempt) -> bool:
        """Whether a process that keeps this job going, or will report its end, still lives."""

    def reap(self, attempt_id: int) -> None:
        """Tidy up after a job that is over (collect its process); default: nothing."""

    def poll(self, attempts: list[Attempt]) -> None:
        """A job's end shows in its manifest (a stat per tick); a job killed without a word shows
        only as its processes gone, looked for every LIVENESS_EVERY_S."""
        now = time.monotonic()
        for attempt in attempts:
            if attempt.executor_id is None:
                continue
            if self.states.manifest_changed(attempt) and self.states.apply_manifest(attempt):
                self.reap(attempt.id)
                continue
            if now - self._alive_checked.get(attempt.id, 0.0) < LIVENESS_EVERY_S:
                continue
            self._alive_checked[attempt.id] = now
            if self.alive(attempt):
                continue
            self.reap(attempt.id)
            self.states.gone(attempt.id, self.vanished_reason)
