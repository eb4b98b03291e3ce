"""Local executor: submitit's LocalExecutor plus what it lacks.

submitit starts every job at once, defaults to a 2-minute timeout, and can only
watch or cancel from the process that submitted. Here the per-repo agent (a
detached process) starts attempts as slots free up, so the parallelism cap holds
after the launching process exits; the job reports through its manifest, and
liveness is a PID plus its start time, so any snaptui process can tell what still
runs and cancel it by killing the command's whole process group.
"""
from __future__ import annotations

import logging
import time

from .. import faults
from ..jobenv import GPU_BINDING
from ..localslots import gpu_binding, plan_starts
from ..manifest import MANIFEST_NAME, read_manifest
from ..models import Attempt, Sweep
from ..procs import identity, is_alive, terminate
from ..runner import CommandRunner
from ..states import JobState
from .base import Executor

log = logging.getLogger("snaptui.local")
# submitit's own timeout is only a backstop: the runner enforces the profile's timeout.
SUBMITIT_TIMEOUT_MARGIN_MIN = 10
LIVENESS_EVERY_S = 1.0
ADOPT_AFTER_S = 10.0  # a claimed job starts within a second; older claims without an id are settled


class LocalExecutor(Executor):
    name = "local"
    submits_from_agent = True

    def __init__(self, store, repo_root):
        super().__init__(store, repo_root)
        self._jobs: dict[int, object] = {}  # attempt id -> submitit LocalJob, kept to reap the controller
        self._sweeps: dict[int, Sweep] = {}
        self._alive_checked: dict[int, float] = {}

    def poll_interval(self) -> float:
        return 0.0  # every agent tick: a stat or two per running job

    def start_queued(self, attempts: list[Attempt]) -> None:
        """Start PENDING attempts while their sweep, the host and the GPUs have room (localslots)."""
        self._settle_interrupted_submissions(attempts)
        for start in plan_starts(attempts, self._sweep):
            self.submit(start.sweep, [start.attempt], gpus={start.attempt.id: start.gpus})

    def _sweep(self, sweep_id: int) -> Sweep:
        """A sweep's launch facts (config, code, spec) never change once active: read them once,
        not on every tick (store.sweep also counts the sweep's jobs)."""
        if sweep_id not in self._sweeps:
            self._sweeps[sweep_id] = self.store.sweep(sweep_id)
        return self._sweeps[sweep_id]

    def submit(self, sweep: Sweep, attempts: list[Attempt], gpus: dict[int, list[str] | None] | None = None) -> None:
        """Start these attempts now; `gpus` gives the devices each may use (by attempt id)."""
        import submitit

        timeout_min = float(sweep.config["executor"].get("timeout_min", 60))
        for attempt in attempts:
            # One submitit executor per job: an executor spaces its own submissions 0.2 s apart,
            # which is the only queue submitit has; ours is the agent's.
            executor = submitit.LocalExecutor(folder=self.submitit_root / "%j")
            executor.update_parameters(timeout_min=timeout_min + SUBMITIT_TIMEOUT_MARGIN_MIN)
            if not self.store.claim(attempt.id):
                continue
            job = self.store.job(sweep.id, attempt.job_index)
            spec = self.run_spec(sweep, job, attempt, timeout_s=timeout_min * 60)
            devices = (gpus or {}).get(attempt.id)
            # Without a GPU request a local job sees the GPUs the launching shell made visible.
            spec.bound_env = gpu_binding(devices) if devices else {k: spec.env[k] for k in GPU_BINDING if k in spec.env}
            try:
                submitted = executor.submit(CommandRunner(), spec)
            except Exception as exc:  # a failed start must show on the job, not kill the agent
                log.exception("submitting attempt %s failed", attempt.id)
                self.store.update_attempt(attempt.id, JobState.FAILED, ended_at=time.time(),
                                          reason=f"could not start: {exc}")
                continue
            pid = int(submitted.job_id)
            faults.point("agent:submitted")
            self._jobs[attempt.id] = submitted
            self.store.update_attempt(
                attempt.id, executor_id=str(pid), log_dir=str(submitted.paths.folder),
                submitted_at=time.time(), proc={"controller": identity(pid) or {"pid": pid}, "gpus": devices})
            fresh = self.store.attempt(attempt.id)
            if fresh.cancel_requested:  # cancelled while we were starting it
                self.cancel([fresh])

    def _settle_interrupted_submissions(self, attempts: list[Attempt]) -> None:
        """A claim without an executor id means a submitter died mid-submission. If the job started
        anyway, its manifest says so and it is adopted; if not, the claim is given back."""
        stale = [a for a in attempts if a.claimed and a.executor_id is None
                 and time.time() - (a.submitted_at or 0) > ADOPT_AFTER_S]
        if not stale:
            return
        manifests = {}
        for path in self.submitit_root.glob(f"*/{MANIFEST_NAME}"):
            found = read_manifest(path.parent) or {}
            manifests[(found.get("sweep_id"), found.get("job_index"), found.get("attempt"))] = found
        for attempt in stale:
            found = manifests.get((attempt.sweep_id, attempt.job_index, attempt.number))
            if found is None:
                log.warning("attempt %s was claimed but never started; queueing it again", attempt.id)
                self.store.unclaim(attempt.id)
                continue
            log.warning("adopting attempt %s, started as %s before its submitter died", attempt.id,
                        found["executor_id"])
            self.store.update_attempt(attempt.id, executor_id=found["executor_id"], log_dir=found["log_dir"],
                                      proc={"controller": None})

    def poll(self, attempts: list[Attempt]) -> None:
        """A job's end shows in its manifest (a stat per tick); a job killed without a word shows
        only as dead processes, looked for every LIVENESS_EVERY_S."""
        now = time.monotonic()
        for attempt in attempts:
            if attempt.executor_id is None:
                continue
            if self.manifest_changed(attempt) and self.apply_manifest(attempt):
                self._reap(attempt.id)
                continue
            if now - self._alive_checked.get(attempt.id, 0.0) < LIVENESS_EVERY_S:
                continue
            self._alive_checked[attempt.id] = now
            if any(is_alive(i) for i in self._idents(attempt)):
                continue
            self._reap(attempt.id)
            fresh = self.store.attempt(attempt.id)
            if not self.apply_manifest(fresh):
                self.vanished(fresh, "the job's processes ended without reporting an exit code (killed?)")

    def cancel(self, attempts: list[Attempt]) -> None:
        targets = []
        for attempt in attempts:
            for ident, group in self._idents_with_groups(attempt):
                targets.append((ident, group))
        terminate(targets)
        self.poll([self.store.attempt(a.id) for a in attempts])

    def _idents_with_groups(self, attempt: Attempt) -> list[tuple[dict | None, bool]]:
        manifest = read_manifest(attempt.log_dir) or {}
        return [(manifest.get("command"), True), (manifest.get("runner"), False),
                (attempt.proc.get("controller"), False)]

    def _idents(self, attempt: Attempt) -> list[dict | None]:
        return [ident for ident, _ in self._idents_with_groups(attempt)]

    def _reap(self, attempt_id: int) -> None:
        job = self._jobs.pop(attempt_id, None)
        process = getattr(job, "_process", None)
        if process is not None:
            process.poll()
        try:  # submitit's local controller creates the folder pattern itself, literally: `.submitit/%j`
            (self.submitit_root / "%j").rmdir()
        except OSError:
            pass
