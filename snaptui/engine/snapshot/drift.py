"""A sweep's worktree checked against its snapshot commit before its next jobs start.

Jobs of a sweep share one worktree. A job that deletes or edits a file of the snapshot (a cleanup step,
an `rm` of the wrong folder) used to break every job after it, and their resubmits, without anyone
noticing. Before the agent starts more jobs of a sweep (and only if one of its jobs ended since the
last look, so it costs nothing while jobs run and little between them), this asks git which tracked
files differ from the worktree's index, which holds the snapshot commit:

- a deleted file is checked out again (it cannot be anyone's output);
- a modified file is reported, not overwritten: it may be what a job wrote;
- a worktree that is gone altogether (removed by hand, not by gc) is checked out again.

Untracked files (what jobs write) are never looked at. What was found is returned for the sweep's
notes, which `snaptui status` shows.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from snaptui.engine.gitrepo import GitFailed, run_in

CHUNK = 500  # paths per git call, well under the argument limit


@dataclass
class Drift:
    restored: list[str] = field(default_factory=list)   # deleted files checked out again
    modified: list[str] = field(default_factory=list)   # tracked files whose content changed, left as they are
    recreated: bool = False                              # the whole worktree was checked out again

    def __bool__(self) -> bool:
        return bool(self.restored or self.modified or self.recreated)

    def describe(self) -> str:
        def names(paths: list[str]) -> str:
            return ", ".join(paths[:5]) + (f" and {len(paths) - 5} more" if len(paths) > 5 else "")
        parts = []
        if self.recreated:
            parts.append("its snapshot worktree was gone; checked out again")
        if self.restored:
            parts.append(f"a job deleted {names(self.restored)} from the snapshot worktree; restored")
        if self.modified:
            parts.append(f"a job changed {names(self.modified)} in the snapshot worktree (kept as it is: it "
                         f"may be output; later jobs see the change)")
        return "; ".join(parts)


def check(worktree: Path) -> Drift:
    """Compare the worktree's tracked files with its index (the snapshot commit); restore deleted ones."""
    drift = Drift()
    # Without a refresh, diff-files also lists files only touched: nothing listed means nothing changed, and
    # the common case costs one git process between a sweep's jobs, not two.
    status, out, _ = run_in(worktree, "diff-files", "--name-status", "-z", check=False)
    if status == 0 and out:
        run_in(worktree, "update-index", "-q", "--refresh", check=False)  # a touched but unchanged file is fine
        status, out, _ = run_in(worktree, "diff-files", "--name-status", "-z", check=False)
    if status != 0:
        return drift
    fields = out.split("\0")
    for kind, path in zip(fields[0::2], fields[1::2]):
        (drift.restored if kind == "D" else drift.modified).append(path)
    for start in range(0, len(drift.restored), CHUNK):
        try:
            run_in(worktree, "checkout-index", "-f", "--", *drift.restored[start:start + CHUNK])
        except GitFailed:
            pass
    return drift
