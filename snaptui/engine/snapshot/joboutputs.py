"""Results land in the repository: which paths of a worktree link back to it, and removing a
worktree without losing what jobs wrote into it.

A job runs in ``<worktree>/<workdir>``; a relative ``outputs/`` written there must reach
``<repo>/<workdir>/outputs``, so every linked path is linked both at the worktree's root and
under the sweep's working folder. Whatever a job wrote into the worktree itself (a path not
linked, a folder that did not exist at launch) lands in the repository at the end of the job
(engine/landing), and once more before the worktree goes; when a file cannot land, the removal is
refused naming it: nothing a job wrote is deleted.
"""
from __future__ import annotations

import os
from pathlib import Path, PurePosixPath
from typing import Iterable

from snaptui.engine.errors import SnaptuiError
from snaptui.engine.gitrepo import remove_worktree
from snaptui.engine.landing.baseline import ensure_baseline
from snaptui.engine.landing.land import land


def linked_paths(entries: Iterable[str], workdir: str | None) -> list[str]:
    """``entries`` at the root, and again under the job's working folder when it is a subfolder."""
    out = [PurePosixPath(e).as_posix() for e in entries]
    folder = PurePosixPath(workdir or ".")
    if folder.as_posix() in ("", ".") or ".." in folder.parts or folder.is_absolute():
        return out
    roots = [PurePosixPath(e) for e in out]
    if any(folder == r or r in folder.parents for r in roots):
        return out  # the working folder is itself inside a linked path: already in the repository
    return out + [(folder / e).as_posix() for e in out if (folder / e).as_posix() not in out]


def retire_worktree(repo_root: Path, worktree: Path, branch: str, *, home: Path | None = None,
                    dry_run: bool = False, sweep: str | int | None = None) -> tuple[bool, list[str]]:
    """Remove a snapshot's worktree without losing what jobs wrote there: gc, ``recover --abort``
    and a failed launch's rollback all go through here.

    What jobs wrote lands in ``home`` (the worktree that launched the sweep, by default the repository)
    first, as at the end of every job (landing.land); a copy kept beside a file someone changed is named
    `~snaptui-<sweep>` (``sweep``: the sweep's id, else the branch's stamp). When a file cannot land,
    the worktree stays. Returns (removed, notes): the notes say what landed or was kept beside, or
    which worktree was kept and why; the caller keeps ``branch`` too when the worktree stays."""
    worktree, home = Path(worktree), Path(home or repo_root)
    notes = []
    if worktree.is_dir():
        label = str(sweep) if sweep is not None else branch.rsplit("/", 1)[-1]
        try:
            ensure_baseline(worktree)
            landing = land(worktree, home, label, dry_run=dry_run)
        except (OSError, SnaptuiError) as exc:
            return False, [f"kept worktree {worktree} (branch {branch} kept with it): cannot tell what jobs wrote "
                           f"there ({exc})"]
        if landing.failed:
            shown = ", ".join(f"{p} ({why})" for p, why in landing.failed[:5])
            more = f" and {len(landing.failed) - 5} more" if len(landing.failed) > 5 else ""
            return False, [f"kept worktree {worktree} (branch {branch} kept with it): files a job wrote there "
                           f"cannot be put in the repository: {shown}{more}; move them out of the worktree, "
                           f"then `snaptui snapshots gc` removes it"]
        verb = "would move" if dry_run else "moved"
        where = "the repository" if home == Path(repo_root) else f"{home}"
        notes = [f"{verb} {rel} back into {where} (written by a job in {branch})" for rel in landing.landed]
        keep = "would keep" if dry_run else "kept"
        notes += [f"{keep} {copy} beside {path} in {where}: {path} was changed there after the launch "
                  f"(written by a job in {branch})" for path, copy in landing.kept]
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
