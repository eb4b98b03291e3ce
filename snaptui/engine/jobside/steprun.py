"""What runs inside a job step of an allocation: `python -m snaptui.engine.jobside.steprun SPEC.pkl`.

The same attempt runner as a submitit job (runner.run_attempt), without submitit, whose job
folders assume one job per Slurm job id while every step of an allocation shares that id.
"""
from __future__ import annotations

import os
import pickle
import sys
from pathlib import Path

from .joblogs import log_files
from .runner import run_attempt


def main(spec_path: str) -> int:
    os.umask(0o077)
    path = Path(spec_path)
    with open(path, "rb") as handle:
        spec, executor_id = pickle.load(handle)
    folder = path.parent
    spec.manifest = {**spec.manifest, "allocation": os.environ.get("SLURM_JOB_ID"),
                     "step": os.environ.get("SLURM_STEP_ID")}  # what `scancel ID.STEP` needs
    state, code, reason, _ = run_attempt(spec, folder, executor_id, log_files(folder, executor_id)[0])
    if state != "COMPLETED":
        print(f"snaptui: job {state.lower()}: {reason}", file=sys.stderr, flush=True)
        return code if code and code > 0 else 128 + abs(code or 15)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
