"""The snaptui Hydra launchers: a ``-m`` sweep becomes one snaptui sweep.

One ``launch()`` call (one batch of Hydra's sweeper) is one snaptui sweep: one git snapshot of the
working tree, one submission (one Slurm job array, or one queue for the local agent). As submitit's
launcher does, it runs the task function Hydra handed to ``setup()`` (so programmatic Hydra, the
conformance suites, hydra-zen and wrapper scripts run what they asked for), but each job runs it
through snaptui's job runner, in the snapshot: see ``job.py``. Each job's config is composed
in the job from the snapshot's config files (``mode: MULTIRUN``, only the user's overrides), with the
sweep folder as an absolute path: the job's working directory is the code's twin of the launch
folder, not the launch folder. The first job's config is composed here too, so a bad override fails
the launch before anything is submitted.

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

    def setup(self, *, hydra_context: HydraContext, task_function: TaskFunction, config: DictConfig) -> None:
        self.config = config
        self.hydra_context = hydra_context
        self.task_function = task_function

    def launch(self, job_overrides: Sequence[Sequence[str]], initial_job_idx: int) -> Sequence[JobReturn]:
        from hydra.core.utils import configure_log, filter_overrides, setup_globals

        from snaptui.engine.api import Engine

        from .app_command import import_path, job_folder, project_start
        from .payload import remove_payload, write_payload

        setup_globals()
        assert self.config is not None and self.hydra_context is not None
        configure_log(self.config.hydra.hydra_logging, self.config.hydra.verbose)
        if not job_overrides:
            return []
        cwd = Path(os.getcwd()).resolve()
        sweep_dir = Path(os.path.abspath(str(self.config.hydra.sweep.dir)))
        engine = Engine.discover(project_start(cwd), new_ok=True)
        repo = engine.repo_root
        profile, sets = profile_and_sets(self.params, self.executor, engine)
        name = _sweep_name(str(self.config.hydra.job.name))
        env = {str(k): str(v) for k, v in (self.params.get("env") or {}).items()}
        overrides = [list(o) for o in job_overrides]
        plan = engine.plan_jobs(name, [sys.executable], overrides, profile=profile, sets=sets, env=env)
        for note in plan.notes:
            log.info(f"snaptui: {note}")
        job_cwd = job_folder(repo, cwd, plan.config.snapshot.enabled)

        jobs = [PlannedJob(initial_job_idx + i, o) for i, o in enumerate(overrides)]
        self._compose(jobs[0], sweep_dir)  # a bad override fails here, before anything is submitted
        sweep_dir.mkdir(parents=True, exist_ok=True)
        payload = write_payload(sweep_dir, initial_job_idx, repo=repo, import_path=import_path(repo),
                                task_function=self.task_function, hydra_context=self.hydra_context,
                                master_config=self.config, overrides={job.num: job.overrides for job in jobs})
        command = [sys.executable, "-m", JOB_MODULE, str(payload)]
        plan.spec.command = command
        plan.spec.workdir = job_cwd.as_posix()
        plan.jobs = [_job_argv(spec, command, job.num) for spec, job in zip(plan.jobs, jobs)]
        log.info(f"snaptui: launching {len(jobs)} jobs on the {self.executor} executor, sweep dir {sweep_dir}")
        try:
            sweep = engine.launch(plan)
        except BaseException:
            remove_payload(payload)
            raise
        self._announce(sweep, jobs, filter_overrides)
        if not self.params.get("wait", True):
            sweeper = str(OmegaConf.select(self.config, "hydra.sweeper._target_", default=""))
            if not sweeper.endswith("BasicSweeper"):
                log.warning("snaptui: wait=false hands no results to the sweeper; optimising sweepers need "
                            "hydra.launcher.wait=true")
            log.info(f"snaptui: not waiting (hydra.launcher.wait=false); results will be in {sweep_dir}")
            return []
        wait(engine, sweep.id)
        return collect(engine, sweep.id, jobs, str(self.config.hydra.job.name), Path(sweep.workdir) / job_cwd,
                       lambda job: self._compose(job, sweep_dir))

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

    def _announce(self, sweep: Any, jobs: List[PlannedJob], filter_overrides: Any) -> None:
        where = f"profile {sweep.profile}, {sweep.executor} executor"
        if sweep.snapshot:
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
        log.info(f"snaptui: follow it with `snaptui status {sweep.id}` or `snaptui` (the TUI); "
                 f"cancel with `snaptui cancel {sweep.id}`")


class SnaptuiLocalLauncher(SnaptuiLauncher):
    executor = "local"


class SnaptuiSlurmLauncher(SnaptuiLauncher):
    executor = "slurm"


def _sweep_name(text: str) -> str:
    return re.sub(r"[^\w.\-]+", "_", text).strip("_") or "hydra"


def _job_argv(spec: Any, command: List[str], num: int) -> Any:
    """The job as planned (its label and parameters: the task overrides), run as the job module with its
    num; the overrides follow for people reading ``snaptui show``, the job reads its config file."""
    return dataclasses.replace(spec, argv=[*command, str(num), *spec.argv[1:]])
