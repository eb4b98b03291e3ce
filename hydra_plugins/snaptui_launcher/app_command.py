"""The running app as its jobs must see it: which project it belongs to, the folder it was launched
from, where in the code its jobs run, and the import path that finds its modules."""
from __future__ import annotations

import logging
import os
import sys
from pathlib import Path
from typing import List, Optional

log = logging.getLogger(__name__)


def main_script() -> Optional[Path]:
    """``app.py`` of ``python app.py``; None for ``python -m pkg.app``, notebooks and wrappers
    that are not a Python file (a console script such as ``pytest``)."""
    main = sys.modules.get("__main__")
    spec = getattr(main, "__spec__", None)
    if spec is not None and spec.name not in (None, "__main__"):
        return None
    if not sys.argv or not sys.argv[0].endswith(".py"):
        return None
    script = Path(os.path.abspath(sys.argv[0]))
    return script.resolve() if script.is_file() else None


def project_start(cwd: Path) -> Path:
    """Where to look for the project: the launch folder, or the app script's folder when the launch
    folder is in no git repository but the script is (``python ~/proj/app.py`` from elsewhere)."""
    from snaptui.engine.api import git_toplevel

    if git_toplevel(cwd) is not None:
        return cwd
    script = main_script()
    if script is not None and git_toplevel(script.parent) is not None:
        return script.parent
    return cwd


def relative_inside(path: Path, root: Path) -> Optional[Path]:
    try:
        return Path(path).resolve().relative_to(Path(root).resolve())
    except ValueError:
        return None


def job_folder(repo: Path, cwd: Path, snapshot_enabled: bool) -> Path:
    """The job's working directory relative to the code's root: the launch folder's twin, or the
    nearest parent a snapshot holds (git keeps no empty or ignored directories)."""
    inside = relative_inside(cwd, repo)
    if inside is None:
        log.warning(f"snaptui: {cwd} is outside the project {repo}; jobs run in its top folder")
        return Path(".")
    if snapshot_enabled and inside != Path(".") and not _in_snapshot(repo, inside):
        parent = next(p for p in inside.parents if p == Path(".") or _in_snapshot(repo, p))
        log.warning(f"snaptui: {cwd} holds no file git would snapshot; jobs run in "
                    f"{repo / parent}'s twin in the snapshot instead")
        return parent
    return inside


def _in_snapshot(repo: Path, rel: Path) -> bool:
    """Whether a snapshot of the working tree would contain this directory (a tracked or untracked,
    not ignored, file under it)."""
    from snaptui.engine.api import files_git_would_add

    files = files_git_would_add(repo, rel.as_posix())
    return files is None or bool(files)


def import_path(repo: Path) -> List[str]:
    """The launching process's import path entries that lie in the project, relative to its root, in
    order: the job puts their twins in the code it runs first, so ``import mylib`` finds the snapshot's
    ``mylib`` exactly where the launching process found the live one."""
    entries = []
    for entry in sys.path:
        if entry and not os.path.isdir(entry):  # e.g. an editable install's import hook, a zip
            continue
        rel = relative_inside(Path(entry or os.getcwd()), repo)
        if rel is not None:
            entries.append(rel.as_posix())
    return list(dict.fromkeys(entries))


def task_reference(task_function: object, repo: Path) -> Optional[dict]:
    """Where the jobs find the task function in the code they run, when the launching process defined it in
    its main script (``@hydra.main`` in ``app.py``): ``{"script": <path in the project>, "module": <name for
    python -m> or None, "qualname": ...}``; None when it cannot be found by name there (a closure, a script
    that runs code unguarded at its top level, a main script outside the project).

    cloudpickle sends a ``__main__`` function by value: the code this process compiled when it started, with
    the globals it refers to as they are now. The snapshot is taken later (after Hydra's sweeper composed
    every job's config), so an edit in between ran in no job although the recorded commit has it. Loaded
    by name from the snapshot, as multiprocessing's spawn loads a child's main module, the task is the
    recorded code."""
    qualname = getattr(task_function, "__qualname__", "")
    if getattr(task_function, "__module__", None) != "__main__" or not qualname or "<" in qualname:
        return None
    main = sys.modules.get("__main__")
    source = getattr(main, "__file__", None)
    if not source or not str(source).endswith(".py"):
        return None
    rel = relative_inside(Path(source), repo)
    spec = getattr(main, "__spec__", None)
    module = spec.name if spec is not None and spec.name not in (None, "__main__") else None
    if rel is None or not _guarded(Path(source), qualname.split(".")[0]):
        return None
    return {"script": rel.as_posix(), "module": module, "qualname": qualname}


def _guarded(script: Path, name: str) -> bool:
    """Whether loading the script as a module leaves the task alone: no call of ``name`` at its top level
    outside ``if __name__ == "__main__"`` (an unguarded ``main()`` would start Hydra again in each job)."""
    import ast

    try:
        tree = ast.parse(script.read_text(encoding="utf-8"))
    except (OSError, SyntaxError, ValueError):
        return False
    return not any(isinstance(node, ast.Expr) and isinstance(node.value, ast.Call)
                   and isinstance(node.value.func, ast.Name) and node.value.func.id == name for node in tree.body)
