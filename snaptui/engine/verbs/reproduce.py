"""`snaptui reproduce JOB`: run one job again, here and in the foreground, from its snapshot."""
from __future__ import annotations

import os
import subprocess
from pathlib import Path

from snaptui.engine.config.settings import stored_config
from snaptui.engine.snapshot.housekeeping import ensure_worktree
from snaptui.engine.jobside.jobenv import command_environment, task_scheduler_vars


def reproduce_command(engine, job) -> tuple[list[str], Path, dict[str, str]]:
    """argv, working directory and environment the job ran with (the worktree restored if needed)."""
    sweep = engine.sweep(job.sweep_id)
    code_dir = ensure_worktree(engine, sweep)
    # Like a job: the scheduler variables are those of wherever this runs (an salloc shell, say),
    # never the launching shell's.
    user_env = {**stored_config(sweep.config).profile.env, **sweep.spec.get("env", {})}
    env = command_environment(engine.store.sweep_env(sweep.id), task_scheduler_vars(os.environ, "slurm"), user_env)
    env["SNAPTUI_REPRODUCE"] = f"{job.ref}"
    return job.argv, code_dir / (sweep.spec.get("workdir") or "."), env


def reproduce_job(engine, job, console) -> int:
    argv, cwd, env = reproduce_command(engine, job)
    sweep = engine.sweep(job.sweep_id)
    source = (f"snapshot {sweep.snapshot['branch']} ({sweep.snapshot['commit'][:10]})" if sweep.snapshot
              else "the repository itself (the sweep had no snapshot)")
    console.print(f"reproducing {job.ref} {job.label} from {source}\n  in {cwd}\n  $ {' '.join(argv)}",
                  highlight=False, markup=False)
    try:
        return subprocess.run(argv, cwd=cwd, env=env).returncode
    except OSError as exc:
        console.print(f"cannot run {argv[0]!r}: {exc}", markup=False)
        return 127
    except KeyboardInterrupt:
        return 130
