"""The dummy executor: each job runs when it is submitted, through snaptui's job runner, to its end."""
from __future__ import annotations

import dataclasses
import time

from snaptui.engine.config.settings import stored_config
from snaptui.engine.executors.base import Executor
from snaptui.engine.jobside.runner import run_attempt_to_logs


class DummyExecutor(Executor):
    name = "dummy"

    def submit(self, sweep, attempts) -> None:
        greeting = stored_config(sweep.config).profile.greeting
        for attempt in attempts:
            if not self.store.claim(attempt.id):
                continue
            job = self.store.job(sweep.id, attempt.job_index)
            spec = self.run_spec(sweep, job, attempt, timeout_s=None)
            spec = dataclasses.replace(spec, user_env={**(spec.user_env or {}), "DUMMY_GREETING": greeting})
            executor_id = f"dummy-{attempt.id}"
            folder = self.submitit_root / executor_id
            folder.mkdir(parents=True, exist_ok=True)
            self.store.update_attempt(attempt.id, executor_id=executor_id, log_dir=str(folder),
                                      submitted_at=time.time())
            run_attempt_to_logs(spec, folder, executor_id)
            self.states.apply_manifest(self.store.attempt(attempt.id))

    def poll(self, attempts) -> None:
        for attempt in attempts:   # every job ran to its end in submit: one left is one that vanished
            self.states.gone(attempt.id, "the dummy executor lost it")

    def stop(self, attempts) -> bool:
        return False   # every job ran to its end when it was submitted: nothing is left to stop
