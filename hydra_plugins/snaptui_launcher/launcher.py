"""The snaptui Hydra launchers: a ``-m`` sweep becomes one snaptui sweep.

One ``launch()`` call (one batch of Hydra's sweeper) is one snaptui sweep: one git snapshot of the
working tree, one submission (one Slurm job array, or one queue for the local agent). Each job
re-runs the user's app as a plain single Hydra run in the snapshot's worktree, with its overrides
and the output directory Hydra's multirun would have given it::

    <python> <app script, relative to the launch directory> [--config-name/-path/-dir as given]
        <job overrides> <hydra overrides of the command line>
        hydra.sweep.dir=<abs sweep dir> hydra.run.dir=<abs sweep dir>/<subdir>
        hydra.job.num=N hydra.job.id=N hydra.mode=RUN
        ++hydra.callbacks.snaptui_return._target_=...ReturnValueCallback

The job's working directory is the launch directory's twin inside the worktree, so code, configs
and relative paths come from the snapshot; the output directories are absolute paths in the
original repository, so ``multirun/DATE/TIME/N/.hydra/`` lands where Hydra puts it. A task that
raises makes the run exit 1 (Hydra prints the traceback to the job's stderr): the job is FAILED.

snaptui itself is imported only when a launch happens: Hydra imports every plugin module of the
environment on each start of any Hydra app.
"""
from __future__ import annotations

import logging
from abc import abstractmethod
import os
import pickle
import re
import sys
import time
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple

from hydra.core.utils import JobReturn, JobStatus
from hydra.plugins.launcher import Launcher
from hydra.types import HydraContext, TaskFunction
from omegaconf import DictConfig, ListConfig, OmegaConf

from . import config as _config  # noqa: F401  (registers the configs when only this module is imported)

log = logging.getLogger(__name__)

CALLBACK = "hydra_plugins.snaptui_launcher._job_callback.ReturnValueCallback"
RETURN_FILE = "hydra_return.pkl"
POLL_S = 1.0
REFRESH_S = 15.0
ERR_TAIL_LINES = 20
# Hydra settings every job gets from the launcher; the user's own values for them are dropped.
FORCED_KEYS = ("hydra.mode", "hydra.run.dir", "hydra.sweep.dir", "hydra.sweep.subdir",
               "hydra.job.num", "hydra.job.id")
# The sweeper's overrides may hold sweep syntax (e.g. interval(0,1)), which a single run refuses.
DROPPED_PREFIXES = ("hydra.sweeper.",)
# Hydra launcher field -> snaptui profile key. Only fields that are set (not None) are applied.
COMMON_FIELDS = {"timeout_min": "timeout_min"}
LOCAL_FIELDS = {"max_parallel_jobs": "max_parallel_jobs"}
SLURM_FIELDS = {
    "cpus_per_task": "cpus_per_task", "gpus_per_node": "gpus_per_node", "tasks_per_node": "tasks_per_node",
    "mem_gb": "mem_gb", "nodes": "nodes", "name": "job_name", "partition": "partition", "qos": "qos",
    "comment": "comment", "constraint": "constraint", "exclude": "exclude", "gres": "gres",
    "cpus_per_gpu": "cpus_per_gpu", "gpus_per_task": "gpus_per_task", "mem_per_gpu": "mem_per_gpu",
    "mem_per_cpu": "mem_per_cpu", "account": "account", "signal_delay_s": "signal_delay_s",
    "max_num_timeout": "max_num_timeout", "additional_parameters": "additional_parameters",
    "array_parallelism": "array_parallelism", "setup": "setup", "srun_args": "srun_args",
}
# Accepted on snaptui_local for compatibility with submitit_local, but meaningless there.
LOCAL_IGNORED = ("cpus_per_task", "gpus_per_node", "tasks_per_node", "mem_gb", "nodes", "name")
SNAPSHOT_FIELDS = ("enabled", "branch_prefix", "symlink_paths", "push_to_remote")


class SnaptuiJobError(RuntimeError):
    """What a failed job's ``JobReturn.return_value`` raises (Hydra's sweeper re-raises it)."""


class SnaptuiLauncher(Launcher):
    @property
    @abstractmethod
    def executor(self) -> str:
        """``local`` or ``slurm``: which snaptui executor this launcher submits to."""

    def __init__(self, **params: Any) -> None:
        super().__init__()
        self.params = {k: _plain(v) for k, v in params.items()}
        self.config: Optional[DictConfig] = None
        self.task_function: Optional[TaskFunction] = None
        self.hydra_context: Optional[HydraContext] = None

    def setup(self, *, hydra_context: HydraContext, task_function: TaskFunction, config: DictConfig) -> None:
        self.config = config
        self.hydra_context = hydra_context
        self.task_function = task_function

    # ------------------------------------------------------------------------------ launch
    def launch(self, job_overrides: Sequence[Sequence[str]], initial_job_idx: int) -> Sequence[JobReturn]:
        from hydra.core.utils import configure_log, filter_overrides, setup_globals

        from snaptui.engine.api import Engine

        setup_globals()
        assert self.config is not None and self.hydra_context is not None
        configure_log(self.config.hydra.hydra_logging, self.config.hydra.verbose)
        if not job_overrides:
            return []
        cwd = Path(os.getcwd()).resolve()
        sweep_dir = Path(os.path.abspath(str(self.config.hydra.sweep.dir)))
        sweep_dir.mkdir(parents=True, exist_ok=True)

        app = describe_app()
        engine = Engine.discover(app.repo_hint or cwd)
        repo = engine.repo_root
        job_cwd = _relative_inside(cwd, repo)
        if job_cwd is None:
            log.warning(f"snaptui: {cwd} is outside the repository {repo}; jobs run in the snapshot's top "
                        "directory, so relative paths resolve there")
            job_cwd = Path(".")
        snapshot_enabled = (self.params.get("snapshot") or {}).get("enabled")
        if snapshot_enabled is None:
            snapshot_enabled = engine.project.data["snapshot"]["enabled"]
        if snapshot_enabled and job_cwd != Path(".") and not _in_snapshot(repo, job_cwd):
            # git keeps no empty or ignored directories: the snapshot would not have this one.
            parent = next(p for p in job_cwd.parents if p == Path(".") or _in_snapshot(repo, p))
            log.warning(f"snaptui: {cwd} holds no file git would snapshot; jobs run in "
                        f"{(repo / parent)}'s twin in the snapshot instead")
            job_cwd = parent
        command = [sys.executable, *app.argv(repo, repo / job_cwd)]
        if app.outside_repo:
            log.warning(f"snaptui: {app.script} is outside the repository {repo}: it is not part of the snapshot")

        hydra_overrides = self._hydra_overrides()
        raw_subdir = OmegaConf.to_container(self.config.hydra.sweep, resolve=False).get("subdir")
        jobs: List[Tuple[int, List[str], Path]] = []
        for i, overrides in enumerate(job_overrides):
            num = initial_job_idx + i
            subdir = str(num) if raw_subdir == "${hydra.job.num}" else self._subdir(list(overrides), num)
            jobs.append((num, list(overrides), sweep_dir / subdir))

        profile, sets = self._profile_and_sets(engine)
        name = _sweep_name(str(self.config.hydra.job.name))
        env = {str(k): str(v) for k, v in (self.params.get("env") or {}).items()}
        plan = engine.plan_jobs(name, command, [o for _, o, _ in jobs], profile=profile, sets=sets, env=env)
        plan.spec.workdir = job_cwd.as_posix()
        plan.jobs = [_with_extra(spec, [*hydra_overrides, *_forced(sweep_dir, run_dir, num)])
                     for spec, (num, _, run_dir) in zip(plan.jobs, jobs)]
        log.info(f"snaptui: launching {len(jobs)} jobs on the {self.executor} executor, sweep dir {sweep_dir}")
        sweep = engine.launch(plan)

        where = f"profile {sweep.profile}, {sweep.executor} executor"
        if sweep.snapshot:
            snap = sweep.snapshot
            log.info(f"snaptui sweep {sweep.id} '{sweep.name}': {len(jobs)} jobs ({where}) on snapshot "
                     f"{snap['branch']} ({snap['commit'][:10]})")
            for warning in snap.get("warnings") or []:
                log.warning(f"snaptui: {warning}")
        else:
            log.info(f"snaptui sweep {sweep.id} '{sweep.name}': {len(jobs)} jobs ({where}) on the live "
                     "repository (no snapshot)")
        for num, overrides, _ in jobs:
            log.info(f"\t#{num} : {' '.join(filter_overrides(overrides))}")
        log.info(f"snaptui: follow it with `snaptui status {sweep.id}` or `snaptui` (the TUI); "
                 f"cancel with `snaptui cancel {sweep.id}`")

        if not self.params.get("wait", True):
            sweeper = str(OmegaConf.select(self.config, "hydra.sweeper._target_", default=""))
            if not sweeper.endswith("BasicSweeper"):
                log.warning("snaptui: wait=false hands no results to the sweeper; optimising sweepers need "
                            "hydra.launcher.wait=true")
            log.info(f"snaptui: not waiting (hydra.launcher.wait=false); results will be in {sweep_dir}")
            return []
        self._wait(engine, sweep.id)
        return self._returns(engine, sweep.id, jobs, Path(sweep.workdir) / job_cwd)

    # ------------------------------------------------------------------------------ pieces
    def _hydra_overrides(self) -> List[str]:
        """The command line's hydra overrides (e.g. hydra.job.chdir, hydra/job_logging), for every job."""
        from hydra.core.override_parser.overrides_parser import OverridesParser

        assert self.config is not None
        lines = [str(x) for x in OmegaConf.to_container(self.config.hydra.overrides.hydra, resolve=False)]
        parsed = OverridesParser.create().parse_overrides(lines)
        kept = []
        for override in parsed:
            key = override.key_or_group
            if key in FORCED_KEYS or key.startswith(DROPPED_PREFIXES):
                continue
            kept.append(override.input_line)
        return kept

    def _subdir(self, overrides: List[str], num: int) -> str:
        """A custom hydra.sweep.subdir (e.g. ${hydra.job.override_dirname}), resolved as Hydra's own
        launchers do: on the job's composed config."""
        from hydra.core.hydra_config import HydraConfig
        from omegaconf import open_dict

        assert self.config is not None and self.hydra_context is not None
        sweep_config = self.hydra_context.config_loader.load_sweep_config(self.config, overrides)
        with open_dict(sweep_config):
            sweep_config.hydra.job.id = num
            sweep_config.hydra.job.num = num
        previous = HydraConfig.instance().cfg
        HydraConfig.instance().set_config(sweep_config)
        try:
            return str(OmegaConf.select(sweep_config, "hydra.sweep.subdir"))
        finally:
            if previous is not None:
                HydraConfig.instance().cfg = previous

    def _profile_and_sets(self, engine: Any) -> Tuple[str, List[str]]:
        from snaptui.engine.errors import ConfigError

        kind = self.executor
        profiles = engine.project.profiles

        def kind_of(name: str) -> str:
            return profiles.get(name, {}).get("executor", "local")

        profile = self.params.get("profile")
        if profile:
            if profile not in profiles:
                raise ConfigError.single("hydra.launcher.profile", profile, "no such profile in snaptui.toml",
                                         hint=f"profiles: {', '.join(sorted(profiles))}")
            if kind_of(profile) != kind:
                raise ConfigError.single("hydra.launcher.profile", profile,
                                         f"uses the {kind_of(profile)} executor, not {kind}",
                                         hint=f"use hydra/launcher=snaptui_{kind_of(profile)}")
        else:
            candidates = [os.environ.get("SNAPTUI_PROFILE"), engine.project.data["defaults"]["profile"], kind]
            profile = next((p for p in candidates if p and p in profiles and kind_of(p) == kind), None)
            if profile is None:  # no profile of this kind: start from the default one, switched over
                profile = engine.project.data["defaults"]["profile"]
        sets = [f"executor={_toml(kind)}"]
        fields = dict(COMMON_FIELDS, **(SLURM_FIELDS if kind == "slurm" else LOCAL_FIELDS))
        for field_name, key in fields.items():
            value = self.params.get(field_name)
            if value is None or value == {} or value == []:
                continue
            sets.append(f"{key}={_toml(value)}")
        if kind == "local":
            ignored = [f for f in LOCAL_IGNORED if self.params.get(f) is not None]
            if ignored:
                log.warning(f"snaptui: {', '.join(ignored)} mean nothing to the local executor; ignored")
        snapshot = self.params.get("snapshot") or {}
        for field_name in SNAPSHOT_FIELDS:
            if snapshot.get(field_name) is not None:
                sets.append(f"snapshot.{field_name}={_toml(snapshot[field_name])}")
        return profile, sets

    def _wait(self, engine: Any, sweep_id: int) -> None:
        last = None
        last_refresh = time.monotonic()
        try:
            while True:
                sweep = engine.sweep(sweep_id)
                line = _progress(sweep)
                if line != last:
                    log.info(f"snaptui sweep {sweep_id}: {line}")
                    last = line
                if not sweep.is_active:
                    return
                if time.monotonic() - last_refresh > REFRESH_S:
                    engine.refresh()  # makes sure the agent still runs
                    last_refresh = time.monotonic()
                time.sleep(POLL_S)
        except KeyboardInterrupt:
            log.warning(f"snaptui: stopped waiting; the jobs keep running: `snaptui status {sweep_id}`, "
                        f"`snaptui cancel {sweep_id}`")
            raise

    def _returns(self, engine: Any, sweep_id: int, jobs: List[Tuple[int, List[str], Path]],
                 job_cwd: Path) -> List[JobReturn]:
        from snaptui.engine.states import JobState

        assert self.config is not None
        output_subdir = self.config.hydra.output_subdir
        by_index = {job.index: job for job in engine.jobs(sweep_id)}
        failed = sum(1 for job in by_index.values() if job.state != JobState.COMPLETED)
        if failed:
            log.error(f"snaptui sweep {sweep_id}: {failed} of {len(by_index)} jobs did not complete "
                      f"(`snaptui status {sweep_id}`, `snaptui resubmit {sweep_id} --failed`)")
        returns = []
        for index, (num, overrides, run_dir) in enumerate(jobs):
            job = by_index[index]
            ret = JobReturn(overrides=overrides, task_name=str(self.config.hydra.job.name))
            hydra_dir = run_dir / str(output_subdir) if output_subdir is not None else None
            ret.cfg = _load_yaml(hydra_dir / "config.yaml") if hydra_dir else None
            ret.hydra_cfg = _load_yaml(hydra_dir / "hydra.yaml") if hydra_dir else None
            chdir = OmegaConf.select(ret.hydra_cfg, "hydra.job.chdir") if ret.hydra_cfg is not None else False
            ret.working_dir = str(run_dir if chdir else job_cwd)
            if job.state == JobState.COMPLETED:
                ret.status = JobStatus.COMPLETED
                ret.return_value = _return_value(job.attempt)
            else:
                ret.status = JobStatus.FAILED
                ret.return_value = SnaptuiJobError(_failure_message(engine, job, num, overrides, failed))
            returns.append(ret)
        return returns


class SnaptuiLocalLauncher(SnaptuiLauncher):
    executor = "local"


class SnaptuiSlurmLauncher(SnaptuiLauncher):
    executor = "slurm"


# ---------------------------------------------------------------------------------- the app's command

class AppCommand:
    """How the running app was started, so each job can start it the same way."""

    def __init__(self, module: Optional[str], script: Optional[Path], flags: List[Tuple[str, str]]):
        self.module = module
        self.script = script
        self.flags = flags  # (--config-path|--config-name|--config-dir, value)
        self.outside_repo = False  # set by argv(): the script is not in the repository

    @property
    def repo_hint(self) -> Optional[Path]:
        if self.module is None and self.script is not None and self.script.exists():
            return self.script.parent
        return None

    def argv(self, repo: Path, cwd: Path) -> List[str]:
        """The interpreter's arguments, with paths inside the repository relative to ``cwd`` (whose twin
        in the worktree is the job's working directory), so they resolve in the snapshot."""
        if self.module is not None:
            head = ["-m", self.module]
        else:
            assert self.script is not None
            inside = _relative_inside(self.script, repo)
            self.outside_repo = inside is None
            head = [str(self.script) if inside is None else os.path.relpath(self.script, cwd)]
        flags = []
        for flag, value in self.flags:
            if flag == "--config-dir" or (flag == "--config-path" and os.path.isabs(value)):
                path = Path(os.path.abspath(value)).resolve()
                if _relative_inside(path, repo) is not None:
                    base = cwd if flag == "--config-dir" else (self.script.parent if self.script else cwd)
                    value = os.path.relpath(path, base)
            flags += [flag, value]
        return head + flags


def describe_app() -> AppCommand:
    """The running app: ``python app.py`` or ``python -m pkg.app``, and the config flags it was given."""
    from hydra._internal.utils import get_args_parser

    main = sys.modules.get("__main__")
    spec = getattr(main, "__spec__", None)
    module = spec.name if spec is not None and spec.name not in (None, "__main__") else None
    script = None if module else Path(os.path.abspath(sys.argv[0])).resolve()
    try:
        args, _ = get_args_parser().parse_known_args(sys.argv[1:])
    except SystemExit:  # pragma: no cover - Hydra parsed the same arguments before us
        args = None
    flags = []
    for attr, flag in (("config_path", "--config-path"), ("config_name", "--config-name"),
                       ("config_dir", "--config-dir")):
        value = getattr(args, attr, None) if args is not None else None
        if value is not None:
            flags.append((flag, str(value)))
    return AppCommand(module, script, flags)


# ---------------------------------------------------------------------------------- helpers

def _plain(value: Any) -> Any:
    if isinstance(value, (DictConfig, ListConfig)):
        return OmegaConf.to_container(value, resolve=True)
    return value


def _relative_inside(path: Path, root: Path) -> Optional[Path]:
    try:
        return Path(path).resolve().relative_to(Path(root).resolve())
    except ValueError:
        return None


def _in_snapshot(repo: Path, rel: Path) -> bool:
    """Whether a snapshot of the working tree would contain this directory (a tracked or untracked,
    not ignored, file under it)."""
    import subprocess

    result = subprocess.run(["git", "-C", str(repo), "ls-files", "--cached", "--others", "--exclude-standard",
                             "--", rel.as_posix()], capture_output=True, text=True)
    return result.returncode != 0 or bool(result.stdout.strip())


def _sweep_name(text: str) -> str:
    return re.sub(r"[^\w.\-]+", "_", text).strip("_") or "hydra"


_BARE = re.compile(r"^[\w/.\-:+@%~]+$")


def _hydra_quote(value: str) -> str:
    """A value for Hydra's override grammar: bare when safe, else single-quoted."""
    if _BARE.match(value):
        return value
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _forced(sweep_dir: Path, run_dir: Path, num: int) -> List[str]:
    return [f"hydra.sweep.dir={_hydra_quote(str(sweep_dir))}", f"hydra.run.dir={_hydra_quote(str(run_dir))}",
            f"hydra.job.num={num}", f"hydra.job.id={num}", "hydra.mode=RUN",
            f"++hydra.callbacks.snaptui_return._target_={CALLBACK}"]


def _with_extra(spec: Any, extra: List[str]) -> Any:
    """The job as planned (its label and parameters: the task overrides only), plus Hydra settings."""
    from snaptui.engine.sweep import JobSpec

    return JobSpec(spec.index, spec.params, spec.varying, [*spec.argv, *extra])


def _toml(value: Any) -> str:
    """A value as TOML, for snaptui's ``key=value`` settings."""
    import json

    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(str(k))} = {_toml(v)}" for k, v in value.items()) + "}"
    raise TypeError(f"cannot pass {value!r} to snaptui")


def _progress(sweep: Any) -> str:
    from snaptui.engine.states import STATE_ORDER

    parts = [f"{n} {state.value.lower()}" for state in STATE_ORDER if (n := sweep.counts.get(state, 0))]
    done = sum(n for state, n in sweep.counts.items() if state.is_final)
    return f"{done}/{sweep.total} done ({', '.join(parts)})"


def _load_yaml(path: Path) -> Optional[DictConfig]:
    try:
        loaded = OmegaConf.load(path)
    except Exception:
        return None
    return loaded if isinstance(loaded, DictConfig) else None


def _return_value(attempt: Any) -> Any:
    """The task function's return value (kept by the job's callback), else the job's results, else None."""
    value = None
    if attempt.log_dir:
        try:
            with open(Path(attempt.log_dir) / RETURN_FILE, "rb") as handle:
                value = pickle.load(handle)
        except Exception:
            value = None
    if value is None and attempt.results:
        return dict(attempt.results)
    return value


def _failure_message(engine: Any, job: Any, num: int, overrides: List[str], failed: int) -> str:
    attempt = job.attempt
    reason = attempt.reason or (f"exit code {attempt.exit_code}" if attempt.exit_code is not None else "")
    lines = [f"snaptui job {job.ref} (Hydra job #{num}: {' '.join(overrides)}) {attempt.state.value}"
             + (f": {reason}" if reason else "")
             + (f" (and {failed - 1} more: snaptui status {job.sweep_id})" if failed > 1 else "")]
    _, err = engine.log_paths(job)
    if err is not None:
        lines.append(f"  log: {err} (snaptui logs {job.ref} --err)")
        try:
            tail = err.read_text(encoding="utf-8", errors="replace").splitlines()[-ERR_TAIL_LINES:]
        except OSError:
            tail = []
        if tail:
            lines.append("  its last lines:")
            lines += [f"    {line}" for line in tail]
    return "\n".join(lines)
