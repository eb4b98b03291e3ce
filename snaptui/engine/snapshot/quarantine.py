"""A snapshot's new git objects are written to a folder of their own and moved into the
repository only once the commit is complete (git's receive-pack does the same, calling it a
quarantine). A full disk, a git failure, Ctrl-C or a kill while hashing then leaves no
``tmp_obj_*`` and no half-written object in ``.git/objects``: the folder is removed, and one
left by a killed process is removed by the next snapshot.
"""
from __future__ import annotations

import os
import secrets
import shutil
import stat
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Iterator

from snaptui.engine.gitrepo import common_git_dir, run

if TYPE_CHECKING:
    import git

PREFIX = "snaptui-objects-"


def _objects_dir(g: git.Git, repo_root: Path) -> Path:
    if "GIT_OBJECT_DIRECTORY" not in os.environ:  # as `git rev-parse --git-path objects` says, one process less
        return common_git_dir(repo_root) / "objects"
    _, out, _ = run(g, "rev-parse", "--git-path", "objects")
    path = Path(out.strip())
    return path if path.is_absolute() else repo_root / path


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_stale(parent: Path) -> None:
    """Quarantines of processes that are gone (killed mid-snapshot)."""
    for entry in parent.glob(PREFIX + "*"):
        pid = entry.name[len(PREFIX):].split("-", 1)[0]
        if pid.isdigit() and not _alive(int(pid)):
            shutil.rmtree(entry, ignore_errors=True)


class Quarantine:
    def __init__(self, objects: Path, folder: Path) -> None:
        self.objects, self.folder = objects, folder
        alternates = [str(objects)] + [a for a in os.environ.get("GIT_ALTERNATE_OBJECT_DIRECTORIES", "").split(
            os.pathsep) if a]
        self.env = {"GIT_OBJECT_DIRECTORY": str(folder),
                    "GIT_ALTERNATE_OBJECT_DIRECTORIES": os.pathsep.join(alternates)}

    def migrate(self) -> None:
        """Move the new objects into the repository: loose ones, then packs (.idx last, as git does)."""
        for sub in sorted(self.folder.iterdir()):
            if len(sub.name) == 2 and sub.is_dir():
                for obj in sub.iterdir():
                    if obj.name.startswith("tmp_"):
                        continue
                    _place(obj, self.objects / sub.name / obj.name)
        packs = self.folder / "pack"
        if packs.is_dir():
            for suffix in (".pack", ".rev", ".idx"):
                for obj in packs.glob("pack-*" + suffix):
                    _place(obj, self.objects / "pack" / obj.name)


def _place(src: Path, dest: Path) -> None:
    if dest.exists():
        return  # the same content already there (objects are named by their hash)
    if not dest.parent.is_dir():  # as the objects folder itself is: a shared repository stays shared
        dest.parent.mkdir(exist_ok=True)
        os.chmod(dest.parent, stat.S_IMODE(dest.parent.parent.stat().st_mode))
    os.replace(src, dest)


@contextmanager
def quarantine(g: git.Git, repo_root: Path) -> Iterator[Quarantine]:
    """Yields a Quarantine whose ``env`` makes git write new objects into it; removed on exit."""
    objects = _objects_dir(g, repo_root)
    parent = objects.parent
    remove_stale(parent)
    folder = parent / f"{PREFIX}{os.getpid()}-{secrets.token_hex(3)}"
    folder.mkdir(mode=0o700)
    try:
        yield Quarantine(objects, folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
