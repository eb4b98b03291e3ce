"""The snaptui Hydra launchers: a ``-m`` run becomes one snaptui sweep on one snapshot.

The first ``launch()`` call (the first batch of Hydra's sweeper) takes a git snapshot of the working tree
and launches a snaptui sweep on it; later calls of the same run (an optimising sweeper's next trials, the
basic sweeper's next batch with ``max_batch_size``) append their jobs to that sweep, on that snapshot: all
trials of an Optuna search run the same code, the one recorded. As submitit's launcher does, it runs the
task function Hydra handed to ``setup()`` (so programmatic Hydra, the conformance suites, hydra-zen and
wrapper scripts run what they asked for), but each job runs it through snaptui's job runner, in the
snapshot: see ``job.py``; a task function defined in the app's main script is loaded there by name from
the snapshot (``app_command.task_reference``). Each job composes its own config from the snapshot's config
files (``mode: MULTIRUN``, only the user's overrides), with the sweep folder as an absolute path: the job's
working directory is the code's twin of the launch folder, not the launch folder. The launcher composes no
job's config itself (Hydra's basic sweeper has composed every one to validate the batch), except the
first of a batch from a sweeper that does not validate, so that a bad override fails before anything is
submitted; a job whose overrides do not compose hands its error back and ``launch()`` raises it.

Outside git, snapshots are off and the state lives beside the app (the launch folder, or the folder
holding ``snaptui.toml``). snaptui itself is imported only when a launch happens: Hydra imports
every plugin module of the environment on each start of any Hydra app.
"""
from __future__ import annotations

import dataclasses
import logging
import os
import re
import sys
from abc import abstractmethod
from pathlib import Path
from typing import Any, List, Optional, Sequence, Tuple

from hydra.core.utils import JobReturn
from hydra.plugins.launcher import Launcher
from hydra.types import HydraContext, TaskFunction
from omegaconf import DictConfig, OmegaConf, open_dict

from . import config as _config  # noqa: F401  (registers the configs when only this module is imported)
from .params import plain, profile_and_sets
from .returns import PlannedJob, SnaptuiJobError, collect, wait

log = logging.getLogger(__name__)

JOB_MODULE = "hydra_plugins.snaptui_launcher.job"

__all__ = ["SnaptuiLauncher", "SnaptuiLocalLauncher", "SnaptuiSlurmLauncher", "SnaptuiJobError"]


class SnaptuiLauncher(Launcher):
    @property
    @abstractmethod
    def executor(self) -> str:
        """``local`` or ``slurm``: which snaptui executor this launcher submits to."""

    def __init__(self, **params: Any) -> None:
        super().__init__()
        self.params = {k: plain(v) for k, v in params.items()}
        self.config: Optional[DictConfig] = None
        self.task_function: Optional[TaskFunction] = None
        self.hydra_context: Optional[HydraContext] = None
        self._run: Optional[_Run] = None  # the sweep of this -m run, once its first batch is launched

    def setup(self, *, hydra_context: HydraContext, task_function: TaskFunction, config: DictConfig) -> None:
        self.config = config
        self.hydra_context = hydra_context
        self.task_function = task_function

    def launch(self, job_overrides: Sequence[Sequence[str]], initial_job_idx: int) -> Sequence[JobReturn]:
        from hydra.core.utils import configure_log, filter_overrides, setup_globals

        from .app_command import import_path, task_reference
        from .payload import remove_payload, write_payload

        setup_globals()
        assert self.config is not None and self.hydra_context is not None
        configure_log(self.config.hydra.hydra_logging, self.config.hydra.verbose)
        if not job_overrides:
            return []
        sweep_dir = Path(os.path.abspath(str(self.config.hydra.sweep.dir)))
        overrides = [list(o) for o in job_overrides]
        jobs = [PlannedJob(initial_job_idx + i, o) for i, o in enumerate(overrides)]
        if not _sweeper_validates(self.config):
            self._compose(jobs[0], sweep_dir)  # a bad override fails here, before anything is submitted
        run = self._run or self._start_run(sweep_dir)
        sweep_dir.mkdir(parents=True, exist_ok=True)
        payload = write_payload(sweep_dir, initial_job_idx, repo=run.engine.repo_root,
                                import_path=import_path(run.engine.repo_root), task_function=self.task_function,
                                task_reference=task_reference(self.task_function, run.engine.repo_root),
                                hydra_context=self.hydra_context, master_config=self.config,
                                overrides={job.num: job.overrides for job in jobs})
        command = [sys.executable, "-m", JOB_MODULE, str(payload)]
        try:
            sweep, first = self._submit(run, command, jobs)
        except BaseException:
            remove_payload(payload)
            raise
        self._announce(sweep, jobs, filter_overrides, added=self._run is not None)
        self._run = run
        if not self.params.get("wait", True):
            sweeper = str(OmegaConf.select(self.config, "hydra.sweeper._target_", default=""))
            if not sweeper.endswith("BasicSweeper"):
                log.warning("snaptui: wait=false hands no results to the sweeper; optimising sweepers need "
                            "hydra.launcher.wait=true")
            log.info(f"snaptui: not waiting (hydra.launcher.wait=false); results will be in {sweep_dir}")
            return []
        wait(run.engine, sweep.id)
        return collect(run.engine, sweep.id, first, jobs, str(self.config.hydra.job.name),
                       Path(sweep.workdir) / run.job_cwd, lambda job: self._compose(job, sweep_dir))

    def _start_run(self, sweep_dir: Path) -> "_Run":
        from snaptui.engine.api import Engine

        from .app_command import project_start

        cwd = Path(os.getcwd()).resolve()
        engine = Engine.discover(project_start(cwd), new_ok=True)
        return _Run(engine, None, Path("."), _sweep_name(str(self.config.hydra.job.name), sweep_dir,
                                                         engine.repo_root))

    def _submit(self, run: "_Run", command: List[str], jobs: List[PlannedJob]) -> Tuple[Any, int]:
        """The first batch launches the run's sweep; later ones are added to it. The sweep and the index of
        this batch's first job in it."""
        from .app_command import job_folder

        engine = run.engine
        if run.sweep_id is not None:
            more = engine.plan_more_jobs(run.sweep_id, [job.overrides for job in jobs])
            more.jobs = [_job_argv(spec, command, job.num) for spec, job in zip(more.jobs, jobs)]
            log.info(f"snaptui: adding {len(jobs)} jobs to sweep {run.sweep_id}")
            engine.add_jobs(more)
            return engine.sweep(run.sweep_id), more.jobs[0].index
        profile, sets = profile_and_sets(self.params, self.executor, engine)
        if self.executor == "local" and self.params.get("warm", True):
            sets.append(self._warm_slots(engine, profile))
        env = {str(k): str(v) for k, v in (self.params.get("env") or {}).items()}
        cwd = Path(os.getcwd()).resolve()
        plan = engine.plan_jobs(run.name, command, [job.overrides for job in jobs], profile=profile, sets=sets,
                                env=env,
                                workdir=lambda snapshot: job_folder(engine.repo_root, cwd, snapshot).as_posix(),
                                job_argv=lambda i, overrides: [*command, str(jobs[i].num), *overrides])
        for note in plan.notes:
            log.info(f"snaptui: {note}")
        run.job_cwd = Path(plan.spec.workdir)
        log.info(f"snaptui: launching {len(jobs)} jobs on the {self.executor} executor")
        sweep = engine.launch(plan)   # raises the plan's refusal, if it has one
        run.sweep_id = sweep.id
        return sweep, 0

    def _warm_slots(self, engine: Any, profile: str) -> Any:
        """``[local] preload`` for this sweep: snaptui.toml's, and what the task function's module imports, so
        each local slot imports the app once and its jobs start as forks of it (``preload.py``)."""
        from snaptui.engine.models import Setting

        from .preload import JOB_IMPORTS, task_imports

        modules = task_imports(self.task_function, engine.repo_root)
        _, rows = engine.settings(profile)   # the door's view of snaptui.toml, as `snaptui config` shows it
        configured = next((list(row.value or ()) for row in rows if row.key == "local.preload"), [])
        named = [m for m in modules if m not in JOB_IMPORTS]
        log.info(f"snaptui: each local slot imports the task's modules ({', '.join(named) or 'none'}) and Hydra's "
                 "once, and starts the jobs as forks of itself (hydra.launcher.warm=false: a fresh process a job)")
        return Setting("local.preload", list(dict.fromkeys(configured + modules)), "hydra.launcher.warm")

    def _compose(self, job: PlannedJob, sweep_dir: Path) -> Tuple[DictConfig, Path]:
        """A job's config as its job composes it (in the launch's config files rather than the snapshot's):
        to check the overrides before launching, and for a job that died before handing back its own."""
        from hydra.core.hydra_config import HydraConfig

        assert self.config is not None and self.hydra_context is not None
        config = self.hydra_context.config_loader.load_sweep_config(self.config, list(job.overrides))
        with open_dict(config):
            config.hydra.job.id = str(job.num)
            config.hydra.job.num = job.num
            config.hydra.sweep.dir = str(sweep_dir)
        previous = HydraConfig.instance().cfg
        HydraConfig.instance().set_config(config)  # so ${hydra:...} in the sweep's subdir resolves
        try:
            run_dir = sweep_dir / str(OmegaConf.select(config, "hydra.sweep.subdir"))
        finally:
            if previous is not None:
                HydraConfig.instance().cfg = previous
        return config, run_dir

    def _announce(self, sweep: Any, jobs: List[PlannedJob], filter_overrides: Any, added: bool) -> None:
        where = f"profile {sweep.profile}, {sweep.executor} executor"
        if added:
            log.info(f"snaptui sweep {sweep.id} '{sweep.name}': {len(jobs)} more jobs on the same "
                     + (f"snapshot ({sweep.snapshot['commit'][:10]})" if sweep.snapshot else "live files"))
        elif sweep.snapshot:
            snap = sweep.snapshot
            log.info(f"snaptui sweep {sweep.id} '{sweep.name}': {len(jobs)} jobs ({where}) on snapshot "
                     f"{snap['branch']} ({snap['commit'][:10]})")
            for warning in snap.get("warnings") or []:
                log.warning(f"snaptui: {warning}")
        else:
            log.info(f"snaptui sweep {sweep.id} '{sweep.name}': {len(jobs)} jobs ({where}) on the live "
                     "files (no snapshot)")
        for job in jobs:
            log.info(f"\t#{job.num} : {' '.join(filter_overrides(job.overrides))}")
        if added:
            return
        log.info(f"snaptui: follow it with `snaptui status {sweep.id}` or `snaptui` (the TUI); "
                 f"cancel with `snaptui cancel {sweep.id}`")


class SnaptuiLocalLauncher(SnaptuiLauncher):
    executor = "local"


class SnaptuiSlurmLauncher(SnaptuiLauncher):
    executor = "slurm"


class _Run:
    """One ``-m`` run: its engine, its sweep once launched, where its jobs work and the sweep's name. (Not a
    dataclass: Hydra loads plugin modules without entering them in sys.modules, which dataclasses need.)"""

    def __init__(self, engine: Any, sweep_id: Optional[int], job_cwd: Path, name: str) -> None:
        self.engine, self.sweep_id, self.job_cwd, self.name = engine, sweep_id, job_cwd, name


def _sweeper_validates(config: DictConfig) -> bool:
    """Whether the sweeper composed every job's config before handing the batch over (Hydra's basic sweeper
    does; Optuna's, Nevergrad's and Ax's do not)."""
    target = str(OmegaConf.select(config, "hydra.sweeper._target_", default=""))
    return target == "hydra._internal.core_plugins.basic_sweeper.BasicSweeper"


def _sweep_name(task: str, sweep_dir: Path, repo: Path) -> str:
    """``<app>:<sweep dir>`` (inside the project, relative to it), e.g. ``train:multirun/2024-05-01/12-00-00``:
    which app, and where its results are."""
    from .app_command import main_script, relative_inside

    script = main_script()
    app = (relative_inside(script, repo) or Path(script.name)).as_posix() if script is not None else task
    where = relative_inside(sweep_dir, repo)
    text = f"{app}:{where.as_posix() if where is not None else sweep_dir}"
    return re.sub(r"[^\w.\-/:]+", "_", text).strip("_") or "hydra"


def _job_argv(spec: Any, command: List[str], num: int) -> Any:
    """The job as planned (its label and parameters: the task overrides), run as the job module with its
    num; the overrides follow for people reading ``snaptui show``, the job reads its config file."""
    return dataclasses.replace(spec, argv=[*command, str(num), *spec.argv[1:]])
