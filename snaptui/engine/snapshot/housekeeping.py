"""Snapshot housekeeping: which snapshots exist, which sweeps use them, and safe cleanup.

A snapshot is in use while any sweep recorded on it has a job that is not final;
gc never touches those. Snapshot branches are shared by every worktree of a repository while
each worktree keeps its own store, so "in use" is asked of every worktree's store (a sweep
launched from a linked worktree keeps its snapshot too). Files a job wrote into a worktree are
moved back into the repository before the worktree goes, or the worktree is kept. A worktree that gc removed comes
back on demand (resubmit, reproduce) from the snapshot's branch or commit, which gc only deletes when asked.
"""
from __future__ import annotations

import os
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from snaptui.engine.errors import SnaptuiError
from .gclock import collecting
from .joboutputs import linked_paths, retire_worktree
from .snapshots import delete_branch, list_snapshots, present_links
from snaptui.engine.landing.baseline import record_baseline
from snaptui.engine.store.siblings import live_snapshot_branches, snapshot_owners
from snaptui.engine.config.settings import stored_config
from snaptui.engine.models import Sweep
from snaptui.engine.gitrepo import add_worktree, git_for, link_shared_paths, run, worktree_changes

_AGE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw]?)\s*$")
_UNITS = {"": 86400, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


@dataclass(frozen=True)
class SnapshotRow:
    branch: str
    commit: str
    age_s: float
    sweeps: list[int]
    worktree: str | None
    disk_bytes: int | None
    in_use: bool


def parse_age(text: str) -> float:
    """'14d', '12h', '30m', '2w' (a bare number means days) into seconds."""
    found = _AGE.match(text)
    if not found:
        raise SnaptuiError(f"--older-than {text!r}: write a number with a unit, e.g. 14d, 12h or 30m")
    return float(found.group(1)) * _UNITS[found.group(2)]


def _usage(engine: Any) -> dict[str, tuple[list[int], bool]]:
    """Snapshot branch -> (sweep ids using it here, whether any job of any worktree's sweep on it is live)."""
    out: dict[str, tuple[list[int], bool]] = {}
    for sweep in engine.store.sweeps(statuses=("active", "launching")):
        if not sweep.snapshot:
            continue
        ids, live = out.get(sweep.snapshot["branch"], ([], False))
        out[sweep.snapshot["branch"]] = (ids + [sweep.id], live or sweep.is_active or sweep.status == "launching")
    for branch in live_snapshot_branches(engine.repo_root, engine.store.path):
        ids, _ = out.get(branch, ([], False))
        out[branch] = (ids, True)
    return out


def snapshot_overview(engine: Any, *, disk_usage: bool = True, now: float | None = None) -> list[SnapshotRow]:
    prefix = engine.project.snapshot.branch_prefix
    usage = _usage(engine)
    now = time.time() if now is None else now
    rows = []
    for info in list_snapshots(engine.repo_root, prefix, disk_usage=disk_usage):
        sweeps, live = usage.get(info.branch, ([], False))
        rows.append(SnapshotRow(info.branch, info.commit, now - info.created_at, sorted(sweeps),
                                str(info.worktree) if info.worktree else None,
                                info.disk_usage if info.worktree and disk_usage else None, live))
    return sorted(rows, key=lambda r: r.age_s)


def gc(engine: Any, **options: Any) -> list[str]:
    """_collect under the gc lock: no launch is between making its snapshot and recording it (gclock.py)."""
    with collecting(engine.repo_root):
        return _collect(engine, **options)


def _collect(engine: Any, *, older_than_s: float, dry_run: bool = False, delete_branches: bool = False,
             notes: list[str] | None = None) -> list[str]:
    """Remove worktrees (and with delete_branches, branches) of old snapshots no live job needs.

    Files jobs wrote into a worktree are moved back first; `notes` collects what moved and the
    worktrees kept because a file could not move (with their branches)."""
    done, notes = [], notes if notes is not None else []
    owners = snapshot_owners(engine.repo_root, engine.store.path)
    for row in snapshot_overview(engine, disk_usage=False):
        if row.in_use or row.age_s < older_than_s:
            continue
        if row.worktree:  # what jobs wrote goes back to the worktree that launched it
            removed, moved = retire_worktree(engine.repo_root, Path(row.worktree), row.branch,
                                             home=owners.get(row.branch, engine.repo_root), dry_run=dry_run,
                                             sweep=row.sweeps[0] if row.sweeps else None)
            notes += moved
            if not removed:
                continue
            done.append(f"worktree {row.worktree} ({row.branch})")
        if delete_branches:
            if not dry_run:
                delete_branch(engine.repo_root, row.branch)
            done.append(f"branch {row.branch}")
    if not dry_run:
        with worktree_changes(engine.repo_root):
            run(git_for(engine.repo_root), "worktree", "prune")
    return done


def ensure_worktree(engine: Any, sweep: Sweep) -> Path:
    """The sweep's code directory, checked out again from its snapshot if gc removed it (callers that
    need it to stay hold gclock.creating_snapshot around this and what records its use)."""
    return restore_worktree(engine.repo_root, sweep)


def restore_worktree(repo_root: Path, sweep: Sweep) -> Path:
    """ensure_worktree for callers without an Engine (the agent, before a sweep's next jobs)."""
    if not sweep.snapshot:
        return Path(sweep.workdir)
    worktree = Path(sweep.snapshot["worktree"])
    if worktree.is_dir():
        return worktree
    with worktree_changes(repo_root):
        run(git_for(repo_root), "worktree", "unlock", str(worktree), check=False)  # deleted by hand: still locked
        run(git_for(repo_root), "worktree", "prune")
    try:
        add_worktree(repo_root, worktree, sweep.snapshot["commit"], sweep.snapshot["branch"])
    except SnaptuiError as exc:
        raise SnaptuiError(f"cannot restore the worktree of snapshot {sweep.snapshot['branch']} "
                           f"({sweep.snapshot['commit'][:10]}): {exc}") from None
    links = linked_paths(list(stored_config(sweep.config).snapshot.symlink_paths), (sweep.spec or {}).get("workdir"))
    link_shared_paths(repo_root, worktree, present_links(repo_root, links), [])
    data = [e["path"] for e in sweep.snapshot.get("linked", ()) if os.path.lexists(repo_root / e["path"])]
    link_shared_paths(repo_root, worktree, data, [])  # data left out of the commit, linked again
    record_baseline(worktree, sweep.snapshot["commit"], sweep.snapshot.get("base_commit"))
    return worktree
