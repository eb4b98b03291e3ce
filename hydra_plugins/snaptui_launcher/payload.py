"""What one ``launch()`` leaves for its jobs: ``<sweep dir>/.snaptui/<first num>-<token>/``.

``common.pkl`` holds, first, plain data the job reads before importing anything of the app (the
project root and the import path to set up), then the cloudpickled task function, Hydra context
and Hydra's singletons; ``<num>.pkl`` holds each job's composed config. Configs are composed at
launch, so a job runs the config files as they were then, like the code. The folder stays: a
resubmitted attempt reads it again. It is private to the user, like submitit's job folders.
"""
from __future__ import annotations

import os
import pickle
import secrets
import shutil
from pathlib import Path
from typing import Any, Dict, List

from .job import COMMON, job_file

FOLDER = ".snaptui"


def write_payload(sweep_dir: Path, first_num: int, *, repo: Path, import_path: List[str], task_function: Any,
                  hydra_context: Any, configs: Dict[int, Any]) -> Path:
    import cloudpickle
    from hydra.core.singleton import Singleton

    parent = sweep_dir / FOLDER
    parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    folder = parent / f"{first_num}-{secrets.token_hex(3)}"
    folder.mkdir(mode=0o700)
    try:
        where = {"repo": str(repo), "import_path": import_path}
        common = {"task_function": task_function, "hydra_context": hydra_context,
                  "singletons": Singleton.get_state()}
        try:
            pickled = cloudpickle.dumps(common)
        except Exception as exc:
            from snaptui.engine.errors import SnaptuiError
            raise SnaptuiError(f"snaptui cannot send the task function to its jobs: it cannot be pickled ({exc}); "
                               "whatever it refers to must be picklable, as for submitit's launcher") from None
        _write(folder / COMMON, pickle.dumps(where) + pickled)
        for num, config in configs.items():
            _write(folder / job_file(num), cloudpickle.dumps(config))
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
