"""A job Slurm requeued (time limit with max_num_timeout, `scontrol requeue`, preemption, a failed node) runs
again under the same id, in the same folder, appending to the same log files (submitit's --open-mode=append).
Each run is an attempt of its own: when run N starts, the task moves what run N-1 left (its stdout and
stderr, its manifest) aside as `*.run<N-1>.*`, so every attempt's log is its own and stays readable, and
the new run's manifest carries the new attempt's number. The agent records the new attempt (store.requeue).
"""
from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path
from typing import Any, Mapping

from .joblogs import run_file
from .manifest import MANIFEST_NAME
from .taskreport import LOCK_NAME, _locked


def restart_count(environ: Mapping[str, str] | None = None) -> int:
    """How many times Slurm requeued this job before this run (0: its first)."""
    value = (os.environ if environ is None else environ).get("SLURM_RESTART_COUNT", "")
    return int(value) if value.isdigit() else 0


def manifest_of_run(folder: str | Path, run: int | None) -> Path:
    path = Path(folder or "") / MANIFEST_NAME
    return path if run is None else run_file(path, run)


def read_run_manifest(folder: str | Path | None, run: int | None) -> dict[str, Any] | None:
    """The manifest of one run of a job (None: its latest), or None."""
    if not folder:
        return None
    try:
        manifest = json.loads(manifest_of_run(folder, run).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return manifest if isinstance(manifest, dict) else None


def set_aside(folder: Path, log_paths: list[Path], restart: int) -> None:
    """Run `restart` starts: move run `restart - 1`'s manifest and this task's logs aside, once (the first
    task to get here moves the manifest; each task its own logs). The logs are copied and truncated in place:
    Slurm holds them open in append mode, so what this run writes lands at the new end."""
    earlier = restart - 1
    sys.stdout.flush()
    sys.stderr.flush()
    with _locked(folder / LOCK_NAME):
        manifest = folder / MANIFEST_NAME
        kept = run_file(manifest, earlier)
        if manifest.exists() and not kept.exists():
            os.replace(manifest, kept)
    for path in log_paths:
        kept = run_file(path, earlier)
        if kept.exists() or not path.exists():
            continue
        with open(path, "rb+") as source, open(kept, "wb") as target:
            shutil.copyfileobj(source, target)
            source.truncate(0)
