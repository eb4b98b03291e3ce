"""Put what jobs wrote in a worktree at the same path in the repository.

One pass, under the worktree's lock, at the end of each job and before a worktree is removed:
- a file or symlink that is not in the snapshot (new) lands at its path: hard-linked when worktree and
  repository share a filesystem (no copy, and later writes to it show in both), copied when not;
- it replaces the repository's file only when that file is one landing put there (a job of this sweep
  wrote it: the last writer wins, as without snaptui), is the same content, or, for a file that was
  untracked at launch, still holds what it held then; anything else someone changed after the launch
  is kept, and the job's copy goes beside it as `name~snaptui-<sweep>.ext`;
- a file of the snapshot a job changed never replaces the repository's code: if the repository's file
  is untracked and unchanged since the launch it is replaced, else the job's copy goes beside it;
- a file landing put there whose source a job has since deleted is deleted again (only if it is still
  what landing put there), so a job that keeps its last three checkpoints leaves three;
- new folders are made with the user's umask, empty ones included.
Snaptui's own links back into the repository, `.git` and interpreter caches are skipped.
"""
from __future__ import annotations

import filecmp
import os
import secrets
import shutil
import stat
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, Iterator

from .records import Baseline, Ledger, locked_ledger, read_baseline, sha_of_blob

CACHE_NAMES = frozenset({"__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache", ".pytype", ".pyre"})
CACHE_SUFFIXES = (".pyc", ".pyo")


@dataclass
class Landing:
    """What one pass did; `kept` holds (path, copy beside it), `failed` (path, why) files left in the worktree."""

    landed: list[str] = field(default_factory=list)
    kept: list[tuple[str, str]] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)

    def kept_notes(self) -> list[str]:
        return [f"kept {copy} beside {path}, which was changed in the repository after the launch"
                for path, copy in self.kept]

    def to_dict(self) -> dict[str, Any]:
        return {"landed": len(self.landed), "removed": len(self.removed),
                "kept_beside": [{"path": p, "copy": c} for p, c in self.kept],
                "failed": [{"path": p, "why": w} for p, w in self.failed]}


def beside_name(rel: str, sweep: str, n: int = 1) -> str:
    """`out/ckpt.pt` -> `out/ckpt~snaptui-12.pt` (the extension kept, so tools still open it)."""
    path = PurePosixPath(rel)
    stem, suffix = (path.name, "") if path.name.startswith(".") and path.suffix == path.name else \
        (path.stem, path.suffix)
    tag = f"~snaptui-{sweep}" + (f"-{n}" if n > 1 else "")
    return str(path.with_name(f"{stem}{tag}{suffix}"))


def _our_link(target: str, repo_root: Path, rel: str) -> bool:
    """A link snaptui made at launch: it points at the same path in the repository."""
    return target == str(repo_root / rel)


def walk(worktree: Path, repo_root: Path) -> Iterator[tuple[str, os.DirEntry[str]]]:
    """(rel, DirEntry) of every folder, file and symlink a job may have written, top-down."""
    stack = [""]
    while stack:
        top = stack.pop()
        try:
            entries = list(os.scandir(worktree / top if top else worktree))
        except OSError:
            if not top:
                raise  # the worktree itself cannot be read: nothing may be taken as deleted
            continue
        for entry in entries:
            rel = f"{top}/{entry.name}" if top else entry.name
            if (not top and entry.name == ".git") or entry.name in CACHE_NAMES:
                continue
            if entry.is_symlink():
                try:
                    if _our_link(os.readlink(entry.path), repo_root, rel):
                        continue
                except OSError:
                    continue
                yield rel, entry
            elif entry.is_dir(follow_symlinks=False):
                yield rel, entry
                stack.append(rel)
            elif not entry.name.endswith(CACHE_SUFFIXES):
                yield rel, entry


def _stat_key(st: os.stat_result) -> list[int]:
    return [st.st_ino, st.st_size, st.st_mtime_ns]


class _Pass:
    def __init__(self, worktree: Path, repo_root: Path, sweep: str, baseline: Baseline | None, ledger: Ledger,
                 umask: int, dry_run: bool):
        self.worktree, self.repo, self.sweep = worktree, repo_root, sweep
        self.baseline = baseline or Baseline({}, set(), 0)
        self.ledger, self.umask, self.dry_run = ledger, umask, dry_run
        self.out = Landing()
        self.beside: dict[str, list[str]] = {}  # source -> copies of it kept beside someone else's file
        for dest, entry in ledger.files.items():
            if entry.get("beside"):
                self.beside.setdefault(entry["src"], []).append(dest)

    # -- whose is the repository's file ------------------------------------------------------------
    def _ours(self, dest_rel: str, dest_stat: os.stat_result) -> bool:
        entry = self.ledger.files.get(dest_rel)
        if not entry:
            return False
        if entry.get("linked"):
            return bool(dest_stat.st_ino == entry["ino"])
        return _stat_key(dest_stat) == [entry["ino"], entry["size"], entry["mtime"]]

    def _may_replace(self, rel: str, src: Path, dest: Path, dest_stat: os.stat_result) -> str:
        """'same' (nothing to do), 'replace', or 'keep' (someone else's: the job's copy goes beside)."""
        src_stat = os.lstat(src)
        if (dest_stat.st_dev, dest_stat.st_ino) == (src_stat.st_dev, src_stat.st_ino):
            return "same"
        if stat.S_ISDIR(dest_stat.st_mode):
            return "keep"
        if self._ours(rel, dest_stat):
            return "replace"
        if _same_content(src, dest):
            return "same"
        if rel in self.baseline.added and sha_of_blob(dest) == self.baseline.files[rel]:
            return "replace"  # untracked at launch and unchanged since: as without snaptui
        return "keep"

    # -- one file --------------------------------------------------------------------------------
    def file(self, rel: str, entry: os.DirEntry[str]) -> None:
        src = Path(entry.path)
        in_snapshot = rel in self.baseline.files
        st = entry.stat(follow_symlinks=False)
        if in_snapshot and (st.st_ctime_ns < self.baseline.since_ns
                            or sha_of_blob(src) == self.baseline.files[rel]):
            return  # the snapshot's own file, untouched (the hash settles a change in the launch's last tick)
        tracked = in_snapshot and rel not in self.baseline.added
        dest = self.repo / rel
        blocked = self._blocked(rel)
        if blocked:
            self.out.failed.append((rel, f"{blocked} is a file in the repository"))
            return
        try:
            dest_stat = os.lstat(dest)
        except FileNotFoundError:
            dest_stat = None
        if dest_stat is None and not tracked:
            self._put(rel, src, rel, st)
            return
        verdict = "keep" if dest_stat is None else self._may_replace(rel, src, dest, dest_stat)
        if tracked and verdict == "replace":
            verdict = "keep"  # a job never replaces code you track
        if verdict == "same":
            self._drop_beside_copies(rel)
            return
        if verdict == "replace":
            self._put(rel, src, rel, st)
            self._drop_beside_copies(rel)
            return
        copy = self._beside_slot(rel, src)
        if copy is not None:
            self._put(copy, src, rel, st, beside=True)
            self.out.kept.append((rel, copy))

    def _beside_slot(self, rel: str, src: Path) -> str | None:
        for n in range(1, 100):
            copy = beside_name(rel, self.sweep, n)
            try:
                copy_stat = os.lstat(self.repo / copy)
            except FileNotFoundError:
                return copy
            if self._ours(copy, copy_stat) or _same_content(src, self.repo / copy):
                return copy
        self.out.failed.append((rel, "no free name beside it"))
        return None

    def _drop_beside_copies(self, rel: str) -> None:
        """A copy kept beside `rel` earlier is no longer needed once `rel` itself holds the job's file."""
        for dest in self.beside.pop(rel, ()):
            self._remove_if_ours(dest)

    def _blocked(self, rel: str) -> str | None:
        for parent in reversed(PurePosixPath(rel).parents):
            if str(parent) == ".":
                continue
            path = self.repo / parent
            if os.path.lexists(path) and not path.is_dir():
                return str(parent)
        return None

    def _put(self, dest_rel: str, src: Path, src_rel: str, src_stat: os.stat_result, *, beside: bool = False) -> None:
        entry = self.ledger.files.get(dest_rel)
        dest = self.repo / dest_rel
        if entry and entry.get("src_stat") == _stat_key(src_stat) and entry.get("src") == src_rel:
            try:
                if self._ours(dest_rel, os.lstat(dest)):
                    return  # landed before and unchanged since (a checkpoint is not copied again)
            except FileNotFoundError:
                pass
        if not beside:
            self.out.landed.append(dest_rel)
        if self.dry_run:
            return
        try:
            self.folder(str(PurePosixPath(dest_rel).parent))
            linked = _place(src, dest)
            st = os.lstat(dest)
        except OSError as exc:
            self.out.failed.append((src_rel, exc.strerror or str(exc)))
            if not beside:
                self.out.landed.remove(dest_rel)
            return
        self.ledger.files[dest_rel] = {"src": src_rel, "ino": st.st_ino, "size": st.st_size, "mtime": st.st_mtime_ns,
                                       "linked": linked, "beside": beside, "src_stat": _stat_key(src_stat)}

    # -- folders ---------------------------------------------------------------------------------
    def folder(self, rel: str) -> None:
        """Make `rel` and its missing parents in the repository, with the user's umask."""
        if rel in (".", ""):
            return
        missing = []
        for part in [PurePosixPath(rel), *PurePosixPath(rel).parents]:
            if str(part) == "." or (self.repo / part).is_dir():
                break
            missing.append(str(part))
        for made in reversed(missing):
            if self.dry_run:
                continue
            path = self.repo / made
            try:
                path.mkdir()
            except FileExistsError:
                continue
            os.chmod(path, 0o777 & ~self.umask)
            if made not in self.ledger.dirs:
                self.ledger.dirs.append(made)

    def new_folder(self, rel: str) -> None:
        if rel not in self.baseline.dirs and not self._blocked(rel + "/x"):
            self.folder(rel)

    # -- deletions -------------------------------------------------------------------------------
    def _remove_if_ours(self, dest_rel: str) -> bool:
        dest = self.repo / dest_rel
        try:
            if not self._ours(dest_rel, os.lstat(dest)):
                self.ledger.files.pop(dest_rel, None)
                return False
        except FileNotFoundError:
            self.ledger.files.pop(dest_rel, None)
            return False
        if not self.dry_run:
            dest.unlink()
            self.ledger.files.pop(dest_rel, None)
        return True

    def deletions(self) -> None:
        for dest_rel, entry in list(self.ledger.files.items()):
            if os.path.lexists(self.worktree / entry["src"]):
                continue
            if self._remove_if_ours(dest_rel):
                self.out.removed.append(dest_rel)
        for rel in sorted(self.ledger.dirs, key=lambda d: -d.count("/")):
            if os.path.lexists(self.worktree / rel):
                continue
            try:
                if not self.dry_run:
                    (self.repo / rel).rmdir()
                    self.ledger.dirs.remove(rel)
            except OSError:
                if not (self.repo / rel).is_dir():
                    self.ledger.dirs.remove(rel)


def _same_content(a: Path, b: Path) -> bool:
    try:
        if os.path.islink(a) or os.path.islink(b):
            return os.path.islink(a) and os.path.islink(b) and os.readlink(a) == os.readlink(b)
        return os.path.isfile(b) and filecmp.cmp(a, b, shallow=False)
    except OSError:
        return False


def _place(src: Path, dest: Path) -> bool:
    """Put `src` at `dest` atomically (a reader sees the old file or the new, whole); True if hard-linked."""
    temp = dest.parent / f".{dest.name}.snaptui-{secrets.token_hex(3)}"
    linked = False
    try:
        if os.path.islink(src):
            os.symlink(os.readlink(src), temp)
        else:
            try:
                os.link(src, temp)
                linked = True
            except OSError:  # another filesystem (EXDEV), or links not allowed there
                shutil.copy2(src, temp)
        os.replace(temp, dest)
    except BaseException:
        if os.path.lexists(temp):
            os.unlink(temp)
        raise
    return linked


def land(worktree: Path, repo_root: Path, sweep: str | int, *, umask: int | None = None,
         dry_run: bool = False) -> Landing:
    """Land what jobs wrote in `worktree` into `repo_root` (see the module's docstring)."""
    worktree, repo_root = Path(worktree), Path(repo_root)
    if umask is None:
        umask = os.umask(0)
        os.umask(umask)
    baseline = read_baseline(worktree)
    if baseline is None:  # without it every file of the snapshot would look written by a job
        raise OSError(f"{worktree} has no landing baseline (made by a launch or `snapshots gc`)")
    with locked_ledger(worktree, save=not dry_run) as ledger:
        one = _Pass(worktree, repo_root, str(sweep), baseline, ledger, umask, dry_run)
        for rel, entry in walk(worktree, repo_root):
            if entry.is_dir(follow_symlinks=False) and not entry.is_symlink():
                one.new_folder(rel)
            else:
                one.file(rel, entry)
        one.deletions()
    return one.out
