"""The seam between the engine and a scheduler: what the engine and the agent ask of every executor.

Launching process (api, recovery):
    settle_config(config, environ, project)  settle what the profile leaves to launch time (local
                                GPUs, the allocation to run in), before anything is recorded
    workdir_warnings(path)      what is wrong with running jobs from this code folder here
    hand_over(sweep, ids)       new attempts are recorded (launch, resubmit, recover): submit them now,
                                or leave them queued for the agent; decided here and nowhere else
    adopt_interrupted / abort_interrupted   find the tagged work of an interrupted launch: adopt it,
                                or stop all of it, tracked or not
Agent (agent.py), every tick:
    dispatch_queued()           start queued attempts as room frees (local, allocation: queued.py);
                                nothing for a scheduler that queues itself (Slurm)
    quick_poll / poll           keep the store in step: cheap checks every tick, the scheduler's
                                answer every poll_interval()
    wait_for_event(t)           the agent's sleep, on an executor that hears of job ends (wakes_agent)
Anyone:
    submit(sweep, attempts)     hand attempts to the scheduler, recording executor ids and folders
    cancel(attempts)            stop attempts the store has flagged (each executor's stop), read back
    health()                    what keeps this scheduler's states from being read, for the user

What a job's report or its disappearance means for its state is policy (state_policy.py,
slurm/states.py), shared by the executors; an executor only finds out what the scheduler knows.
"""
from __future__ import annotations

import select
import shutil
import time
from abc import ABC, abstractmethod
from pathlib import Path
from typing import TYPE_CHECKING, Mapping

from snaptui.engine.config.settings import EffectiveConfig, attempt_config
from ..models import Attempt, Job, Sweep
from snaptui.engine.jobside.runspec import RunSpec
from snaptui.engine.store.store import Store
from .state_policy import StatePolicy

if TYPE_CHECKING:
    from snaptui.engine.config.model import Profile

SUBMITIT_DIRNAME = ".submitit"


class Executor(ABC):
    name: str = ""
    scheduler_commands: tuple[str, ...] = ()  # what this executor runs to reach its scheduler (health)
    wakes_agent = False  # True: wait_for_event returns the moment one of its jobs ends
    submits_from_agent = False  # True: the agent starts queued attempts as slots free up (read in hand_over only)

    def __init__(self, store: Store, repo_root: Path) -> None:
        self.store = store
        self.repo_root = Path(repo_root)
        self.states = StatePolicy(store)

    @property
    def submitit_root(self) -> Path:
        return self.repo_root / SUBMITIT_DIRNAME

    def settle_config(self, config: EffectiveConfig, environ: Mapping[str, str], project_path: Path | None
                      ) -> EffectiveConfig:
        """What the profile leaves to launch time, settled in the launching process before anything is
        recorded; a ConfigError names the profile key (default: nothing to settle)."""
        return config

    @staticmethod  # noqa: B027 - optional: nothing to check
    def check_request(config: EffectiveConfig) -> None:
        """Refuse, with a ConfigError naming the setting, what this scheduler cannot run as asked (a partition
        it does not have, more memory than a node holds); checked before the snapshot and by --dry-run, and
        for a resubmission's changes (default: nothing to check)."""

    def submission_script(self, name: str, config: EffectiveConfig, job_count: int) -> str | None:
        """What would be handed to the scheduler for a sweep of `job_count` jobs: the exact script and
        command lines (--dry-run --script); None when jobs are plain processes (nothing to show)."""
        return None

    def hand_over(self, sweep: Sweep, attempt_ids: list[int] | None = None) -> bool:
        """Newly recorded attempts (None: every attempt of the sweep) are submitted here and now, unless
        the agent starts them as room frees (then they stay PENDING). True when submitted here."""
        if self.submits_from_agent:
            return False
        attempts = [a for a in self.store.active_attempts(sweep_id=sweep.id, launched_only=False) if not a.held] \
            if attempt_ids is None else self._recorded(attempt_ids)
        self.submit(sweep, attempts)
        return True

    def dispatch_queued(self) -> None:  # noqa: B027 - optional: most executors queue nothing
        """Start queued attempts as room frees up; called by the agent on every tick (default: none queue)."""

    @abstractmethod
    def submit(self, sweep: Sweep, attempts: list[Attempt]) -> None:
        """Hand PENDING attempts to the scheduler, recording executor ids."""

    @abstractmethod
    def poll(self, attempts: list[Attempt]) -> None:
        """Bring the store's view of these active attempts up to date."""

    def cancel(self, attempts: list[Attempt]) -> None:
        """Stop attempts already handed to the scheduler (the store flagged them first), then read back
        what came of it, so the store shows the outcome by the time cancel returns."""
        if self.stop(attempts):
            self.poll(self._recorded([a.id for a in attempts]))

    def _recorded(self, attempt_ids: list[int]) -> list[Attempt]:
        """These attempts as the store has them now; one deleted meanwhile (its sweep removed) is left out."""
        return [a for a in map(self.store.attempt, attempt_ids) if a is not None]

    @abstractmethod
    def stop(self, attempts: list[Attempt]) -> bool:
        """Tell the scheduler to stop these attempts; False when none of them had anything to stop."""

    def poll_interval(self) -> float:
        return 1.0

    def read_usage(self, attempts: list[Attempt]) -> None:  # noqa: B027 - optional: no account of its own
        """Add the scheduler's account of what these ended attempts used to their usage (default: the
        runner's own measure is all there is)."""

    def quick_poll(self, attempts: list[Attempt]) -> None:  # noqa: B027 - optional: nothing cheap to check
        """Cheap checks the agent makes on every tick, between scheduler polls (default: none)."""

    def wait_for_event(self, timeout: float, also: tuple[int, ...] = ()) -> bool:
        """Sleep up to `timeout`, or until a descriptor of `also` (the agent's bell) is readable; True if woken
        early by a job's end (only where wakes_agent)."""
        if also:
            select.select(also, [], [], timeout)
        else:
            time.sleep(timeout)
        return False

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

    def workdir_warnings(self, workdir: Path) -> list[str]:
        """Why jobs on this scheduler may not find code in `workdir` (default: nothing)."""
        return []

    def health(self) -> list[str]:
        """Problems that keep this scheduler's job states from being read or changed, for the user."""
        missing = [command for command in self.scheduler_commands if shutil.which(command) is None]
        if not missing:
            return []
        return [f"{', '.join(missing)} not found on PATH: the states of {self.name} jobs cannot be read or changed "
                f"from here"]

    # -- shared helpers ----------------------------------------------------------
    def run_spec(self, sweep: Sweep, job: Job, attempt: Attempt, timeout_s: float | None) -> RunSpec:
        workdir = str(Path(sweep.workdir) / (sweep.spec.get("workdir") or "."))
        config = self.config_of(sweep, attempt)
        return RunSpec(
            argv=job.argv, cwd=workdir, env=self.store.sweep_env(sweep.id),
            result_pattern=config.results.pattern, timeout_s=timeout_s, scheduler=self.name,
            user_env={**config.profile.env, **sweep.spec.get("env", {})},
            manifest={
                "sweep_id": sweep.id, "sweep_name": sweep.name, "job_index": job.index, "label": job.label,
                "attempt": attempt.number, "params": job.params,
                "overrides": {k: job.params[k] for k in _varying(sweep) if k in job.params},
                "snapshot": sweep.snapshot, "repo": str(self.repo_root),
                "config": {**sweep.config, "executor": config.to_dict()["executor"]} if attempt.changes
                else sweep.config,
                **({"resubmitted_with": attempt.changes} if attempt.changes else {}),
                "asked": asked_resources(config.profile),
            },
            landing={"worktree": sweep.snapshot["worktree"], "repo": str(self.repo_root), "sweep": sweep.id}
            if sweep.snapshot else None,
        )

    @staticmethod
    def config_of(sweep: Sweep, attempt: Attempt) -> EffectiveConfig:
        """The config this attempt runs with: the sweep's, with what its resubmission changed."""
        return attempt_config(sweep.config, attempt.changes)


def _varying(sweep: Sweep) -> list[str]:
    keys = list(sweep.spec.get("grid", {}))
    for group in sweep.spec.get("zip", []):
        keys += list(group)
    return keys


def asked_resources(profile: Profile) -> dict[str, float]:
    """What a job asks for, beside what it uses (usage.py): its time limit, CPUs (a local job's slot is one),
    memory and GPUs, in the units efficiency is reported in."""
    tasks = profile.tasks_per_job()
    asked: dict[str, float] = {"limit_s": profile.timeout_min * 60,
                               "cpus": (getattr(profile, "cpus_per_task", None) or 1) * tasks}
    mem_gb: float | None = getattr(profile, "mem_gb", None)   # a Slurm profile's
    if mem_gb:
        asked["mem_req_mb"] = mem_gb * 1024
    gpus = getattr(profile, "gpus_per_node", None) or (getattr(profile, "gpus_per_task", None) or 0) * tasks
    if gpus:
        asked["gpus"] = gpus
    return asked
