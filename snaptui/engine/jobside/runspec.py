"""What one attempt runs (the RunSpec), apart from the runner that runs it: the launch and the agent build
specs without importing the runner and all it needs in the job (landing, the log pump, usage sampling)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class RunSpec:
    argv: list[str]
    cwd: str
    env: dict[str, str]
    result_pattern: str
    timeout_s: float | None = None       # enforced here for the local executor; Slurm enforces its own
    requeue_on_timeout: bool = False     # Slurm: let submitit checkpoint-and-requeue on its USR2 warning
    manifest: dict[str, Any] = field(default_factory=dict)  # static facts: sweep, job, snapshot, config
    # Plain defaults (no factories): a spec pickled by an older snaptui still unpickles and runs.
    scheduler: str = "slurm"             # whose variables in the task are the job's own (jobenv.py)
    user_env: dict[str, str] | None = None   # the profile's and the sweep's env, which win over the scheduler
    bound_env: dict[str, str] | None = None  # variables the executor binds itself (local GPUs)
    landing: dict[str, Any] | None = None    # {"worktree", "repo", "sweep"}: where what the job wrote lands
    preload: list[str] | None = None         # local: modules a warm slot imports once; jobs fork from it (warm.py)
