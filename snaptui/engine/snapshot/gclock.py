"""gc and launches exclude each other.

`snapshots gc` decides what is in use from the stores, then removes the rest. A launch creates its
snapshot branch and worktree *before* its store records them, so a gc running in between saw a
snapshot nobody used and removed it (the launch then failed, or ran with its worktree gone). Now
a launch (and anything that puts a snapshot's worktree back: resubmit, reproduce) holds this lock
shared from before it creates the snapshot until the snapshot is recorded, and gc holds it
exclusively for its whole run: gc waits for launches under way, launches wait for a running gc.

The lock is an flock on a file in the repository's common git folder, where snapshot branches
live, so launches from every linked worktree of the repository and a gc from any of them meet on
the same file.
"""
from __future__ import annotations

import contextlib
import fcntl
import os
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from snaptui.engine.gitrepo import common_git_dir

LOCK_NAME = "snaptui-gc.flock"  # not *.lock: those are git's own, and left ones are stray


def lock_path(repo_root: Path) -> Path:
    return common_git_dir(repo_root) / LOCK_NAME


@contextmanager
def _flock(repo_root: Path, mode: int) -> Iterator[float]:
    """Holds the lock; yields how long it waited for it (seconds)."""
    fd = os.open(lock_path(repo_root), os.O_RDWR | os.O_CREAT, 0o600)
    started = time.monotonic()
    try:
        fcntl.flock(fd, mode)
        yield time.monotonic() - started
    finally:
        os.close(fd)  # releases the lock


def creating_snapshot(repo_root: Path) -> contextlib.AbstractContextManager[float]:
    """Held (shared) while a snapshot is made or restored and not yet recorded."""
    return _flock(repo_root, fcntl.LOCK_SH)


def collecting(repo_root: Path) -> contextlib.AbstractContextManager[float]:
    """Held (exclusive) by gc while it decides what is unused and removes it."""
    return _flock(repo_root, fcntl.LOCK_EX)
