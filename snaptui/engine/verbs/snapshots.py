"""Snapshot verbs: what exists, what gc would remove, what a snapshot changed."""
from __future__ import annotations

from pathlib import Path
from typing import Any

class SnapshotVerbs:
    repo_root: Path

    def snapshots(self, *, disk_usage: bool = True) -> list[Any]:
        """Snapshot branches with their sweeps, worktree and disk use (housekeeping.SnapshotRow each)."""
        from snaptui.engine.snapshot.housekeeping import snapshot_overview
        return snapshot_overview(self, disk_usage=disk_usage)

    @staticmethod
    def parse_age(text: str) -> float:
        """'14d', '12h', '30m', '2w' (a bare number: days) in seconds; a SnaptuiError naming --older-than
        (exit 1) when it is none of these."""
        from snaptui.engine.snapshot.housekeeping import parse_age
        return parse_age(text)

    def gc(self, *, older_than_s: float, dry_run: bool = False, delete_branches: bool = False,
           notes: list[str] | None = None) -> list[str]:
        """Remove (or with dry_run, name) worktrees of snapshots no live sweep uses; see housekeeping.gc."""
        from snaptui.engine.snapshot.housekeeping import gc
        return gc(self, older_than_s=older_than_s, dry_run=dry_run, delete_branches=delete_branches, notes=notes)

    def diff_patch(self, commit: str, against: str = "base") -> tuple[str, bool]:
        """A snapshot's patch against its base, your working tree now ("worktree") or another commit:
        (text, whether it was cut). See snapshot.snapshots.diff_patch."""
        from snaptui.engine.snapshot.snapshots import diff_patch
        return diff_patch(self.repo_root, commit, against)

    def diff(self, commit: str) -> list[tuple[str, str]]:
        """(status, path) of each file a snapshot commit changed against its base."""
        from snaptui.engine.snapshot.snapshots import diff_summary
        return diff_summary(self.repo_root, commit)
