"""Results land in the repository: which paths of a worktree link back to it, and what to do
with files a job wrote into the worktree itself before the worktree is removed.

A job runs in ``<worktree>/<workdir>``; a relative ``outputs/`` written there must reach
``<repo>/<workdir>/outputs``, so every linked path is linked both at the worktree's root and
under the sweep's working folder. Whatever a job still wrote into the worktree (a path not
linked, a tool's own folder) is moved back to the same place in the repository when the
worktree goes, or the removal is refused naming the files: nothing a job wrote is deleted.
"""
from __future__ import annotations

import filecmp
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from snaptui.engine.gitrepo import git_for, remove_worktree, run

# Caches the interpreter writes next to imported code: regenerated on demand, never results.
_CACHE_PARTS = {"__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache"}


def linked_paths(entries, workdir: str | None) -> list[str]:
    """``entries`` at the root, and again under the job's working folder when it is a subfolder."""
    out = [PurePosixPath(e).as_posix() for e in entries]
    folder = PurePosixPath(workdir or ".")
    if folder.as_posix() in ("", ".") or ".." in folder.parts or folder.is_absolute():
        return out
    roots = [PurePosixPath(e) for e in out]
    if any(folder == r or r in folder.parents for r in roots):
        return out  # the working folder is itself inside a linked path: already in the repository
    return out + [(folder / e).as_posix() for e in out if (folder / e).as_posix() not in out]


@dataclass
class Rescue:
    """Files a job left in a worktree: moved back (or to move), already there, or in the way."""

    moved: list[str] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)

    def describe_conflicts(self, worktree: Path, limit: int = 5) -> str:
        shown = ", ".join(self.conflicts[:limit]) + (
            f" and {len(self.conflicts) - limit} more" if len(self.conflicts) > limit else "")
        return (f"kept worktree {worktree}: files a job wrote there differ from the repository's at the same "
                f"path ({shown}); move them out of the worktree, then `snaptui snapshots gc` removes it")


def _our_link(worktree: Path, repo_root: Path, rel: str) -> bool:
    """A link snaptui made: it points at the same path in the repository."""
    path = worktree / rel
    return path.is_symlink() and os.readlink(path) == str(repo_root / rel)


def written_files(worktree: Path, repo_root: Path) -> list[str]:
    """Paths (relative) that differ from the snapshot commit: untracked files (ignored ones too)
    and edited tracked files, without snaptui's own links and interpreter caches."""
    g = git_for(worktree)
    _, untracked, _ = run(g, "ls-files", "-z", "-o", binary=True)
    _, edited, _ = run(g, "diff", "--name-only", "-z", "--no-renames", "--diff-filter=AMT", binary=True)
    out = []
    for raw in dict.fromkeys(filter(None, (untracked + edited).split(b"\0"))):
        rel = os.fsdecode(raw.rstrip(b"/"))
        parts = PurePosixPath(rel).parts
        if _CACHE_PARTS & set(parts) or rel.endswith((".pyc", ".pyo")):
            continue
        if _our_link(worktree, repo_root, rel):
            continue
        out.append(rel)
    return sorted(out)


def _same(a: Path, b: Path) -> bool:
    if a.is_symlink() or b.is_symlink():
        return a.is_symlink() and b.is_symlink() and os.readlink(a) == os.readlink(b)
    return a.is_file() and b.is_file() and filecmp.cmp(a, b, shallow=False)


def _blocked(repo_root: Path, rel: str) -> bool:
    """A parent of the destination exists as something other than a folder."""
    parent = (repo_root / rel).parent
    while parent != repo_root and not parent.exists():
        parent = parent.parent
    return not parent.is_dir()


def rescue_written_files(worktree: Path, repo_root: Path, *, dry_run: bool = False) -> Rescue:
    """Move files a job wrote into ``worktree`` to the same path in the repository.

    Nothing is overwritten: a file whose path is taken by different content is a conflict, and
    then nothing moves at all (the caller keeps the worktree and names the conflicts)."""
    result, plan = Rescue(), []
    for rel in written_files(worktree, repo_root):
        src, dest = worktree / rel, repo_root / rel
        if os.path.lexists(dest):
            if not _same(src, dest):
                result.conflicts.append(rel)
        elif _blocked(repo_root, rel):
            result.conflicts.append(rel)
        else:
            plan.append(rel)
    if result.conflicts:
        return result
    for rel in plan:
        if not dry_run:
            dest = repo_root / rel
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(worktree / rel, dest)
        result.moved.append(rel)
    return result


def retire_worktree(repo_root: Path, worktree: Path, branch: str, *, home: Path | None = None,
                    dry_run: bool = False) -> tuple[bool, list[str]]:
    """Remove a snapshot's worktree without losing what jobs wrote there: gc, ``recover --abort``
    and a failed launch's rollback all go through here.

    Files a job wrote are moved back into ``home`` (the worktree that launched the sweep, by
    default the repository) first. When one cannot move, nothing moves and the worktree stays.
    Returns (removed, notes): the notes say what moved, or which worktree was kept and why; the
    caller keeps ``branch`` too when the worktree stays (it is checked out there)."""
    worktree, home = Path(worktree), Path(home or repo_root)
    notes = []
    if worktree.is_dir():
        rescue = rescue_written_files(worktree, home, dry_run=dry_run)
        if rescue.conflicts:
            return False, [f"{rescue.describe_conflicts(worktree)} (branch {branch} kept with it)"]
        verb = "would move" if dry_run else "moved"
        where = "the repository" if home == Path(repo_root) else f"{home}"
        notes = [f"{verb} {rel} back into {where} (written by a job in {branch})" for rel in rescue.moved]
    if not dry_run:
        remove_worktree(repo_root, worktree)
    return True, notes


def dangling_link_warnings(repo_root: Path, entries: list[str]) -> list[str]:
    """A linked path that is a symlink to nowhere (scratch not mounted) is followed, not created:
    say so before jobs fail writing into it."""
    out = []
    for entry in entries:
        path = repo_root / entry
        if path.is_symlink() and not path.exists():
            out.append(f"{entry} is a symlink to {os.readlink(path)}, which does not exist: "
                       f"jobs writing there will fail until it does")
    return out
