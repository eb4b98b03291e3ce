"""Jobs as steps of an existing Slurm allocation (a profile with `allocation = <id>|"current"`).

The agent starts one `srun --jobid=ID --exact -n1 ...` per job, as many as the sweep's
max_parallel_jobs (default: what the allocation holds); srun itself waits while the allocation
is full. The srun process is the job's handle on this machine (liveness, like the local
executor's controller); the step reports through its manifest; cancel is `scancel ID.STEP`
and the srun's process group. Resubmits queue and start the same way.
"""
from __future__ import annotations

import os
import pickle
import subprocess
import sys
from pathlib import Path
from typing import Any, Mapping

from . import allocation
from .executor import slurm_profile
from .settings import SlurmProfile
from snaptui.engine.config.settings import EffectiveConfig, replace_profile
from snaptui.engine.jobside.runspec import RunSpec
from snaptui.engine.jobside.jobenv import without_scheduler_vars
from snaptui.engine.jobside.joblogs import log_files
from snaptui.engine.jobside.manifest import read_manifest
from snaptui.engine.models import Attempt, Job, Sweep
from snaptui.engine.procs import identity, is_alive, terminate
from snaptui.engine.executors.queued import QueueingExecutor
from snaptui.engine.store.store import Store

SPEC_NAME = "snaptui_step.pkl"


def srun_command(profile: SlurmProfile, spec_path: str, out: str, err: str, job_name: str) -> list[str]:
    cpus = profile.cpus_per_task or 1
    cmd = ["srun", f"--jobid={profile.allocation}", "--exact", "--ntasks=1", "--nodes=1",
           f"--cpus-per-task={cpus}", f"--job-name={job_name}", f"--output={out}", f"--error={err}",
           "--open-mode=append"]
    # A step takes all of the allocation's memory unless told otherwise, and the next step waits.
    if profile.mem_gb:
        cmd.append(f"--mem={int(profile.mem_gb * 1024)}M")
    elif profile.allocation_mem_mb:
        per_cpu = profile.allocation_mem_mb // max(1, profile.allocation_cpus or 1)
        cmd.append(f"--mem={per_cpu * cpus}M")
    if profile.gpus_per_node:
        cmd.append(f"--gpus={profile.gpus_per_node}")
    cmd += list(profile.srun_args)
    return cmd + [sys.executable, "-u", "-m", "snaptui.engine.jobside.steprun", spec_path]


class StepExecutor(QueueingExecutor):
    name = "allocation"
    scheduler_commands = ("srun", "scancel")
    start_failed = "could not start srun"
    start_errors = (OSError,)
    vanished_reason = "srun ended without the step reporting an exit code (allocation gone?)"

    def __init__(self, store: Store, repo_root: Path) -> None:
        super().__init__(store, repo_root)
        self._sruns: dict[int, subprocess.Popen[Any]] = {}  # attempt id -> srun, kept to reap it

    def settle_config(self, config: EffectiveConfig, environ: Mapping[str, str], project_path: Path | None
                      ) -> EffectiveConfig:
        """A running allocation, or nothing is launched."""
        assert isinstance(config.profile, SlurmProfile)   # an allocation is a Slurm profile's
        found = allocation.resolve(config.profile.allocation, environ, project_path,
                                   f"profiles.{config.profile_name}.allocation")
        return replace_profile(config, allocation=found.job_id, allocation_cpus=found.cpus,
                               allocation_mem_mb=found.mem_mb)

    def start_queued(self, started: list[Attempt], queued_sweeps: list[int]) -> None:
        for sweep_id in sorted(queued_sweeps):
            # (a claim never followed by an id is a submitter that died between the two: srun
            # starts within that same call, so such claims are rare; they count as busy)
            sweep = self._sweep(sweep_id)
            free = slurm_profile(sweep).parallelism() - sum(1 for a in started if a.sweep_id == sweep_id)
            if free > 0:
                self.submit(sweep, self.store.queued_attempts(sweep_id, free))

    def start(self, sweep: Sweep, job: Job, attempt: Attempt, spec: RunSpec, gpus: list[str] | None
              ) -> tuple[str, Path, dict[str, Any]]:
        """One `srun` in the allocation, its output in the job's folder; srun is the job's handle here."""
        profile = slurm_profile(sweep)
        executor_id = f"{profile.allocation}-s{attempt.id}"
        folder = self.submitit_root / executor_id
        folder.mkdir(parents=True, exist_ok=True)
        spec_path = folder / SPEC_NAME
        with open(spec_path, "wb") as handle:
            pickle.dump((spec, executor_id), handle)
        out, err = log_files(folder, executor_id)
        cmd = srun_command(profile, str(spec_path), str(out), str(err), f"snaptui-{sweep.name}-{job.index}")
        with open(folder / "srun.log", "ab") as srun_log:
            # srun must not take this process's own allocation (if any) for the step's
            process = subprocess.Popen(cmd, env=without_scheduler_vars(os.environ), start_new_session=True,
                                       stdin=subprocess.DEVNULL, stdout=srun_log, stderr=subprocess.STDOUT)
        self._sruns[attempt.id] = process
        return executor_id, folder, {"controller": identity(process.pid) or {"pid": process.pid}}

    def alive(self, attempt: Attempt) -> bool:
        """The step reports through its manifest; a step that never does shows as its srun gone."""
        return is_alive(attempt.proc.get("controller"))

    def stop(self, attempts: list[Attempt]) -> bool:
        steps = []
        for attempt in attempts:
            manifest = read_manifest(attempt.log_dir) or {}
            if manifest.get("step") is not None:
                steps.append(f"{manifest['allocation']}.{manifest['step']}")
        if steps:
            subprocess.run(["scancel", *steps], capture_output=True, text=True, timeout=60)
        # The step's own processes may be on another node: srun, here, is what is stopped.
        terminate([(a.proc.get("controller"), True) for a in attempts])
        return True

    def poll(self, attempts: list[Attempt]) -> None:
        super().poll(attempts)
        for attempt in attempts:   # Slurm's own id of the step (ID.STEP), once it says: what tables show
            if attempt.executor_id and not (attempt.proc or {}).get("slurm_id"):
                manifest = read_manifest(attempt.log_dir) or {}
                if manifest.get("allocation") and manifest.get("step") is not None:
                    self.store.update_attempt(attempt.id, announce=True, proc={
                        **attempt.proc, "slurm_id": f"{manifest['allocation']}.{manifest['step']}"})

    def reap(self, attempt_id: int) -> None:
        process = self._sruns.pop(attempt_id, None)
        if process is not None:
            process.poll()
