"""Where a project lives: a git working tree, or (without git) the folder that holds its state.

A project in git is its working tree's top level, and launches snapshot it. A project that is not
in git runs with snapshots off; its root is the nearest folder, from the start upwards, holding a
``snaptui.toml`` or an earlier launch's state (``.snaptui/state.db``), or, for a first launch
(``new_ok``), the start folder itself. Reading commands never create state in a random folder.
"""
from __future__ import annotations

import os
from pathlib import Path

from .settings import CONFIG_FILENAME
from snaptui.engine.errors import SnaptuiError
from snaptui.engine.store.store import DB_FILENAME, state_dir


def git_toplevel(start: Path) -> Path | None:
    """The working tree holding ``start``, or None when it is in no git working tree (or git is missing)."""
    folder = Path(os.path.abspath(os.path.expanduser(start)))
    folder = folder if folder.is_dir() else folder.parent
    if not folder.is_dir():
        raise SnaptuiError(f"{start} does not exist")
    from snaptui.engine.gitrepo import GitFailed, refuse_line_breaks, run_in  # GitPython: loaded only when asked

    refuse_line_breaks(folder)
    try:
        status, out, err = run_in(folder, "rev-parse", "--show-toplevel", check=False)
    except GitFailed:  # git is not installed
        return None
    if status != 0 and "must be run in a work tree" in err:
        raise SnaptuiError(f"{folder} is in a bare repository or a .git directory, which has no working tree to "
                           f"snapshot; run snaptui in a clone or worktree of it")
    top = out.rstrip("\n")
    return Path(top) if status == 0 and top else None


def is_git_root(root: Path) -> bool:
    """Whether a project root is a git working tree's top level (a ``.git`` folder, or file for worktrees)."""
    return os.path.lexists(Path(root) / ".git")


def find_project_root(start: Path, *, new_ok: bool = False) -> Path:
    start = Path(os.path.abspath(os.path.expanduser(start)))
    top = git_toplevel(start)
    if top is not None:
        return top  # git reports it with symlinks resolved, as the rest of the engine expects
    folder = (start if start.is_dir() else start.parent).resolve()
    from snaptui.engine.gitrepo import refuse_line_breaks
    refuse_line_breaks(folder)
    for candidate in (folder, *folder.parents):
        if (candidate / CONFIG_FILENAME).is_file() or (state_dir(candidate) / DB_FILENAME).is_file():
            return candidate
    if new_ok:
        return folder
    raise SnaptuiError(f"{folder} is not inside a git repository, and neither it nor a folder above it holds a "
                       f"{CONFIG_FILENAME} or snaptui state (.snaptui/)")


def no_git_note(root: Path) -> str:
    return f"{root} is not in a git repository: no snapshot taken, jobs run the files in place"
