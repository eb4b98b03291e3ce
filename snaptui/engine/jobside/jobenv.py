"""The environment a job's command sees, and the one a launch hands to the scheduler.

Precedence, lowest first:
1. the launching shell's environment, without scheduler-owned variables (an `salloc` shell's
   SLURM_JOB_ID, a login node's CUDA_VISIBLE_DEVICES must never reach a job);
2. the task's own scheduler variables, as Slurm, submitit or snaptui's local executor set them
   in the task (SLURM_PROCID, SUBMITIT_LOCAL_JOB_ID, the GPUs Slurm bound, ...);
3. the profile's `env`, then the sweep's `env` (what the user wrote wins over everything);
4. snaptui's own SNAPTUI_* variables.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Mapping

from snaptui.engine.procs import current_umask

# Variables a scheduler sets for an allocation, a job, a step or a task.
SCHEDULER_PREFIXES = ("SLURM_", "SLURMD_", "SRUN_", "SUBMITIT_", "PMI_", "PMIX_")
# How a scheduler tells a program which GPUs are its own.
GPU_BINDING = ("CUDA_VISIBLE_DEVICES", "GPU_DEVICE_ORDINAL", "ROCR_VISIBLE_DEVICES", "HIP_VISIBLE_DEVICES",
               "ZE_AFFINITY_MASK")
# SLURM_-named settings that are the user's (where the cluster's configuration is), not an allocation's.
USER_SETTINGS = frozenset({"SLURM_CONF"})


def scheduler_owned(name: str) -> bool:
    if name in USER_SETTINGS:
        return False
    return name.startswith(SCHEDULER_PREFIXES) or name in GPU_BINDING


def without_scheduler_vars(env: Mapping[str, str]) -> dict[str, str]:
    return {k: v for k, v in env.items() if not scheduler_owned(k)}


def task_scheduler_vars(environ: Mapping[str, str], scheduler: str) -> dict[str, str]:
    """What the scheduler set in this task. On Slurm that is every scheduler-owned variable (sbatch
    was started with none of the launching shell's, see `submission_unset`). Locally, the task
    inherits the agent's environment, so only submitit's own variables are the task's; GPUs come
    from the local executor's assignment instead of submitit's blanket CUDA_VISIBLE_DEVICES=""."""
    if scheduler == "local":
        return {k: v for k, v in environ.items() if k.startswith("SUBMITIT_")}
    return {k: v for k, v in environ.items() if scheduler_owned(k) or k in USER_SETTINGS}


def command_environment(launch_env: Mapping[str, str], task_vars: Mapping[str, str],
                        user_env: Mapping[str, str]) -> dict[str, str]:
    """Layers 1-3 of the module's precedence (the runner adds SNAPTUI_* last)."""
    env = without_scheduler_vars(launch_env)
    env.update(task_vars)
    env.update(user_env)
    return env


def submission_unset(environ: Mapping[str, str]) -> list[str]:
    """Variables to remove from sbatch's own environment. sbatch exports its whole environment to
    the job, so an `salloc` shell's SLURM_NTASKS or SLURM_JOB_ID would reach the job's srun and
    its tasks. SBATCH_*/SALLOC_* stay: Slurm never sets them, users set them (SBATCH_ACCOUNT)."""
    return sorted(k for k in environ if scheduler_owned(k))


def job_environment(base: dict[str, str], repo_root: Path, workdir: Path, extra: Mapping[str, str]) -> dict[str, str]:
    """The launching shell's environment, with the snapshot first on the import path.

    PYTHONPATH entries inside the repository are redirected to the snapshot, so an
    import never reaches the live, still-edited code; a folder the snapshot left out
    (git-ignored, e.g. a vendored library, linked into the worktree) keeps its live path,
    so the job imports what it would without snaptui.
    """
    env = dict(base)
    env.update(extra)
    entries = [e for e in env.get("PYTHONPATH", "").split(os.pathsep) if e]
    redirected = []
    real_code = workdir.resolve()
    for entry in entries:
        path = Path(entry).resolve() if Path(entry).is_absolute() else None
        if path is not None and workdir != repo_root and (path == repo_root or repo_root in path.parents):
            twin = workdir / path.relative_to(repo_root)
            # a twin that is a link back into the repository (ignored, linked) is the live folder anyway
            real_twin = twin.resolve()
            if twin.exists() and (real_twin == real_code or real_code in real_twin.parents):
                entry = str(twin)
        redirected.append(entry)
    front = [str(workdir)] + ([str(workdir / "src")] if (workdir / "src").is_dir() else [])
    env["PYTHONPATH"] = os.pathsep.join(dict.fromkeys(front + redirected))
    env["SNAPTUI_REPO"] = str(repo_root)
    env["SNAPTUI_UMASK"] = oct(current_umask())  # restored for the command, which snaptui runs privately
    env["SNAPTUI_CODE_DIR"] = str(workdir)
    return env


def job_variables(folder: Path, manifest: Mapping[str, Any]) -> dict[str, str]:
    """snaptui's own variables for one attempt (layer 4), its folder being `folder`."""
    from .manifest import RESULT_NAME
    return {"SNAPTUI_RESULT_FILE": str(Path(folder) / RESULT_NAME), "SNAPTUI_JOB_DIR": str(folder),
            "PYTHONUNBUFFERED": "1", "SNAPTUI_SWEEP_ID": str(manifest.get("sweep_id", "")),
            "SNAPTUI_JOB_INDEX": str(manifest.get("job_index", "")),
            "SNAPTUI_ATTEMPT": str(manifest.get("attempt", ""))}
