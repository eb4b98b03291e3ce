"""A worktree's landing records: what the snapshot holds (the baseline, written at launch) and what
landing has put into the repository so far (the ledger), with the lock every job takes to land.

They live beside git's own record of the worktree (`<repo>/.git/worktrees/<name>/snaptui-landing/`):
every job of the sweep, on any node, finds them through the worktree's `.git` file, and they go
when the worktree is removed. Jobs never run git; these files are all they need.
"""
from __future__ import annotations

import fcntl
import json
import os
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, Iterable, Iterator

from snaptui.engine.atomic import write_atomic

FOLDER = "snaptui-landing"
BASELINE = "baseline.json"
LEDGER = "ledger.json"
LOCK = "lock"


def records_dir(worktree: Path) -> Path:
    """`<git dir of the worktree>/snaptui-landing`; OSError when the worktree has no `.git` file."""
    text = (Path(worktree) / ".git").read_text(encoding="utf-8")
    if not text.startswith("gitdir:"):
        raise OSError(f"{worktree}/.git is not a worktree's link to its repository")
    admin = Path(text.split(":", 1)[1].strip())
    return (admin if admin.is_absolute() else Path(worktree) / admin) / FOLDER


@dataclass
class Baseline:
    files: dict[str, str]           # every path of the snapshot commit: its blob id
    added: set[str]                 # those the repository's HEAD did not have (untracked at launch)
    since_ns: int                   # a snapshot file whose ctime is not earlier may have been changed by a job
    dirs: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        if not self.dirs:
            self.dirs = {str(p) for f in self.files for p in PurePosixPath(f).parents if str(p) != "."}


def write_baseline(worktree: Path, files: dict[str, str], added: Iterable[str], since_ns: int | None = None) -> None:
    """Called once the worktree is checked out and linked, before any job runs in it; `since_ns` is now by
    the worktree's filesystem's clock (else the file's own ctime is taken)."""
    folder = records_dir(worktree)
    folder.mkdir(mode=0o700, exist_ok=True)
    data = {"files": files, "added": sorted(added), "since_ns": since_ns}
    write_atomic(folder / BASELINE, json.dumps(data).encode())


def read_baseline(worktree: Path) -> Baseline | None:
    try:
        path = records_dir(worktree) / BASELINE
        data = json.loads(path.read_bytes())
        return Baseline(dict(data["files"]), set(data["added"]), data.get("since_ns") or path.stat().st_ctime_ns)
    except (OSError, ValueError, KeyError, TypeError):
        return None


@dataclass
class Ledger:
    """dest path -> what landing put there: {"src", "ino", "size", "mtime", "linked", "beside", "src_stat"};
    and the folders landing created."""

    files: dict[str, dict[str, Any]] = field(default_factory=dict)
    dirs: list[str] = field(default_factory=list)

    def to_bytes(self) -> bytes:
        return json.dumps({"files": self.files, "dirs": self.dirs}).encode()

    @classmethod
    def load(cls, path: Path) -> "Ledger":
        try:
            data = json.loads(path.read_bytes())
            return cls(dict(data.get("files", {})), list(data.get("dirs", [])))
        except FileNotFoundError:
            return cls()
        except (OSError, ValueError, TypeError):
            return cls()


@contextmanager
def locked_ledger(worktree: Path, *, save: bool = True) -> Iterator[Ledger]:
    """The ledger, held under a POSIX lock (lockf works across nodes on NFS, as the manifests' does),
    and written back when the block ends without an error, if it changed."""
    folder = records_dir(worktree)
    folder.mkdir(mode=0o700, exist_ok=True)
    with open(folder / LOCK, "a") as handle:
        fcntl.lockf(handle, fcntl.LOCK_EX)
        try:
            ledger = Ledger.load(folder / LEDGER)
            before = ledger.to_bytes() if (folder / LEDGER).exists() else None
            yield ledger
            after = ledger.to_bytes()
            if save and after != before:  # a job that wrote nothing new (most) costs no rewrite
                write_atomic(folder / LEDGER, after)
        finally:
            fcntl.lockf(handle, fcntl.LOCK_UN)


def sha_of_blob(path: Path) -> str | None:
    """git's blob id of a file's bytes (what `git hash-object` prints), without running git."""
    import hashlib
    try:
        if os.path.islink(path):
            target = os.fsencode(os.readlink(path))
            return hashlib.sha1(b"blob %d\0" % len(target) + target).hexdigest()
        size = os.lstat(path).st_size
        digest = hashlib.sha1(f"blob {size}\0".encode())
        with open(path, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
        return digest.hexdigest()
    except OSError:
        return None
