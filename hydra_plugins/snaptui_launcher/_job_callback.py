"""Runs inside each job (added to the job's command line as a Hydra callback, never by the user).

After the task function returns, it keeps the return value where the launcher finds it:
  * pickled to ``$SNAPTUI_JOB_DIR/hydra_return.pkl`` (the attempt's log folder), which the
    waiting launcher hands to Hydra's sweeper as ``JobReturn.return_value`` (optimisation
    sweepers such as Optuna need it);
  * scalars into ``$SNAPTUI_RESULT_FILE`` (merged with what the task itself wrote there), so the
    TUI and ``snaptui results`` show them: a number/string/bool as ``return_value``, a flat dict's
    scalar entries under their own names.
Outside a snaptui job (no such variables, e.g. ``snaptui reproduce``) it does nothing. It never
fails the job: Hydra turns an exception in a callback into a warning.
"""
from __future__ import annotations

import json
import os
import pickle
from pathlib import Path
from typing import Any

from hydra.core.utils import JobReturn, JobStatus
from hydra.experimental.callback import Callback

RETURN_FILE = "hydra_return.pkl"
SCALARS = (int, float, str, bool)


def _write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def _scalar_results(value: Any) -> dict[str, Any]:
    if isinstance(value, SCALARS):
        return {"return_value": value}
    try:
        from omegaconf import DictConfig, OmegaConf
        if isinstance(value, DictConfig):
            value = OmegaConf.to_container(value, resolve=True)
    except ImportError:  # pragma: no cover - hydra always has omegaconf
        pass
    if isinstance(value, dict):
        return {str(k): v for k, v in value.items() if isinstance(v, SCALARS)}
    try:  # numpy / torch scalars
        item = value.item()
        if isinstance(item, SCALARS):
            return {"return_value": item}
    except Exception:
        pass
    return {}


class ReturnValueCallback(Callback):
    def on_job_end(self, config: Any, job_return: JobReturn, **kwargs: Any) -> None:
        if job_return.status != JobStatus.COMPLETED:
            return  # Hydra prints the traceback and exits 1: the job is FAILED
        value = job_return._return_value
        job_dir = os.environ.get("SNAPTUI_JOB_DIR")
        if job_dir:
            try:
                _write_atomic(Path(job_dir) / RETURN_FILE, pickle.dumps(value))
            except Exception as exc:  # unpicklable: the launcher falls back to the results
                print(f"snaptui: the task's return value is not picklable ({exc}); "
                      "the launcher returns the job's results instead", flush=True)
        result_file = os.environ.get("SNAPTUI_RESULT_FILE")
        scalars = _scalar_results(value) if value is not None else {}
        if result_file and scalars:
            path = Path(result_file)
            try:
                existing = json.loads(path.read_text(encoding="utf-8"))
                if not isinstance(existing, dict):
                    existing = {}
            except (OSError, ValueError):
                existing = {}
            _write_atomic(path, json.dumps({**scalars, **existing}).encode())
