"""What one ``launch()`` leaves for its jobs: ``<sweep dir>/.snaptui/<first num>-<token>/``.

``common.pkl`` holds, first, plain data the job reads before importing anything of the app (the
project root, the import path to set up, each job's overrides, where the task function is in the code
when it is found by name: see ``app_command.task_reference``), then the cloudpickled Hydra context, the
sweep's master config, Hydra's singletons and the task function, when it is sent by value. Each job composes its
own config from these, as under submitit's launcher, but from the config files of the code it runs (the
snapshot). The folder stays: a resubmitted attempt reads it again. It is private to the user, like
submitit's job folders.
"""
from __future__ import annotations

import os
import pickle
import secrets
import shutil
from pathlib import Path
from typing import Any, Dict, List, Optional

from .job import COMMON

FOLDER = ".snaptui"


def write_payload(sweep_dir: Path, first_num: int, *, repo: Path, import_path: List[str], task_function: Any,
                  task_reference: Optional[dict], hydra_context: Any, master_config: Any,
                  overrides: Dict[int, List[str]]) -> Path:
    import cloudpickle
    from hydra.core.singleton import Singleton

    parent = sweep_dir / FOLDER
    parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    folder = parent / f"{first_num}-{secrets.token_hex(3)}"
    folder.mkdir(mode=0o700)
    try:
        where = {"repo": str(repo), "import_path": import_path, "sweep_dir": str(sweep_dir),
                 "overrides": {int(k): list(v) for k, v in overrides.items()}, "task": task_reference}
        common = {"task_function": None if task_reference else task_function, "hydra_context": hydra_context,
                  "master_config": master_config,
                  "singletons": Singleton.get_state()}
        try:
            pickled = cloudpickle.dumps(common)
        except Exception as exc:  # noqa: BLE001 - raised again as what the user can act on
            from snaptui.engine.errors import SnaptuiError
            raise SnaptuiError(f"snaptui cannot send the task function to its jobs: it cannot be pickled ({exc}); "
                               "whatever it refers to must be picklable, as for submitit's launcher") from None
        _write(folder / COMMON, pickle.dumps(where) + pickled)
    except BaseException:
        remove_payload(folder)
        raise
    return folder


def remove_payload(folder: Path) -> None:
    shutil.rmtree(folder, ignore_errors=True)
    try:
        folder.parent.rmdir()  # only if empty
    except OSError:
        pass


def _write(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
