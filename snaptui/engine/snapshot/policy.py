"""Code is snapshotted, data is not copied: which untracked paths go into a snapshot commit and
which are linked into the worktree instead, and the preview `--dry-run` and the TUI show.

Tracked files always go in (they are code you committed or staged). Untracked, not ignored
files go in unless they are larger than ``snapshot.max_untracked_mb`` or match a
``snapshot.exclude`` pattern: those are symlinked from the worktree to the live file, so a job
reading ``data/`` still finds it. A folder with no tracked file whose every file is left out is
linked as one folder (jobs writing new checkpoints there write into the repository). When what
would still be copied exceeds ``snapshot.max_total_mb`` the launch is refused, naming the
largest entries.

Patterns follow .gitignore's common forms: ``name`` matches at any depth, a pattern holding a
``/`` is anchored at the repository root, a trailing ``/`` matches folders only, ``*`` and
``?`` are globs (``**`` matches across folders).
"""
from __future__ import annotations

import fnmatch
import os
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any, Iterable, Sequence

from snaptui.engine.config.model import SnapshotSettings
from snaptui.engine.gitrepo import SnapshotError, git_for, run
from snaptui.engine.landing.land import CACHE_NAMES, CACHE_SUFFIXES

if TYPE_CHECKING:
    import git

MB = 1024 * 1024


class SnapshotTooBig(SnapshotError):
    """Bad input, like a bad config: the launch is refused before anything is written (exit 2)."""

    exit_code = 2


IGNORED_REASON = "ignored by git"


@dataclass(frozen=True)
class LeftOut:
    """A path linked into the worktree instead of committed: untracked data, or a path git ignores.
    `bytes`/`files` are None when counting them would take too long (a 100,000-file `.venv/`)."""

    path: str
    bytes: int | None
    files: int | None
    reason: str
    folder: bool | None = None

    @property
    def ignored(self) -> bool:
        return self.reason == IGNORED_REASON

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"path": self.path, "bytes": self.bytes, "files": self.files, "reason": self.reason}
        return out if self.folder is None else {**out, "folder": self.folder}


@dataclass
class SnapshotPlan:
    """What a snapshot of the working tree holds now: the engine's preview of a launch."""

    tracked_files: int = 0
    untracked: list[str] = field(default_factory=list)      # committed untracked files
    untracked_bytes: int = 0
    left_out: list[LeftOut] = field(default_factory=list)
    ignored: list[LeftOut] = field(default_factory=list)    # linked because git ignores them
    embedded_repos: list[str] = field(default_factory=list)
    sizes: dict[str, int] = field(default_factory=dict)    # of the committed untracked files
    tracked_dirs: set[str] = field(default_factory=set)
    tracked: list[str] = field(default_factory=list)

    @property
    def files(self) -> int:
        return self.tracked_files + len(self.untracked)

    @property
    def left_out_bytes(self) -> int:
        return sum(e.bytes or 0 for e in self.left_out)

    @property
    def linked(self) -> list[LeftOut]:
        """Everything the worktree links back to the repository instead of holding a copy of."""
        return self.left_out + self.ignored

    def largest(self, limit: int = 5) -> list[tuple[str, int, int]]:
        """(path, bytes, files) of the biggest committed untracked entries, folders summed."""
        groups: dict[str, list[int]] = {}
        for rel in self.untracked:
            root = untracked_root(rel, self.tracked_dirs)
            acc = groups.setdefault(root, [0, 0])
            acc[0] += self.sizes.get(rel, 0)
            acc[1] += 1
        ranked = sorted(groups.items(), key=lambda kv: -kv[1][0])
        return [(path, b, n) for path, (b, n) in ranked[:limit]]

    def check_total(self, settings: SnapshotSettings) -> None:
        limit = settings.max_total_mb * MB
        if limit <= 0 or self.untracked_bytes <= limit:
            return
        rows = "\n".join(f"  {human(b):>9}  {p}{'/' if n > 1 or p in self.tracked_dirs else ''}"
                         f"{f' ({n} files)' if n > 1 else ''}" for p, b, n in self.largest())
        first = self.largest(1)[0][0]
        raise SnapshotTooBig(
            f"the snapshot would copy {human(self.untracked_bytes)} of untracked files, more than "
            f"snapshot.max_total_mb = {settings.max_total_mb:g}; the largest:\n{rows}\n"
            f"leave data out with snapshot.exclude = [\"{first}\"] in snaptui.toml (it is then linked into "
            f"the worktree, not copied), or add it to .gitignore")

    def to_dict(self) -> dict[str, Any]:
        return {"files": self.files, "untracked_files": len(self.untracked), "untracked_bytes": self.untracked_bytes,
                "left_out": [e.to_dict() for e in self.left_out], "ignored": [e.to_dict() for e in self.ignored],
                "embedded_repos": list(self.embedded_repos)}

    def describe(self) -> list[str]:
        """Lines for a dry run: what goes in, what is linked and why."""
        lines = [f"snapshot: {self.files} files ({len(self.untracked)} untracked, "
                 f"{human(self.untracked_bytes)} to copy)"]
        if self.left_out:
            lines.append(f"linked, not copied ({human(self.left_out_bytes)}):")
            for entry in self.left_out[:20]:
                many = f", {entry.files} files" if (entry.files or 0) > 1 else ""
                lines.append(f"  {entry.path} ({human(entry.bytes or 0)}{many}): {entry.reason}")
            if len(self.left_out) > 20:
                lines.append(f"  ... and {len(self.left_out) - 20} more")
        if self.linked:
            lines.append(linked_summary([e.to_dict() for e in self.linked]))
        return lines


def linked_summary(entries: list[dict[str, Any]], limit: int = 8) -> str:
    """One line for the launch, `--dry-run` and the TUI: `linked from the repository: data/ (ignored,
    12.0 MB), .venv/ (ignored)`; entries as in a snapshot's record (LeftOut.to_dict)."""
    shown = []
    for entry in entries[:limit]:
        kind = "ignored" if entry.get("reason") == IGNORED_REASON else "untracked"
        size = f", {human(entry['bytes'])}" if entry.get("bytes") is not None else ""
        slash = "/" if entry.get("folder", entry.get("files") != 1) else ""
        shown.append(f"{entry['path']}{slash} ({kind}{size})")
    more = f" and {len(entries) - limit} more" if len(entries) > limit else ""
    return "linked from the repository: " + ", ".join(shown) + more


def human(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GB"


# ---------------------------------------------------------------------------- matching

def _ancestors(rel: str) -> list[str]:
    """'a/b/c' -> ['a', 'a/b']: folders from the top down (git's paths: '/'-separated, no '.' or '//')."""
    ends = [i for i, c in enumerate(rel) if c == "/"]
    return [rel[:i] for i in ends]


def untracked_root(rel: str, tracked_dirs: set[str]) -> str:
    """The topmost folder above ``rel`` holding no tracked file, or ``rel`` itself."""
    for folder in _ancestors(rel):
        if folder not in tracked_dirs:
            return folder
    return rel


def _glob(pattern: str, path: str) -> bool:
    return fnmatch.fnmatchcase(path, pattern.replace("**/", "*").replace("**", "*"))


def match_exclude(rel: str, patterns: Iterable[str]) -> tuple[str, str] | None:
    """(the shallowest path at or above ``rel`` a pattern matches, the pattern), or None."""
    candidates = [(a, True) for a in _ancestors(rel)] + [(rel, False)]
    for path, is_dir in candidates:
        for raw in patterns:
            pattern, dir_only = raw.rstrip("/"), raw.endswith("/")
            if dir_only and not is_dir:
                continue
            anchored = "/" in pattern
            target = path if anchored else PurePosixPath(path).name
            if _glob(pattern.lstrip("/"), target):
                return path, raw
    return None


# ---------------------------------------------------------------------------- the plan

def classify(repo_root: Path, untracked: list[str], tracked: list[str], settings: SnapshotSettings,
             embedded: Sequence[str] = ()) -> SnapshotPlan:
    """Split untracked files into committed and linked (no git call: the caller listed them)."""
    plan = SnapshotPlan(tracked_files=len(tracked), embedded_repos=list(embedded), tracked=list(tracked))
    plan.tracked_dirs = {a for rel in tracked for a in _ancestors(rel)}
    limit = settings.max_untracked_mb * MB
    sizes: dict[str, int] = {}
    for rel in untracked:
        try:
            sizes[rel] = os.lstat(repo_root / rel).st_size
        except OSError:
            sizes[rel] = 0
    links: dict[str, list[Any]] = {}   # link path -> [bytes, files, reason]
    oversized: dict[str, list[str]] = {}  # untracked root -> its oversized files
    by_root: dict[str, int] = {}
    for rel in untracked:
        found = match_exclude(rel, settings.exclude)
        if found:
            path, pattern = found
            if path in plan.tracked_dirs:  # a folder holding tracked code: link only its untracked parts
                path = untracked_root(rel, plan.tracked_dirs)
            entry = links.setdefault(path, [0, 0, f"matches snapshot.exclude {pattern!r}"])
            entry[0] += sizes[rel]
            entry[1] += 1
            continue
        root = untracked_root(rel, plan.tracked_dirs)
        by_root[root] = by_root.get(root, 0) + 1
        if limit > 0 and sizes[rel] > limit:
            oversized.setdefault(root, []).append(rel)
    for root, files in oversized.items():
        big = f"larger than snapshot.max_untracked_mb = {settings.max_untracked_mb:g}"
        if root not in files and len(files) == by_root[root]:  # a folder of data only: one link
            links[root] = [sum(sizes[f] for f in files), len(files), f"every file in it is {big}"]
        else:
            for rel in files:
                links[rel] = [sizes[rel], 1, big]
    for path in [p for p in links if any(a in links for a in _ancestors(p))]:
        outer = next(a for a in _ancestors(path) if a in links)
        links[outer][0] += links[path][0]
        links[outer][1] += links[path][1]
        del links[path]
    linked = set(links)
    for rel in untracked:
        if rel in linked or any(a in linked for a in _ancestors(rel)):
            continue
        plan.untracked.append(rel)
        plan.sizes[rel] = sizes[rel]
        plan.untracked_bytes += sizes[rel]
    plan.left_out = sorted((LeftOut(p, b, n, why) for p, (b, n, why) in links.items()),
                           key=lambda e: (-(e.bytes or 0), e.path))
    return plan


def scan_worktree(g: git.Git, env: dict[str, Any], excludes: list[str]) -> tuple[list[str], list[str], list[str]]:
    """The one walk of the tree: untracked paths (to add without a second walk), unmerged paths
    (refused), embedded repositories (recorded as commits). Returns (untracked, embedded, warnings)."""
    _, out, _ = run(g, "ls-files", "-z", "-t", "-o", "-u", "--exclude-standard", "--", *excludes,
                    env=env, binary=True)
    untracked: list[str] = []
    embedded: list[str] = []
    unmerged: list[str] = []
    for item in filter(None, out.split(b"\0")):
        tag, rest = item[:2], item[2:]
        if tag == b"M ":
            unmerged.append(os.fsdecode(rest.split(b"\t", 1)[1]))
        elif tag == b"? ":
            (embedded if rest.endswith(b"/") else untracked).append(os.fsdecode(rest.rstrip(b"/")))
    if unmerged:
        names = sorted(set(unmerged))
        shown = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
        raise SnapshotError(f"unmerged paths in the index ({shown}): resolve the merge conflict first, "
                            "then launch again")
    warnings = [f"embedded git repository {name} is recorded as a commit only; its files are not in the snapshot"
                for name in embedded]
    return untracked, embedded, warnings


# Interpreter caches hold bytecode of the live code, not data: the snapshot makes its own.
MEASURE_ENTRIES, MEASURE_ENTRIES_EACH = 10_000, 2_000  # a launch sizes this many entries it links, no more


def ignored_args(excludes: list[str]) -> tuple[str, ...]:
    return ("ls-files", "-z", "-o", "-i", "--exclude-standard", "--directory", "--", *excludes)


def scan_ignored(g: git.Git, env: dict[str, str], excludes: list[str]) -> list[str]:
    """Paths git ignores, a folder of ignored paths as one entry (git's --directory; it lists such a
    folder's files as well, which are dropped here): a 100,000-file `.venv/` costs one line."""
    return ignored_of(run(g, *ignored_args(excludes), env=env, binary=True)[1])


def ignored_of(out: bytes) -> list[str]:
    kept: set[str] = set()
    for rel in sorted(os.fsdecode(p.rstrip(b"/")) for p in out.split(b"\0") if p):
        if not any(a in kept for a in _ancestors(rel)):
            kept.add(rel)
    return sorted(kept)


STATE_FOLDERS = (".snaptui", ".submitit")  # snaptui's state and the jobs' logs: never linked as data


def own_folders(repo_root: Path, worktree_root: Path) -> set[str]:
    """snaptui's own folders in the repository: its state, the logs, and the worktrees if kept inside."""
    own = set(STATE_FOLDERS)
    real_root, real_wt = Path(repo_root).resolve(), Path(worktree_root).resolve()
    if real_root in real_wt.parents:
        own.add(real_wt.relative_to(real_root).as_posix())
    return own


def _overlaps(rel: str, folders: set[str]) -> bool:
    return any(rel == f or f.startswith(rel + "/") or rel.startswith(f + "/") for f in folders)


def ignored_links(repo_root: Path, paths: list[str], own: set[str], linked: list[str]) -> list[LeftOut]:
    """The ignored paths a worktree links back to the repository: all of them but snaptui's own folders
    (`own`; a folder holding one is skipped too), interpreter caches and what is already linked
    (`linked`, or inside it)."""
    out, budget = [], [MEASURE_ENTRIES]
    taken = set(linked)
    for rel in paths:
        parts = PurePosixPath(rel).parts
        if _overlaps(rel, own) or set(parts) & CACHE_NAMES or rel.endswith(CACHE_SUFFIXES):
            continue
        if rel in taken or any(a in taken for a in _ancestors(rel)):
            continue
        full = repo_root / rel
        size, count = _measure(full, budget)
        out.append(LeftOut(rel, size, count, IGNORED_REASON, full.is_dir()))
    return out


def _measure(path: Path, budget: list[int]) -> tuple[int | None, int | None]:
    """(bytes, files) under `path` (followed if it is a link), or (None, None) past the budget."""
    try:
        if not path.is_dir():
            return os.stat(path).st_size, 1
    except OSError:
        return None, None
    total, files, seen = 0, 0, 0
    stack: list[str | Path] = [path]
    limit = min(budget[0], MEASURE_ENTRIES_EACH)
    while stack:
        try:
            entries = list(os.scandir(stack.pop()))
        except OSError:
            continue
        seen += len(entries)
        if seen > limit:
            budget[0] -= limit
            return None, None
        for entry in entries:
            try:
                if entry.is_dir(follow_symlinks=False):
                    stack.append(entry.path)
                else:
                    total += entry.stat(follow_symlinks=False).st_size
                    files += 1
            except OSError:
                continue
    budget[0] -= seen
    return total, files


TRACKED_ARGS = ("ls-files", "-z")


def list_tracked(g: git.Git, env: dict[str, Any] | None = None) -> list[str]:
    return tracked_of(run(g, *TRACKED_ARGS, env=env, binary=True)[1])


def tracked_of(listing: bytes) -> list[str]:
    return [os.fsdecode(p) for p in listing.split(b"\0") if p]


def preview_snapshot(repo_root: Path, settings: SnapshotSettings, workdir: str | None = None) -> SnapshotPlan:
    """What a launch now would snapshot and leave out, without writing anything (not even the
    index: reads run with optional locks off). For `--dry-run` and the TUI's launch preview."""
    from .joboutputs import linked_paths
    from .snapshots import _exclude_pathspecs, find_repo_root
    from snaptui.engine.gitrepo import resolve_worktree_root

    repo_root = find_repo_root(repo_root)
    g = git_for(repo_root)
    links = linked_paths(settings.symlink_paths, workdir)
    excludes = _exclude_pathspecs(links)
    untracked, embedded, _ = scan_worktree(g, {}, excludes)  # refuses unmerged paths as a launch would
    plan = classify(repo_root, untracked, list_tracked(g), settings, embedded)
    own = own_folders(repo_root, resolve_worktree_root(repo_root, settings.worktree_root))
    plan.ignored = ignored_links(repo_root, scan_ignored(g, {}, excludes), own,
                                 links + [e.path for e in plan.left_out])
    return plan
