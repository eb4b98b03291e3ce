"""What each job of a Hydra sweep runs, in the code the sweep launched (its snapshot):

    <python> -m hydra_plugins.snaptui_launcher.job <launch folder> <job num> [overrides, for people]

It does what submitit's launcher does in its jobs (restore Hydra's singletons, ``run_job`` the
task function Hydra handed the launcher, with the job's config), so the task runs under snaptui's
job runner: its logs, states, cancel, resubmit and manifests are the engine's. Before unpickling
anything it puts the code's twins of the launching process's import path first, so modules the
task imports come from the snapshot, and the working directory is the launch folder's twin there;
``hydra.runtime.cwd`` (``get_original_cwd()``, ``to_absolute_path()``) stays the launch folder, where
the user's data is. A task that raises leaves its exception for the sweeper and fails the job.
"""
from __future__ import annotations

import os
import pickle
import sys
import traceback
from pathlib import Path
from typing import List

COMMON = "common.pkl"


def job_file(num: int) -> str:
    return f"{num}.pkl"


def code_import_path(current: List[str], launched: List[str], repo: str, code: str) -> List[str]:
    """``launched`` (relative to the project root) first, then the job's own path; an entry inside the
    project becomes its twin in the code when the code has it. Folders a snapshot leaves out (a
    git-ignored ``.venv/`` or ``vendor/`` inside the project) stay where they are: that is where the
    launching process found them."""
    repo_path, code_path = Path(repo), Path(code)

    def in_code(entry: str) -> str:
        try:
            rel = Path(entry or os.getcwd()).resolve().relative_to(repo_path)
        except ValueError:
            return entry
        twin = code_path / rel
        return str(twin) if twin.is_dir() else entry

    front = [in_code(str(repo_path / rel)) for rel in launched]
    return list(dict.fromkeys(front + [in_code(entry) for entry in current]))


def main(argv: List[str]) -> int:
    folder, num = Path(argv[0]), int(argv[1])
    with open(folder / COMMON, "rb") as handle:
        where = pickle.load(handle)  # plain data: nothing of the app is imported yet
        code = os.environ.get("SNAPTUI_CODE_DIR") or where["repo"]
        sys.path[:] = code_import_path(sys.path, where["import_path"], where["repo"], code)
        common = pickle.load(handle)
    with open(folder / job_file(num), "rb") as handle:
        config = pickle.load(handle)

    from hydra.core.singleton import Singleton
    from hydra.core.utils import JobStatus, run_job, setup_globals

    from .job_results import keep_return

    Singleton.set_state(common["singletons"])
    setup_globals()
    job_id = _scheduler_job_id()
    if job_id:  # as under submitit's launcher: the scheduler's id (a local PID, a Slurm <array>_<task>)
        from omegaconf import open_dict, read_write
        with read_write(config.hydra.job), open_dict(config.hydra.job):
            config.hydra.job.id = job_id
    ret = run_job(hydra_context=common["hydra_context"], task_function=common["task_function"], config=config,
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
    except Exception:  # not in a submitit job (e.g. snaptui reproduce)
        return None


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
