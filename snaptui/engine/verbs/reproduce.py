"""`snaptui reproduce JOB`: run one job again, here and in the foreground, from its snapshot.

It runs with the job's whole environment: the launch's (the snapshot first on `PYTHONPATH`), the
profile's and the sweep's `env`, and snaptui's `SNAPTUI_*` variables with `SNAPTUI_JOB_DIR` and
`SNAPTUI_RESULT_FILE` in a folder of its own (`.submitit/reproduce/<sweep>.<job>-<time>/`), so a logger
pointed at `$SNAPTUI_JOB_DIR` writes there and never into the original job's folder. What it writes into
the worktree lands in the repository when it ends, as a job's does.
"""
from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path
from typing import Any, Protocol

from snaptui.engine.config.settings import stored_config
from snaptui.engine.executors.base import SUBMITIT_DIRNAME
from snaptui.engine.jobside.jobenv import command_environment, job_variables, task_scheduler_vars
from snaptui.engine.jobside.manifest import RESULT_NAME
from snaptui.engine.landing.land import land
from snaptui.engine.models import Job
from snaptui.engine.snapshot.housekeeping import ensure_worktree


class Console(Protocol):
    """Where a rerun prints: the face's console (rich's Console; the engine never imports rich)."""
    def print(self, *objects: Any, markup: bool | None = None, highlight: bool | None = None) -> None: ...


def reproduce_folder(engine: Any, job: Job) -> Path:
    """A new folder for this run: never the original job's."""
    stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime())
    base: Path = engine.repo_root / SUBMITIT_DIRNAME / "reproduce"
    for n in range(1, 1000):
        folder = base / (f"{job.sweep_id}.{job.index}-{stamp}" + (f"-{n}" if n > 1 else ""))
        try:
            folder.mkdir(parents=True, mode=0o700)
            return folder
        except FileExistsError:
            continue
    raise FileExistsError(f"no free folder under {base}")


def reproduce_command(engine: Any, job: Job, folder: Path) -> tuple[list[str], Path, dict[str, str]]:
    """argv, working directory and environment the job ran with (the worktree restored if needed), with
    `folder` as its job folder."""
    sweep = engine.sweep(job.sweep_id)
    code_dir = ensure_worktree(engine, sweep)
    # Like a job: the scheduler variables are those of wherever this runs (an salloc shell, say),
    # never the launching shell's.
    user_env = {**stored_config(sweep.config).profile.env, **sweep.spec.get("env", {})}
    env = command_environment(engine.store.sweep_env(sweep.id), task_scheduler_vars(os.environ, "slurm"), user_env)
    env.update(job_variables(folder, {"sweep_id": sweep.id, "job_index": job.index, "attempt": job.attempt.number}))
    env["SNAPTUI_REPRODUCE"] = f"{job.ref}"
    return job.argv, code_dir / (sweep.spec.get("workdir") or "."), env


def reproduce_job(engine: Any, job: Job, console: Console) -> int:
    folder = reproduce_folder(engine, job)
    argv, cwd, env = reproduce_command(engine, job, folder)
    sweep = engine.sweep(job.sweep_id)
    source = (f"snapshot {sweep.snapshot['branch']} ({sweep.snapshot['commit'][:10]})" if sweep.snapshot
              else "the repository itself (the sweep had no snapshot)")
    console.print(f"reproducing {job.ref} {job.label} from {source}\n  in {cwd}\n  job folder ($SNAPTUI_JOB_DIR) "
                  f"{folder}\n  $ {' '.join(argv)}", highlight=False, markup=False)
    try:
        code = subprocess.run(argv, cwd=cwd, env=env).returncode
    except OSError as exc:
        console.print(f"cannot run {argv[0]!r}: {exc}", markup=False)
        return 127
    except KeyboardInterrupt:
        code = 130
    if sweep.snapshot:
        try:
            landed = land(Path(sweep.snapshot["worktree"]), engine.repo_root, sweep.id)
            for note in landed.kept_notes():
                console.print(note, markup=False)
        except OSError as exc:
            console.print(f"what it wrote stays in the snapshot's worktree ({exc}); `snaptui snapshots gc` puts it "
                          f"in the repository", markup=False)
    try:
        results = json.loads((folder / RESULT_NAME).read_text())
        console.print(f"results: {json.dumps(results)}", markup=False, highlight=False)
    except (OSError, ValueError):
        pass
    return code
