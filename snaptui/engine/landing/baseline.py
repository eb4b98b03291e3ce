"""The baseline of a worktree, read from git where git may run (the launching process, gc): which paths
the snapshot holds and which of them the repository's HEAD did not (untracked at launch, with their
blob ids, so landing can tell whether the repository's copy changed since)."""
from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from snaptui.engine.gitrepo import GitFailed, git_for, run, start
from .records import read_baseline, records_dir, write_baseline

if TYPE_CHECKING:
    import git

SNAPSHOT_SUBJECT = "snaptui snapshot"  # snapshot.snapshots.SUBJECT: a commit of the working tree, on HEAD


def _files_of(listing: bytes) -> dict[str, str]:
    files = {}
    for item in filter(None, listing.split(b"\0")):
        meta, _, path = item.partition(b"\t")
        files[os.fsdecode(path)] = meta.split()[2].decode()
    return files


def _added_in(diff: bytes) -> list[str]:
    parts = diff.split(b"\0")
    return [os.fsdecode(parts[i + 1]) for i in range(0, len(parts) - 1, 2) if parts[i].startswith(b":")]


def _queries(commit: str, base: str | None) -> list[tuple[str, ...]]:
    listing = ("ls-tree", "-r", "-z", "--full-tree", commit)
    if base is None or base == commit:
        return [listing]
    return [listing, ("diff-tree", "-r", "-z", "--no-renames", "--diff-filter=A", base, commit)]


def _baseline_of(outputs: list[bytes], commit: str, base: str | None) -> tuple[dict[str, str], list[str]]:
    files = _files_of(outputs[0])
    if base is None:
        return files, list(files)
    return files, _added_in(outputs[1]) if len(outputs) > 1 else []


def snapshot_files(g: git.Git, commit: str, base: str | None) -> tuple[dict[str, str], list[str]]:
    """({path: blob id} of every file of `commit`, the paths of those not in `base`)."""
    outputs = [run(g, *query, binary=True)[1] for query in _queries(commit, base)]
    return _baseline_of(outputs, commit, base)


class PendingBaseline:
    """The git queries of a baseline, started at once so they run while the worktree is checked out (the
    launch's slow part); `write` collects them once the worktree exists."""

    def __init__(self, g: git.Git, commit: str, base: str | None) -> None:
        self.commit, self.base = commit, base
        self.queries = _queries(commit, base)
        self.running = [start(g, *query) for query in self.queries]

    def outputs(self) -> list[bytes]:
        out = []
        for query, handle in zip(self.queries, self.running):
            data, err = handle.proc.communicate()
            if handle.proc.returncode != 0:
                raise GitFailed(query, err.decode("utf-8", "replace"), handle.proc.returncode)
            out.append(data)
        return out

    def write(self, worktree: Path) -> None:
        files, added = _baseline_of(self.outputs(), self.commit, self.base)
        write_baseline(worktree, files, added, worktree_clock_now(worktree))

    def cancel(self) -> None:
        for handle in self.running:
            try:
                if handle.proc.poll() is None:
                    handle.proc.kill()
                handle.proc.communicate()
            except (OSError, ValueError):  # already collected
                pass


def worktree_clock_now(worktree: Path) -> int:
    """Now, by the clock of the worktree's filesystem (a file server's on NFS): the worktree folder's
    ctime right after a file was made and removed in it. Job writes later than this are changes."""
    stamp = Path(worktree) / ".snaptui-baseline-stamp"
    stamp.touch()
    stamp.unlink()
    return os.stat(worktree).st_ctime_ns


def record_baseline(worktree: Path, commit: str, base: str | None, since_ns: int | None = None) -> None:
    """Once the worktree is checked out and linked, before any job runs in it."""
    files, added = snapshot_files(git_for(worktree), commit, base)
    write_baseline(worktree, files, added, since_ns if since_ns is not None else worktree_clock_now(worktree))


def ensure_baseline(worktree: Path) -> None:
    """A worktree made before landing existed has no baseline: write one from git (its HEAD is the
    snapshot; a snapshot commit's parent was the repository's HEAD), with the worktree's index, which
    git writes last when it checks out, marking where jobs' changes start."""
    if read_baseline(worktree) is not None:
        return
    g = git_for(worktree)
    _, out, _ = run(g, "log", "-1", "--format=%H%x00%P%x00%s", "HEAD", "--")
    commit, parents, subject = out.strip().split("\0", 2)
    base = (parents.split()[0] if parents else None) if subject == SNAPSHOT_SUBJECT else commit
    try:
        since = os.stat(records_dir(worktree).parent / "index").st_ctime_ns
    except OSError:
        since = None
    record_baseline(worktree, commit, base, since)
