"""The other worktrees' stores: snapshot branches are shared by every worktree of a repository,
but each worktree keeps its own ``.snaptui/state.db``. Before a snapshot is removed, every one of
them is asked whether a live job still uses it.

The stores are opened read-only with a plain query (no migrations, no writes): another worktree
may run another snaptui version, and its store is its own.
"""
from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path
from typing import Any

from snaptui.engine.errors import SnaptuiError
from snaptui.engine.states import ACTIVE_STATES
from .store import DB_FILENAME, state_dir
from snaptui.engine.gitrepo import list_worktrees

_LIVE_SNAPSHOTS = f"""
    SELECT s.snapshot_json FROM sweeps s
    WHERE s.snapshot_json IS NOT NULL AND (s.status = 'launching' OR (s.status = 'active' AND EXISTS (
        SELECT 1 FROM jobs j JOIN attempts a ON a.id = j.latest_attempt
        WHERE j.sweep_id = s.id AND a.state IN ({",".join("'" + s.value + "'" for s in ACTIVE_STATES)}))))
"""


def sibling_stores(repo_root: Path, own_store: Path) -> list[Path]:
    """State files of the repository's other (non-snapshot) worktrees that exist."""
    own = os.path.realpath(own_store)
    out = []
    for entry in list_worktrees(repo_root):
        if entry.snapshot_branch:
            continue
        path = state_dir(entry.path) / DB_FILENAME
        if os.path.realpath(path) != own and path.is_file():
            out.append(path)
    return out


def snapshot_owners(repo_root: Path, own_store: Path) -> dict[str, Path]:
    """Snapshot branch -> the worktree whose store records a sweep on it (other worktrees only):
    files a job wrote go back there, and the links in its snapshot point there."""
    owners: dict[str, Path] = {}
    for path in sibling_stores(repo_root, own_store):
        for (snapshot_json,) in _query(path, "SELECT snapshot_json FROM sweeps WHERE snapshot_json IS NOT NULL"):
            branch = (json.loads(snapshot_json) or {}).get("branch")
            if branch:
                owners[branch] = path.parent.parent
    return owners


def _query(path: Path, sql: str) -> list[tuple[Any, ...]]:
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)
        try:
            return conn.execute(sql).fetchall()
        finally:
            conn.close()
    except sqlite3.Error as exc:
        raise SnaptuiError(f"cannot read the sweeps of worktree {path.parent.parent} ({path}: {exc}); "
                           f"nothing removed, since a job launched there may use a snapshot") from None


def live_snapshot_branches(repo_root: Path, own_store: Path) -> set[str]:
    """Snapshot branches a live (or still launching) sweep of another worktree runs on.

    A store that cannot be read stops the caller: removing a snapshot a job may use is worse
    than removing nothing."""
    branches: set[str] = set()
    for path in sibling_stores(repo_root, own_store):
        for (snapshot_json,) in _query(path, _LIVE_SNAPSHOTS):
            branch = (json.loads(snapshot_json) or {}).get("branch")
            if branch:
                branches.add(branch)
    return branches
