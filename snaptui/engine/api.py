"""The engine API: the one door through which the TUI, the CLI and batch mode, and the Hydra launcher act.

Faces import only this module, errors, models, states and views (import-linter holds them to it).

Everything here is synchronous and thread-safe; a face that must not block calls it
from a worker thread. State lives in the store, so any number of processes can use
an Engine on the same repository at once.
"""
from __future__ import annotations

import contextlib
import dataclasses
import os
import secrets
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator, Mapping, Sequence

from . import agent, faults
from .config.settings import ProjectConfig
from .errors import ConfigError, SnaptuiError
from .executors import executor_for
from .models import Attempt, Event, Job, JobLine, Setting, SettingRow, Sweep
from .procs import identity, private_umask
from .states import RETRYABLE_STATES, Cause, JobState
from .store.store import Store
from .jobside.jobenv import job_environment
from .sweep.plan import MoreJobs
from .sweep.spec import SweepSpec, job_argv
from .verbs.allocation import AllocationVerbs
from .verbs.logs import LogVerbs
from .verbs.metrics import MetricsVerbs
from .verbs.planning import CheckedPlan, PlanningVerbs, check_command, check_runnable
from .verbs.records import RecordVerbs
from .verbs.snapshots import SnapshotVerbs
from .verbs.waiting import WaitVerbs

if TYPE_CHECKING:
    from .executors.base import Executor
    from .snapshot.snapshots import Progress


def find_repo_root(start: Path) -> Path:
    from .gitrepo import find_repo_root as git_root
    return git_root(Path(start))


# Faces ask these of a folder, not of an Engine (the Hydra launcher before it has one, the sweep file list).
# Imported when called: GitPython loads only when git is asked something.
def git_toplevel(start: Path) -> Path | None:
    """The git working tree holding ``start``, or None."""
    from .config.project import git_toplevel as toplevel
    return toplevel(start)


def files_git_would_add(repo_root: Path, *pathspecs: str, timeout: float | None = None) -> list[str] | None:
    """Files git tracks or would add under ``pathspecs`` (what a snapshot holds); None when git cannot say."""
    from .gitrepo import files_git_would_add as would_add
    return would_add(repo_root, *pathspecs, timeout=timeout)


class Engine(PlanningVerbs, SnapshotVerbs, RecordVerbs, LogVerbs, MetricsVerbs, AllocationVerbs, WaitVerbs):
    """One project's sweeps. Launching, reading and acting are here; the other verbs (snapshots, gc, diff,
    manifest, reproduce, recover, logs, metrics, allocations) come from the topic modules in verbs/."""

    def __init__(self, repo_root: Path, config_path: Path | None = None):
        from .gitrepo import refuse_line_breaks
        self.repo_root = Path(repo_root).resolve()
        refuse_line_breaks(self.repo_root, "the project folder")
        self._config_path = config_path
        self._project_stamp = self._config_stamp()
        self._project = ProjectConfig.load(self.repo_root, config_path)
        self._store: Store | None = None

    @property
    def project(self) -> ProjectConfig:
        """snaptui.toml as the file is now: read again when it changed since it was last read, so a TUI
        left open previews and launches with what the file holds, as `--dry-run` in a shell would. A file
        made invalid meanwhile raises its ConfigError here, as at start."""
        stamp = self._config_stamp()
        if stamp != self._project_stamp:
            self._project = ProjectConfig.load(self.repo_root, self._config_path)
            self._project_stamp = stamp
        return self._project

    def _config_stamp(self) -> tuple[int, int, int] | None:
        from .config.settings import CONFIG_FILENAME
        try:
            found = os.stat(self._config_path or self.repo_root / CONFIG_FILENAME)
        except OSError:
            return None
        return found.st_mtime_ns, found.st_size, found.st_ino

    @classmethod
    def discover(cls, start: Path | None = None, config_path: Path | None = None, *,
                 new_ok: bool = False) -> "Engine":
        """The project holding ``start``: its git working tree, else the nearest folder with a snaptui.toml
        or snaptui state, else (``new_ok``, for a first launch outside git) ``start`` itself."""
        from .config.project import find_project_root
        return cls(find_project_root(Path(start or os.getcwd()), new_ok=new_ok), config_path)

    @property
    def in_git(self) -> bool:
        """False for a project that is not in git: it runs without snapshots."""
        from .config.project import is_git_root
        return is_git_root(self.repo_root)

    def _snapshot_off(self, no_snapshot: bool) -> tuple[bool, list[str]]:
        if no_snapshot or self.in_git:
            return no_snapshot, []
        from .config.project import no_git_note
        return True, [no_git_note(self.repo_root)]

    # -- what the faces read of snaptui.toml (they never touch the ProjectConfig itself) ----------
    @property
    def profiles(self) -> dict[str, dict[str, Any]]:
        """Profile name -> its settings as written over its built-in one (executor always there), a copy."""
        return self.project.profiles

    @property
    def default_profile(self) -> str:
        return self.project.defaults.profile

    @property
    def keymap(self) -> dict[str, str]:
        return self.project.keymap

    @property
    def table_columns(self) -> list[str]:
        """[tui] columns: the job table's result and metric columns the user chose (empty: the default set)."""
        return list(self.project.tui.columns)

    @property
    def branch_prefix(self) -> str:
        return self.project.snapshot.branch_prefix

    @property
    def config_file(self) -> Path | None:
        """The project's snaptui.toml (or --config), None when it has none."""
        return self.project.path

    def settings(self, profile: str | None = None, sets: Sequence[str] = (),
                 environ: Mapping[str, str] | None = None) -> tuple[str, list[SettingRow]]:
        """Every effective setting of a profile (default: the one a launch would use) and where each value
        came from; with the name of the executor that would run it. For `snaptui config`."""
        from .config.report import setting_rows
        config = self.project.resolve(profile=profile, sets=list(sets), environ=environ)
        return config.executor, setting_rows(config, self.project.keymap)

    @property
    def store(self) -> Store:
        if self._store is None:
            self._store = Store.for_repo(self.repo_root)
        return self._store

    @staticmethod
    def results_hint(sweep: Sweep) -> str:
        """How jobs report results, for a sweep whose results table is empty."""
        from .views import results_hint
        return results_hint(sweep)

    @staticmethod
    def linked_summary(entries: list[dict[str, Any]]) -> str:
        """One line naming what a snapshot links from the repository instead of copying (its `linked`
        record): `linked from the repository: data/ (ignored, 12.0 MB), .venv/ (ignored)`."""
        from .snapshot.policy import linked_summary
        return linked_summary(entries)

    # -- launching (planning: verbs/planning.py) -------------------------------------
    def launch(self, checked: CheckedPlan, *, yes: bool = False, environ: Mapping[str, str] | None = None,
               progress: Progress | None = None) -> Sweep:
        """Snapshot, record and submit a sweep planned by `plan` or `plan_jobs`; its refusal, if it has one,
        is raised. The checks run again first (the tree may have changed since); on any failure nothing is
        left behind. `progress(done_bytes, total_bytes)` is called while untracked files are hashed."""
        if not isinstance(checked, CheckedPlan):
            raise TypeError("Engine.launch takes the CheckedPlan that Engine.plan or plan_jobs returns")
        if checked.refusal is not None:
            raise checked.refusal
        plan = checked.launch_plan
        executor = executor_for(plan.config.executor, self.store, self.repo_root)
        spec = plan.spec
        config = executor.settle_config(plan.config, os.environ if environ is None else environ, self.project.path)
        if plan.job_count > config.limits.max_jobs and not yes:  # from the grid's shape: nothing expanded yet
            raise ConfigError.single(spec.path, "grid", f"expands to {plan.job_count:,} jobs, more than"
                                     f" limits.max_jobs = {config.limits.max_jobs}",
                                     hint="pass --yes to launch anyway, or raise limits.max_jobs in snaptui.toml")
        check_runnable(self.repo_root, plan)
        # The record comes first, marked 'launching' with who launches it: if this process dies at
        # any later step, the next snaptui finds the launch and can finish or undo it (verbs/recovery.py).
        uid = secrets.token_hex(3)
        spec_dict = spec.to_dict()
        canary = {"job": plan.job(0).index, "after_s": config.profile.canary_s} \
            if config.profile.canary_s > 0 and plan.job_count > 1 else None
        sweep_id = self.store.create_sweep(
            name=spec.name, executor=config.executor, profile=config.profile_name,
            sweep_file=str(spec.path) if spec.path else None, spec=spec_dict, config=config.to_dict(),
            snapshot=None, workdir=str(self.repo_root), env={}, uid=uid, launcher=identity(os.getpid()), canary=canary,
            jobs=lambda sweep_id: [(j.index, j.label, j.params, job_argv(j.argv, sweep_id, spec_dict))
                                   for j in plan.jobs])
        snapshot = None
        faults.point("launch:recorded")
        gc_guard = contextlib.ExitStack()  # gc waits until this launch's snapshot is recorded (gclock.py)
        try:
            if config.snapshot.enabled:
                from .snapshot.gclock import creating_snapshot
                from .snapshot.snapshots import take_snapshot
                waited = gc_guard.enter_context(creating_snapshot(self.repo_root))
                if waited >= 1:
                    plan.notes.append(f"waited {waited:.0f} s for a running `snaptui snapshots gc` to finish")
                with private_umask():
                    snapshot = take_snapshot(self.repo_root, config.snapshot, short_id=uid, workdir=spec.workdir,
                                             progress=progress)
                workdir = Path(snapshot.worktree)
                warnings = executor.workdir_warnings(workdir)
                if warnings:
                    snapshot = dataclasses.replace(snapshot, warnings=snapshot.warnings + tuple(warnings))
                faults.point("launch:snapshotted")
            else:
                workdir = self.repo_root
            check_command(spec, plan.jobs[0].argv, workdir)
            env = job_environment(dict(os.environ if environ is None else environ), self.repo_root, workdir,
                                  {**config.profile.env, **spec.env})
            self.store.set_sweep_code(sweep_id, snapshot=snapshot.to_dict() if snapshot else None,
                                      workdir=str(workdir), env=env)
            gc_guard.close()  # recorded: gc now sees the snapshot in use
            sweep = self._recorded_sweep(sweep_id)
            faults.point("launch:code-recorded")
            with private_umask():
                submitted_here = executor.hand_over(sweep)
            if submitted_here:
                faults.point("launch:submitted")
            self.store.set_sweep_status(sweep_id, "active")
            if snapshot is not None and config.snapshot.push_to_remote:  # after submission: never holds it
                from .snapshot.push import push_in_background
                log = push_in_background(self.repo_root, config.snapshot.remote, snapshot.branch, snapshot.commit,
                                         self.store.path.parent)
                plan.notes.append(f"pushing {snapshot.branch} to {config.snapshot.remote} in the background "
                                  f"(outcome in {log})")
        except BaseException as exc:
            gc_guard.close()
            self._undo_launch(sweep_id)
            if snapshot is not None:  # a job may have run already: what it wrote goes to the repository
                from .snapshot.snapshots import discard_snapshot
                for note in discard_snapshot(self.repo_root, snapshot):
                    plan.notes.append(note)
                    exc.add_note(note)
            raise
        agent.ensure_agent(self.repo_root)
        return self._recorded_sweep(sweep_id)

    def submission_script(self, checked: CheckedPlan) -> str | None:
        """What launching the plan would hand to its scheduler: the exact sbatch script with its srun line
        (`--dry-run --script`); None for an executor that starts plain processes."""
        from .config.executors import executor_class
        config = checked.config   # no store: a dry run writes nothing
        executor: Executor = executor_class(config.executor)(None, self.repo_root)
        return executor.submission_script(checked.spec.name, config, checked.job_count)

    def plan_more_jobs(self, sweep_id: int, overrides: list[list[str]]) -> MoreJobs:
        """Jobs to append to a sweep given job by job (as by ``plan_jobs``), numbered after its last: what an
        optimising sweeper's later batches become, on the sweep's snapshot. A face may change their argv."""
        sweep = self.sweep(sweep_id)
        if sweep.spec.get("jobs") is None:
            raise SnaptuiError(f"sweep {sweep_id} comes from a sweep file: it takes no more jobs")
        if not overrides:
            raise ConfigError.single(None, "jobs", "a sweep needs at least one job")
        spec = SweepSpec(name=sweep.name, command=list(sweep.spec["command"]), env=dict(sweep.spec.get("env") or {}),
                         workdir=sweep.spec.get("workdir"), explicit=[*sweep.spec["jobs"], *map(list, overrides)])
        return MoreJobs(sweep_id, spec, spec.expand()[-len(overrides):])

    def add_jobs(self, more: MoreJobs) -> list[Job]:
        """Record the jobs of ``plan_more_jobs`` in their sweep and submit them on the sweep's code. On any
        failure they are withdrawn (the sweep's other jobs stay as they were) and the error is raised."""
        from .snapshot.housekeeping import ensure_worktree

        sweep = self.sweep(more.sweep_id)
        ensure_worktree(self, sweep)  # the same snapshot, even if gc removed its checkout meanwhile
        executor = executor_for(sweep.executor, self.store, self.repo_root)
        attempt_ids = self.store.add_jobs(sweep.id, [(j.index, j.label, j.params, j.argv) for j in more.jobs],
                                          more.spec.to_dict())
        try:
            with private_umask():
                executor.hand_over(self._recorded_sweep(sweep.id), attempt_ids)
        except BaseException:
            submitted = [a for a in map(self.store.attempt, attempt_ids) if a is not None and a.executor_id]
            if submitted:
                executor.cancel(submitted)
            self.store.remove_jobs(sweep.id, more.jobs[0].index, sweep.spec)
            raise
        agent.ensure_agent(self.repo_root)
        return self.store.jobs(sweep.id, after=more.jobs[0].index - 1)

    def _recorded_sweep(self, sweep_id: int) -> Sweep:
        """A sweep as recorded, whatever its status (`sweep` only gives active ones)."""
        sweep = self.store.sweep(sweep_id)
        if sweep is None:
            raise SnaptuiError(f"no sweep {sweep_id} in {self.repo_root}: it was removed")
        return sweep

    def _undo_launch(self, sweep_id: int) -> None:
        recorded = self.store.sweep(sweep_id)
        if recorded is None:   # removed already: nothing left to stop or forget
            return
        executor = executor_for(recorded.executor, self.store, self.repo_root)
        submitted = [a for a in self.store.active_attempts(sweep_id=sweep_id, launched_only=False) if a.executor_id]
        if submitted:
            executor.cancel(submitted)
        self.store.delete_sweep(sweep_id)

    # -- reading ---------------------------------------------------------------------
    def sweeps(self) -> list[Sweep]:
        return self.store.sweeps()

    def sweeps_stamp(self) -> tuple[int, int]:
        """Cheap (one small table): differs when the set of sweeps `sweeps()` lists has changed."""
        return self.store.sweeps_stamp()

    def host_load(self) -> tuple[int, int]:
        """(local jobs running now, all sweeps of the repository together; `[local] max_jobs` in force): when
        the first reaches the second, a local sweep's pending jobs wait for the host, not for their sweep."""
        from .executors.local.slots import host_cap
        local = [s for s in self.store.sweeps() if s.executor == "local"]
        return sum(s.counts.get(JobState.RUNNING, 0) for s in local if s.is_active), host_cap(local)

    def sweep(self, sweep_id: int) -> Sweep:
        sweep = self.store.sweep(sweep_id)
        if sweep is None or sweep.status != "active":
            raise SnaptuiError(f"no sweep {sweep_id} in {self.repo_root}")
        return sweep

    def jobs(self, sweep_id: int) -> list[Job]:
        return self.store.jobs(sweep_id)

    def jobs_in_pages(self, sweep_id: int, size: int = 10_000) -> Iterator[list[Job]]:
        """The sweep's jobs a page at a time, so a face can show how far a 100,000-job read has got."""
        after = -1
        while page := self.store.jobs(sweep_id, after=after, limit=size):
            yield page
            after = page[-1].index

    def jobs_by_index(self, sweep_id: int, indexes: list[int]) -> list[Job]:
        return self.store.jobs_by_index(sweep_id, list(indexes))

    def jobs_window(self, sweep_id: int, first: int, count: int) -> list[Job]:
        """The jobs with index first..first+count-1 (those that exist), in index order: the rows a table
        shows at a position, read before the jobs before them (one range query on the index)."""
        jobs = self.store.jobs(sweep_id, after=first - 1, limit=count) if count > 0 else []
        return [job for job in jobs if job.index < first + count]

    def job_lines_in_pages(self, sweep_id: int, size: int = 10_000) -> Iterator[list[JobLine]]:
        """The sweep's jobs as a listing shows them (models.JobLine: no parameters or command lines
        decoded), a page at a time: what `snaptui status SWEEP` streams."""
        after = -1
        while page := self.store.job_lines(sweep_id, after=after, limit=size):
            yield page
            after = page[-1].index

    def widest_label(self, sweep_id: int) -> int:
        """The length of the sweep's longest job label (a listing streamed page by page sizes its column)."""
        return self.store.widest_label(sweep_id)

    def job_states(self, sweep_id: int, indexes: list[int]) -> dict[int, JobState]:
        """Some jobs' states by index, without reading the jobs (what a first screen's grid draws)."""
        return self.store.job_states(sweep_id, list(indexes))

    def attempts(self, job: Job) -> list[Attempt]:
        return self.store.attempts(job.sweep_id, job.index)

    def resolve_sweep(self, ref: str) -> Sweep:
        """A sweep by id, or the newest sweep with that name."""
        if ref.isdigit():
            return self.sweep(int(ref))
        sweep = self.store.find_sweep(ref)
        if sweep is None:
            raise SnaptuiError(f"no sweep named {ref!r} in {self.repo_root}")
        return sweep

    def cause_summary(self, sweep_id: int) -> str:
        """'3 TIMEOUT, 2 OUT_OF_MEMORY, 1 exit 1': why the sweep's jobs that did not complete ended (views.
        cause_summary for jobs a face holds; this one counts in the store)."""
        from .states import cause_label
        counts: dict[str, int] = {}
        for (cause, code, detail), n in self.store.cause_counts(sweep_id).items():
            label = cause_label(cause, code, detail)
            counts[label] = counts.get(label, 0) + n
        return ", ".join(f"{n} {label}" for label, n in sorted(counts.items(), key=lambda item: (-item[1], item[0])))

    def jobs_with_usage(self, sweep_id: int) -> list[Job]:
        """The sweep's jobs with what each used of what it asked for (Attempt.usage): the runner's measure,
        and for ended jobs the scheduler's own account, read once (sacct on Slurm) and kept."""
        sweep = self.sweep(sweep_id)
        missing = [j.attempt for j in self.jobs(sweep_id)
                   if j.state.is_final and j.attempt.executor_id and "sacct" not in (j.attempt.usage or {})]
        if missing and sweep.executor != "local":
            executor_for(sweep.executor, self.store, self.repo_root).read_usage(missing)
        return self.jobs(sweep_id)

    def resolve_job(self, ref: str) -> Job:
        """A job as SWEEP/INDEX (e.g. 12/3); the sweep may be named."""
        sweep_ref, sep, index = ref.rpartition("/")
        if not sep or not index.isdigit():
            raise SnaptuiError(f"{ref!r} is not a job reference; write SWEEP/INDEX, e.g. 12/3")
        sweep = self.resolve_sweep(sweep_ref)
        job = self.store.job(sweep.id, int(index))
        if job is None:
            raise SnaptuiError(f"sweep {sweep.id} has no job {index} (it has {sweep.total})")
        return job

    def health(self) -> list[str]:
        """Problems that keep states from being recorded, worded for the user (empty when all is well)."""
        problems = []
        try:
            fs = os.statvfs(self.store.path.parent)
            if fs.f_bavail * fs.f_frsize < 1024 * 1024:
                problems.append(f"the disk holding {self.store.path.parent} is full: job states cannot be "
                                f"recorded until space is freed")
        except OSError:
            pass
        executors = self.store.active_executors()
        if executors and not agent.agent_running(self.repo_root):
            problems.append("no snaptui agent is running for active jobs; starting one")
            agent.ensure_agent(self.repo_root)
        elif executors and (stale := agent.stale_agent(self.repo_root)):
            problems.append(stale)
        for name in sorted(executors):
            problems += executor_for(name, self.store, self.repo_root).health()
        return problems

    def agent_problem(self, revive: bool = False) -> str | None:
        """Why the states shown may be stale although jobs are active: the agent is stopped or stuck
        (its heartbeat is old), or, with `revive`, it was not running at all (then one is started). Cheap
        (two stats and an indexed query): the TUI asks every few seconds."""
        if not self.store.active_executors():
            return None
        if revive and not agent.agent_running(self.repo_root):   # killed, or its machine rebooted: started here
            agent.ensure_agent(self.repo_root)
            return ("the snaptui agent that follows the jobs had stopped (killed?), so states were not being "
                    "updated; a new one was started")
        return agent.stale_agent(self.repo_root)

    # -- watching --------------------------------------------------------------------
    def last_event_id(self) -> int:
        return self.store.last_event_id()

    def events_since(self, last_id: int, sweep_id: int | None = None) -> list[Event]:
        return self.store.events_since(last_id, sweep_id)

    def refresh(self) -> None:
        """Poll schedulers now (the agent does it; this makes sure one runs and nudges it)."""
        if self.store.active_executors():
            agent.ensure_agent(self.repo_root)
        agent.wake(self.repo_root)

    # -- acting ----------------------------------------------------------------------
    def cancel(self, jobs: list[Job]) -> list[Job]:
        """Cancel jobs that are not final yet; returns them as they are once it is done, read back from
        the store, so a face says what happened: CANCELLED, or another final state (the job ended as it
        was cancelled: a completed job stays completed), or not final yet (still stopping)."""
        live = [j for j in jobs if not j.state.is_final]
        by_executor: dict[str, list[Attempt]] = {}
        to_kill = set(self.store.request_cancel([j.attempt.id for j in live]))
        for job in live:
            if job.attempt.id not in to_kill:
                continue
            sweep, attempt = self.store.sweep(job.sweep_id), self.store.attempt(job.attempt.id)
            if sweep is not None and attempt is not None:   # None: removed meanwhile
                by_executor.setdefault(sweep.executor, []).append(attempt)
        for name, attempts in by_executor.items():
            executor_for(name, self.store, self.repo_root).cancel(attempts)
        by_sweep: dict[int, list[int]] = {}
        for job in live:
            by_sweep.setdefault(job.sweep_id, []).append(job.index)
        return [job for sweep_id, indexes in by_sweep.items() for job in self.store.jobs_by_index(sweep_id, indexes)]

    def cancel_sweep(self, sweep_id: int) -> list[Job]:
        return self.cancel(self.jobs(sweep_id))

    def resubmit(self, jobs: list[Job], sets: Sequence[str | Setting] = (), why: str | None = None) -> list[Job]:
        """A new attempt of each job that is final, on the sweep's original snapshot and parameters; with
        `sets` (``timeout_min=120``), with those resources changed, recorded on the attempt and in its
        manifest with the value it replaces and `why`. A change the sweep's profile does not take, or that
        the scheduler cannot run, is refused (ConfigError) before any attempt is made."""
        from .config.executors import executor_class
        from .config.settings import attempt_config, resubmit_changes
        from .snapshot.housekeeping import ensure_worktree

        done = [j for j in jobs if j.state.is_final]
        by_sweep: dict[int, list[Job]] = {}
        for job in done:
            by_sweep.setdefault(job.sweep_id, []).append(job)
        changed: dict[int, dict[str, Any]] = {}   # attempt changes by job ref
        for sweep_id, sweep_jobs in by_sweep.items():
            sweep = self._recorded_sweep(sweep_id)
            values = resubmit_changes(sweep.config, sets) if sets else {}
            if not values:
                continue
            for job in sweep_jobs:
                before = attempt_config(sweep.config, job.attempt.changes)
                changes = {"set": {**(job.attempt.changes or {}).get("set", {}), **values},
                           "was": {k: getattr(before.profile, k, None) for k in values},
                           "after": job.attempt.cause_label or job.state.value, **({"why": why} if why else {})}
                config = attempt_config(sweep.config, changes)
                executor: type[Executor] = executor_class(config.executor)
                executor.check_request(dataclasses.replace(
                    config, sources={k: "--set" for k in values}))
                changed[job.attempt.id] = changes
        for sweep_id, sweep_jobs in by_sweep.items():
            sweep = self._recorded_sweep(sweep_id)
            with self._snapshot_guard(sweep):  # a gc must not take the worktree back before the attempts exist
                ensure_worktree(self, sweep)  # the same snapshot, even if gc removed its checkout
                attempt_ids = [self.store.new_attempt(sweep_id, job.index, changed.get(job.attempt.id) or
                                                      _kept_changes(job.attempt.changes)) for job in sweep_jobs]
            self._submit_or_fail(executor_for(sweep.executor, self.store, self.repo_root), sweep, attempt_ids)
        if done:
            agent.ensure_agent(self.repo_root)
        return done

    def _snapshot_guard(self, sweep: Sweep) -> contextlib.AbstractContextManager[float | None]:
        if not sweep.snapshot:
            return contextlib.nullcontext()
        from .snapshot.gclock import creating_snapshot
        return creating_snapshot(self.repo_root)

    def _submit_or_fail(self, executor: Executor, sweep: Sweep, attempt_ids: list[int]) -> None:
        """Hand new attempts to their executor. A refused submission must not leave attempts waiting
        for ever: they fail, with the reason."""
        try:
            with private_umask():
                executor.hand_over(sweep, attempt_ids)
        except SnaptuiError as exc:
            for attempt_id in attempt_ids:
                self.store.update_attempt(attempt_id, JobState.FAILED, ended_at=time.time(),
                                          reason=f"could not submit: {exc}", cause=Cause.NOT_STARTED.value,
                                          detail=f"could not submit: {exc}")
            raise

    def resubmit_failed(self, sweep_id: int, sets: Sequence[str | Setting] = (), why: str | None = None) -> list[Job]:
        return self.resubmit([j for j in self.jobs(sweep_id) if j.state in RETRYABLE_STATES], sets, why)

    def job_resources(self, job: Job) -> dict[str, float | None]:
        """What the job's latest attempt asked for (timeout_min, mem_gb, cpus_per_task, gpus_per_node: those
        its profile has): the fields of the TUI's resubmit dialog."""
        from .verbs.suggest import current_resources
        return current_resources(self.store, job)

    def resubmit_suggestions(self, jobs: list[Job]) -> dict[str, float]:
        """Resources to resubmit these jobs with, from why they ended: twice the time for a TIMEOUT, the
        memory peak measured plus 25% for OUT_OF_MEMORY (twice the request when none was measured)."""
        from .verbs.suggest import suggestions
        return suggestions(self.store, jobs)


def _kept_changes(changes: dict[str, Any] | None) -> dict[str, Any] | None:
    """A plain resubmission keeps what an earlier one changed (the job's resources as they were last)."""
    return {"set": changes["set"]} if changes and changes.get("set") else None


