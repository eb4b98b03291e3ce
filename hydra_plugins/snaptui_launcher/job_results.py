"""What a job hands back: its ``JobReturn`` for the launcher, and its scalars for snaptui's results.

  * the whole ``JobReturn`` (config, Hydra config, return value or the app's own exception) is
    cloudpickled to ``$SNAPTUI_JOB_DIR/hydra_return.pkl`` (the attempt's log folder); the waiting
    launcher hands it to Hydra's sweeper, as submitit's launcher hands back the job's result;
  * a return value's scalars go into ``$SNAPTUI_RESULT_FILE`` (merged with what the task wrote there),
    so the TUI and ``snaptui results`` show them: a number/string/bool as ``return_value``, a flat
    dict's scalar entries under their own names.
Outside a snaptui job (no such variables, e.g. ``snaptui reproduce``) nothing is written.
"""
from __future__ import annotations

import json
import os
import pickle
from pathlib import Path
from typing import Any, Optional

from snaptui.engine.atomic import write_atomic

RETURN_FILE = "hydra_return.pkl"
SCALARS = (int, float, str, bool)


def scalar_results(value: Any) -> dict[str, Any]:
    if isinstance(value, SCALARS):
        return {"return_value": value}
    from omegaconf import DictConfig, OmegaConf
    if isinstance(value, DictConfig):
        value = OmegaConf.to_container(value, resolve=True)
    if isinstance(value, dict):
        return {str(k): v for k, v in value.items() if isinstance(v, SCALARS)}
    try:  # numpy / torch scalars
        item = value.item()
        if isinstance(item, SCALARS):
            return {"return_value": item}
    except (AttributeError, TypeError, ValueError, RuntimeError):   # no .item(), or not one element
        pass
    return {}


def keep_return(ret: Any) -> None:
    """Called in the job once the task has run (or raised)."""
    from hydra.core.utils import JobStatus

    job_dir = os.environ.get("SNAPTUI_JOB_DIR")
    if job_dir:
        write_atomic(Path(job_dir) / RETURN_FILE, _pickled(ret))
    result_file = os.environ.get("SNAPTUI_RESULT_FILE")
    if ret.status != JobStatus.COMPLETED or not result_file or ret._return_value is None:
        return
    scalars = scalar_results(ret._return_value)
    if scalars:
        path = Path(result_file)
        try:
            existing = json.loads(path.read_text(encoding="utf-8"))
            existing = existing if isinstance(existing, dict) else {}
        except (OSError, ValueError):
            existing = {}
        write_atomic(path, json.dumps({**scalars, **existing}).encode())


def _pickled(ret: Any) -> bytes:
    import cloudpickle
    from hydra.core.utils import JobStatus

    try:
        return cloudpickle.dumps(ret)
    except Exception as exc:  # noqa: BLE001 - said in the job's log; its results are returned instead
        value = ret._return_value
        if ret.status == JobStatus.COMPLETED:
            print(f"snaptui: the task's return value is not picklable ({exc}); the launcher returns the job's "
                  "results instead", flush=True)
            ret.return_value = None
        else:  # the app's exception cannot travel: its type and message still do
            ret.return_value = RuntimeError(f"{type(value).__module__}.{type(value).__qualname__}: {value}")
        return cloudpickle.dumps(ret)


def read_return(log_dir: Optional[str]) -> Any:
    """The job's ``JobReturn``, or None if it left none (killed, crashed before, not unpicklable here)."""
    if not log_dir:
        return None
    try:
        with open(Path(log_dir) / RETURN_FILE, "rb") as handle:
            return pickle.load(handle)
    except (OSError, EOFError, pickle.UnpicklingError, AttributeError, ImportError, TypeError, ValueError):
        return None
