"""What each job of a Hydra sweep runs, in the code the sweep launched (its snapshot):

    <python> -m hydra_plugins.snaptui_launcher.job <payload folder> <job num> [overrides, for people]

It does what submitit's launcher does in its jobs (restore Hydra's singletons, compose the job's
config, ``run_job`` the task function Hydra handed the launcher), so the task runs under snaptui's
job runner: its logs, states, cancel, resubmit and manifests are the engine's. Before unpickling
anything it puts the code's twins of the launching process's import path first, so modules the
task imports come from the snapshot; config folders are read there too, and the working directory
is the launch folder's twin. ``hydra.runtime.cwd`` (``get_original_cwd()``, ``to_absolute_path()``) stays the
launch folder, where the user's data is. A task that raises leaves its exception for the sweeper and fails the job.
"""
from __future__ import annotations

import copy
import os
import pickle
import sys
import traceback
from pathlib import Path
from typing import Any, List

COMMON = "common.pkl"


def in_code(entry: str, repo: Path, code: Path) -> str:
    """A path inside the project as its twin in the code, when the code has it. Folders a snapshot
    leaves out (a git-ignored ``.venv/`` or ``vendor/``) stay where they are: that is where the
    launching process found them."""
    try:
        rel = Path(entry or os.getcwd()).resolve().relative_to(repo)
    except ValueError:
        return entry
    twin = code / rel
    return str(twin) if twin.is_dir() else entry


def code_import_path(current: List[str], launched: List[str], repo: str, code: str) -> List[str]:
    """``launched`` (relative to the project root) first, then the job's own path, in the code."""
    repo_path, code_path = Path(repo), Path(code)
    front = [in_code(str(repo_path / rel), repo_path, code_path) for rel in launched]
    return list(dict.fromkeys(front + [in_code(entry, repo_path, code_path) for entry in current]))


def loader_in_code(loader: Any, repo: str, code: str) -> Any:
    """Hydra's config loader reading the config folders of the project from the code."""
    from hydra._internal.config_loader_impl import ConfigLoaderImpl

    search_path = copy.deepcopy(loader.get_search_path())
    for element in search_path.config_search_path:
        path = element.path or ""
        scheme = "file://" if path.startswith("file://") else "" if "://" not in path else None
        if scheme is not None and path:  # a folder, not pkg:// or structured://
            element.path = scheme + in_code(path[len(scheme):], Path(repo), Path(code))
    return ConfigLoaderImpl(config_search_path=search_path)


def task_in_code(reference: dict, code: str) -> Any:
    """The task function by name in the code the job runs: its main script loaded as ``__mp_main__`` (and
    seen as ``__main__``), as multiprocessing's spawn loads a child's main module, so that
    ``if __name__ == "__main__":`` does not run and ``_target_: __main__.X`` finds the script's X."""
    import importlib.util

    if reference["module"]:
        spec = importlib.util.find_spec(reference["module"])
        path = spec.origin if spec is not None else None
    else:
        path = str(Path(code) / reference["script"])
    if not path or not Path(path).is_file():
        raise RuntimeError(f"snaptui: the app's main script {reference['script']} is not in the code the job runs "
                           f"({code})")
    spec = importlib.util.spec_from_file_location("__mp_main__", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules["__mp_main__"] = sys.modules["__main__"] = module
    spec.loader.exec_module(module)
    found: Any = module
    for part in reference["qualname"].split("."):
        found = getattr(found, part, None)
    if not callable(found):
        raise RuntimeError(f"snaptui: {reference['script']} in the code the job runs ({code}) defines no "
                           f"{reference['qualname']}")
    return found  # Hydra's decorated main, called with a config, runs the task function itself


def restore_singletons(state: dict) -> None:
    """Hydra's singletons as the launch left them (``Singleton.set_state``, which discovers the plugins
    again). A job forked from a warm slot keeps the slot's discovery when the plugin folders are the same
    ones (``_slot_imports.py``): the same plugins, without running each plugin module again."""
    import hydra_plugins
    from hydra.core.plugins import Plugins
    from hydra.core.singleton import Singleton

    scanned = Singleton._instances.get(Plugins)
    if scanned is not None and getattr(scanned, "snaptui_scanned", None) == list(hydra_plugins.__path__):
        state = {**state, "instances": {**state["instances"], Plugins: scanned}}
    Singleton.set_state(state)


def main(argv: List[str]) -> int:
    folder, num = Path(argv[0]), int(argv[1])
    with open(folder / COMMON, "rb") as handle:
        where = pickle.load(handle)  # plain data: nothing of the app is imported yet
        code = os.environ.get("SNAPTUI_CODE_DIR") or where["repo"]
        sys.path[:] = code_import_path(sys.path, where["import_path"], where["repo"], code)
        common = pickle.load(handle)

    from hydra.core.utils import JobReturn, JobStatus, run_job, setup_globals
    from hydra.types import HydraContext
    from omegaconf import open_dict, read_write

    from .job_results import keep_return

    restore_singletons(common["singletons"])
    setup_globals()
    # Before composing: configs the main script registers (ConfigStore) are then the code's own.
    task_function = common["task_function"] or task_in_code(where["task"], code)
    context = HydraContext(config_loader=loader_in_code(common["hydra_context"].config_loader, where["repo"], code),
                           callbacks=common["hydra_context"].callbacks)
    try:
        config = context.config_loader.load_sweep_config(common["master_config"], where["overrides"][num])
    except Exception as exc:  # a bad override: the launcher raises it, as Hydra's own launchers do at launch
        keep_return(JobReturn(overrides=where["overrides"][num], status=JobStatus.FAILED, _return_value=exc))
        raise
    with read_write(config.hydra), open_dict(config.hydra):
        # As under submitit's launcher: the scheduler's job id (a local PID, a Slurm <array>_<task>).
        config.hydra.job.id = _scheduler_job_id() or str(num)
        config.hydra.job.num = num
        config.hydra.sweep.dir = where["sweep_dir"]  # absolute: the job works elsewhere than the launch
    with read_write(config.hydra.runtime):
        config.hydra.runtime.cwd = common["master_config"].hydra.runtime.cwd  # get_original_cwd(): the launch folder
    ret = run_job(hydra_context=context, task_function=task_function, config=config,
                  job_dir_key="hydra.sweep.dir", job_subdir_key="hydra.sweep.subdir")
    failed = ret.status != JobStatus.COMPLETED
    error = ret._return_value if failed else None
    keep_return(ret)
    if failed:
        traceback.print_exception(type(error), error, error.__traceback__, file=sys.stderr)
        sys.stderr.flush()
        return 1
    return 0


def _scheduler_job_id() -> str | None:
    try:
        import submitit
        return str(submitit.JobEnvironment().job_id)
    except (ImportError, RuntimeError):  # not in a submitit job (e.g. snaptui reproduce)
        return None


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
