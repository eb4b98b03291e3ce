"""One way to launch: `plan` (a sweep file) and `plan_jobs` (jobs given one by one, as Hydra's launcher
hands them) return a CheckedPlan, the only thing `Engine.launch` takes.

A checked plan has been through every check that can run before a snapshot (the command exists and is
not left out of the snapshot, the untracked data it would copy is under `snapshot.max_total_mb`), holds
its snapshot preview and every warning, and says why launching it now would be refused, if it would.
So `--dry-run`, the TUI's preview and the Hydra launcher see the same verdict the launch would give.
"""
from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Mapping, Sequence

from snaptui.engine.errors import ConfigError, SnaptuiError
from snaptui.engine.sweep.plan import LaunchPlan
from snaptui.engine.sweep.spec import JobSpec, SweepSpec, load_sweep

if TYPE_CHECKING:
    from snaptui.engine.config.settings import EffectiveConfig, ProjectConfig
    from snaptui.engine.snapshot.policy import SnapshotPlan

HARD_MAX_JOBS = 1_000_000   # refused even with --yes: its rows alone would fill memory and the store


class CheckedPlan:
    """A sweep ready to launch, as far as can be known before its snapshot.

    `preview`: what the snapshot would hold and link (a SnapshotPlan: `describe()` gives its lines), None
    without a snapshot. `warnings`: every note for the user. `refusal`: the error launching it now would
    raise (bad input, exit 2), None when it can launch. `needs_yes`: more jobs than limits.max_jobs."""

    def __init__(self, plan: LaunchPlan, preview: SnapshotPlan | None, warnings: list[str],
                 refusal: SnaptuiError | None):
        self._plan, self.preview, self.warnings, self.refusal = plan, preview, warnings, refusal

    @property
    def launch_plan(self) -> LaunchPlan:
        return self._plan

    @property
    def spec(self) -> SweepSpec:
        return self._plan.spec

    @property
    def config(self) -> EffectiveConfig:
        return self._plan.config

    @property
    def notes(self) -> list[str]:
        """What happened along the way (the launch appends what its rollback or push did)."""
        return self._plan.notes

    @property
    def job_count(self) -> int:
        return self._plan.job_count

    @property
    def jobs(self) -> list[JobSpec]:
        return self._plan.jobs

    def job(self, index: int) -> JobSpec:
        return self._plan.job(index)

    @property
    def needs_yes(self) -> bool:
        return self.job_count > self.config.limits.max_jobs

    @property
    def ok(self) -> bool:
        return self.refusal is None


class PlanningVerbs:
    repo_root: Path
    _snapshot_off: Callable[[bool], tuple[bool, list[str]]]   # api.Engine's
    if TYPE_CHECKING:
        @property
        def project(self) -> ProjectConfig: ...

    def plan(self, sweep_file: Path, *, profile: str | None = None, sets: Sequence[Any] = (),
             no_snapshot: bool = False, environ: Mapping[str, str] | None = None) -> CheckedPlan:
        """A sweep file, its effective config and jobs, checked, with its snapshot preview. A bad sweep file
        or setting raises ConfigError; what only launching now would refuse is the plan's `refusal`."""
        spec = load_sweep(Path(sweep_file))
        if spec.workdir is None:  # by default the command runs where its sweep file sits
            folder = Path(sweep_file).resolve().parent
            inside = folder == self.repo_root or self.repo_root in folder.parents
            spec.workdir = folder.relative_to(self.repo_root).as_posix() if inside else "."
        no_snapshot, notes = self._snapshot_off(no_snapshot)
        from snaptui.engine.sweep.hydra_app import per_job_run_dirs
        notes += per_job_run_dirs(spec, self.repo_root)
        config = self.project.resolve(profile=profile, sweep_profile=spec.profile, sets=list(sets),
                                      environ=environ, no_snapshot=no_snapshot, sweep_file=spec.path)
        if spec.job_count > HARD_MAX_JOBS:
            raise ConfigError.single(spec.path, "grid", f"expands to {spec.job_count:,} jobs, more than snaptui "
                                     f"launches as one sweep ({HARD_MAX_JOBS:,})",
                                     hint="split it into several sweeps, or sweep fewer values")
        return self._checked(LaunchPlan(spec, config, None, notes))

    def plan_jobs(self, name: str, command: list[str], overrides: list[list[str]], *, profile: str | None = None,
                  sets: Sequence[Any] = (), no_snapshot: bool = False, env: Mapping[str, str] | None = None,
                  environ: Mapping[str, str] | None = None, workdir: str | Callable[[bool], str] = ".",
                  job_argv: Callable[[int, list[str]], list[str]] | None = None) -> CheckedPlan:
        """A sweep given job by job (each a list of key=value arguments), checked like `plan`. `workdir`
        (relative to the code's root) may depend on whether a snapshot is taken; `job_argv(i, overrides)`
        gives job i's command line (default: `command` followed by its overrides)."""
        if not overrides:
            raise ConfigError.single(None, "jobs", "a sweep needs at least one job")
        no_snapshot, notes = self._snapshot_off(no_snapshot)
        config = self.project.resolve(profile=profile, sets=list(sets), environ=environ, no_snapshot=no_snapshot)
        folder = workdir(config.snapshot.enabled) if callable(workdir) else workdir
        spec = SweepSpec(name=name, command=list(command), explicit=[list(o) for o in overrides],
                         env=dict(env or {}), workdir=folder)
        jobs = spec.expand()
        if job_argv is not None:
            jobs = [dataclasses.replace(job, argv=job_argv(job.index, list(o))) for job, o in zip(jobs, overrides)]
        return self._checked(LaunchPlan(spec, config, jobs, notes))

    def _checked(self, plan: LaunchPlan) -> CheckedPlan:
        warnings = list(plan.notes)
        if plan.job_count > plan.config.limits.max_jobs:
            warnings.append(f"{plan.job_count:,} jobs, more than limits.max_jobs = {plan.config.limits.max_jobs}: "
                            "launching needs --yes")
        preview: SnapshotPlan | None = None
        refusal: SnaptuiError | None = None
        try:
            check_runnable(self.repo_root, plan)
            if plan.config.snapshot.enabled:
                from snaptui.engine.snapshot.policy import preview_snapshot
                preview = preview_snapshot(self.repo_root, plan.config.snapshot, plan.spec.workdir)
                preview.check_total(plan.config.snapshot)
        except SnaptuiError as exc:
            refusal = exc
        return CheckedPlan(plan, preview, warnings, refusal)


def check_runnable(repo_root: Path, plan: LaunchPlan) -> None:
    """Everything checkable before a snapshot: the command exists and is not left out of it, and the
    scheduler can run what the profile asks for. Raises ConfigError (exit 2)."""
    argv = plan.job(0).argv
    check_command(plan.spec, argv, repo_root)
    if plan.config.snapshot.enabled:
        from snaptui.engine.sweep.precheck import check_in_snapshot
        check_in_snapshot(repo_root, plan.spec, argv)
    from snaptui.engine.config.executors import executor_class
    from snaptui.engine.executors.base import Executor
    executor: type[Executor] = executor_class(plan.config.executor)
    executor.check_request(plan.config)


def check_command(spec: SweepSpec, argv: list[str], workdir: Path) -> None:
    """Catch a command that cannot run before any job is submitted."""
    program = argv[0]
    cwd = workdir / (spec.workdir or ".")
    if not cwd.is_dir():
        raise ConfigError.single(spec.path, "workdir",
                                 f"{spec.workdir!r} does not exist in the code to run ({workdir})")
    if "/" in program:
        target = Path(program) if Path(program).is_absolute() else cwd / program
        if not target.exists():
            raise ConfigError.single(spec.path, "command", f"{program!r} does not exist in the code to run ({cwd})",
                                     hint=_missing_hint(spec, program, workdir, cwd))
    elif shutil.which(program) is None:
        raise ConfigError.single(spec.path, "command", f"{program!r} is not found on PATH")
    if Path(program).name.startswith("python") and len(argv) > 1 and argv[1].endswith(".py"):
        script = Path(argv[1]) if Path(argv[1]).is_absolute() else cwd / argv[1]
        if not script.exists():
            raise ConfigError.single(spec.path, "command", f"{argv[1]!r} does not exist in the code to run ({cwd})",
                                     hint=_missing_hint(spec, argv[1], workdir, cwd))


def _missing_hint(spec: SweepSpec, name: str, workdir: Path, cwd: Path) -> str:
    """Why a relative file of the command is missing: most often the workdir (the sweep file's folder
    unless the sweep file sets one), else git never saw the file."""
    if not Path(name).is_absolute() and cwd != workdir and (workdir / name).exists():
        return (f"the command runs in workdir {spec.workdir!r} (the sweep file's folder unless it sets workdir), "
                f"and {name!r} is in the project's top folder: set workdir = \".\" in the sweep file")
    return f"is it in {spec.workdir or '.'!r} (the workdir), committed or at least not ignored by .gitignore?"
