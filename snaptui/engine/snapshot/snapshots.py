"""Snapshots: one commit + branch + worktree per launch, so queued jobs never see later edits.

The commit is built against a temporary copy of the user's index (copying keeps git's stat
cache, so unchanged files are not rehashed), never the index itself: the user's working tree,
index, stash, HEAD and branch are left exactly as they were. Any failure rolls back everything
this module created (branch, worktree, directories, temp index). Only unreachable git objects
may remain; ``git gc`` drops them.

Decisions:
- Branch names are ``<prefix>/<YYYYMMDD-HHMMSS>-<6 hex>`` with the time in UTC, so names sort
  and compare the same on every machine (laptop, cluster nodes) whatever their time zone.
- A repo without commits is allowed: the snapshot commit has no parent, base_commit is None.
- Detached HEAD and a merge/rebase without conflicts work on the tree as it is; unmerged index
  entries are refused (``add`` would silently commit the conflict markers).
- Submodules are recorded at their checked-out commit (a warning says so); their worktree
  directory is empty.
- ``symlink_paths`` are left out of the commit: the worktree links them back to the repo anyway.
- Untracked data is linked, not committed (policy.py); ``max_untracked_mb = 0`` commits
  untracked files of any size.
- User hooks never run (see gitrepo.py).
"""
from __future__ import annotations

import calendar
import errno
import os
import re
import secrets
import shutil
import tempfile
import time
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from snaptui.engine.config.model import SnapshotSettings
from snaptui.engine.errors import SnaptuiError
from .hashing import add_paths
from .quarantine import Quarantine, quarantine
from .fidelity import fix_modes, git_config_env, match_working_bytes, read_config, unflag_present
from .joboutputs import dangling_link_warnings, linked_paths, retire_worktree
from .policy import (TRACKED_ARGS, SnapshotPlan, classify, ignored_args, ignored_links, ignored_of, own_folders,
                     scan_worktree, tracked_of)
from snaptui.engine.landing.baseline import SNAPSHOT_SUBJECT, PendingBaseline
from snaptui.engine.gitrepo import (GitFailed, SnapshotError, add_worktree, check_symlink_paths, ensure_excluded,
                                    find_repo_root, finish, finish_bytes, git_for, link_shared_paths, list_worktrees,
                                    remove_worktree, resolve_worktree_root, run, start, toplevel_lines,
                                    worktree_disk_usage)

if TYPE_CHECKING:
    import git

Progress = Callable[[int, int], None]   # (bytes hashed, bytes to hash)

__all__ = ["Snapshot", "SnapshotInfo", "SnapshotError", "find_repo_root", "take_snapshot", "discard_snapshot",
           "list_snapshots", "remove_worktree", "delete_branch", "diff_summary", "worktree_disk_usage"]

ZERO_SHA = "0" * 40
SUBJECT = SNAPSHOT_SUBJECT
FALLBACK_IDENTITY = {"NAME": "snaptui", "EMAIL": "snaptui@localhost"}
_STAMP_RE = re.compile(r"(\d{8}-\d{6})-[0-9a-f]+$")


@dataclass(frozen=True)
class Snapshot:
    commit: str                 # full sha
    branch: str                 # without refs/heads/
    base_commit: str | None     # HEAD at snapshot time; None in a repo without commits
    worktree: Path              # absolute
    created_at: float
    dirty: bool                 # True if a new commit was made (the tree differed from HEAD)
    warnings: tuple[str, ...] = ()
    linked: tuple[dict[str, Any], ...] = ()  # untracked paths linked into the worktree, not committed (LeftOut.to_dict)

    def to_dict(self) -> dict[str, Any]:
        return {"commit": self.commit, "branch": self.branch, "base_commit": self.base_commit,
                "worktree": str(self.worktree), "created_at": self.created_at, "dirty": self.dirty,
                "warnings": list(self.warnings), "linked": list(self.linked)}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Snapshot":
        return cls(commit=d["commit"], branch=d["branch"], base_commit=d.get("base_commit"),
                   worktree=Path(d["worktree"]), created_at=float(d["created_at"]), dirty=bool(d["dirty"]),
                   warnings=tuple(d.get("warnings", ())), linked=tuple(d.get("linked", ())))


@dataclass(frozen=True)
class SnapshotInfo:
    branch: str
    commit: str
    created_at: float
    dirty: bool
    worktree: Path | None
    disk_usage: int             # bytes used by the worktree (0 without one)


# ---------------------------------------------------------------------------- repository facts

def _repo_facts(path: Path) -> tuple[Path, Path, Path, str | None, str | None]:
    """Top level, index file, info/exclude, HEAD and its tree: one git call unless HEAD is unborn."""
    cwd = Path(os.path.abspath(os.path.expanduser(path)))
    cwd = cwd if cwd.is_dir() else cwd.parent
    paths = ("--git-path", "index", "--git-path", "info/exclude")
    status, out, _ = run(git_for(cwd), "rev-parse", "--show-toplevel", *paths, "HEAD", "HEAD^{tree}", "--",
                         check=False) if cwd.is_dir() else (1, "", "")
    if status == 0:
        top, index, exclude, head, tree = out.splitlines()[:5]
    else:  # unborn HEAD, or not a repository: the slow path has the error messages
        top, index, exclude = toplevel_lines(path, *paths)
        head, tree = _head(git_for(Path(top)))
    return Path(top), cwd / index, cwd / exclude, head, tree


def _head(g: git.Git) -> tuple[str | None, str | None]:
    """(HEAD commit, its tree), or (None, None) when HEAD is unborn."""
    status, out, err = run(g, "rev-parse", "-q", "--verify", "HEAD", check=False)
    if status == 1 and not err.strip():
        return None, None
    if status != 0:
        raise GitFailed(("rev-parse", "HEAD"), err, status)
    _, tree, _ = run(g, "rev-parse", "HEAD^{tree}", "--")
    return out.strip(), tree.splitlines()[0]


def _exclude_pathspecs(paths: list[str]) -> list[str]:
    """Symlinked paths (outputs...) point back at the repo: hashing them into every snapshot would
    cost time and disk for content the jobs reach live anyway."""
    return [f":(top,exclude,literal){p}" for p in paths]


# ---------------------------------------------------------------------------- the commit

def _identity_env(config: dict[str, str]) -> dict[str, str]:
    """commit-tree refuses to run without a name/email; fall back rather than fail a launch."""
    keys = set(config)
    env = {}
    for role in ("AUTHOR", "COMMITTER"):
        for what, value in FALLBACK_IDENTITY.items():
            var = f"GIT_{role}_{what}"
            configured = {f"user.{what.lower()}", f"{role.lower()}.{what.lower()}"} & keys
            if not configured and var not in os.environ and not (what == "EMAIL" and "EMAIL" in os.environ):
                env[var] = value
    return env


def _no_split_index(**more: str) -> dict[str, str]:
    """A split index would leave a new sharedindex file in .git for our throwaway index; config
    the user passes through the environment is kept (ours comes after it)."""
    return git_config_env({"core.splitIndex": "false", **more})


def _make_commit(g: git.Git, repo_root: Path, index_file: Path, head: tuple[str | None, str | None],
                 settings: SnapshotSettings, excludes: list[str], warnings: list[str],
                 progress: Progress | None = None, linked: tuple[list[str], set[str]] = ([], set()),
                 config: dict[str, str] | None = None) -> tuple[str, str | None, bool, SnapshotPlan]:
    """(snapshot commit, base commit, dirty, what went in). New objects reach .git/objects only
    when the commit is complete; a full disk is said in one sentence."""
    try:
        with quarantine(g, repo_root) as q:
            result = _build_commit(g, repo_root, index_file, head, settings, excludes, warnings, progress, q, linked,
                                   read_config(g) if config is None else config)
            q.migrate()
            return result
    except GitFailed as exc:
        if _disk_full(exc.stderr):
            raise SnapshotError(f"the disk is full ({exc.stderr.strip().splitlines()[-1]}): nothing was launched "
                                f"and the partial snapshot was removed; free some space and launch again") from None
        raise
    except OSError as exc:
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            raise SnapshotError(f"the disk is full ({exc.strerror}: {exc.filename}): nothing was launched and the "
                                f"partial snapshot was removed; free some space and launch again") from None
        raise


def _disk_full(stderr: str) -> bool:
    return "No space left on device" in stderr or "Disk quota exceeded" in stderr


def _build_commit(g: git.Git, repo_root: Path, index_file: Path, head: tuple[str | None, str | None],
                  settings: SnapshotSettings, excludes: list[str], warnings: list[str],
                  progress: Progress | None, q: Quarantine, linked: tuple[list[str], set[str]], config: dict[str, str]
                  ) -> tuple[str, str | None, bool, SnapshotPlan]:
    """The temp index lives and dies in here, inside the quarantine ``q`` (so a killed launch's
    index goes with it); git writes objects there too. ``linked`` is (the symlinked paths, snaptui's
    own folders): what ignored paths are not linked for."""
    base, base_tree = head
    objects_env = q.env
    tmpdir = tempfile.mkdtemp(prefix="snaptui-index-", dir=q.folder)
    try:
        tmp_index, scan_index = os.path.join(tmpdir, "index"), os.path.join(tmpdir, "scan-index")
        if index_file.exists():
            shutil.copy2(index_file, tmp_index)  # copy2 keeps the mtime git's racy-entry check relies on
            shutil.copy2(index_file, scan_index)  # add -u below resolves conflicts the scan must still see
        write_env = {"GIT_INDEX_FILE": tmp_index, **_no_split_index(), **objects_env}
        # `add -u` (tracked edits, deletions) overlaps the walk for untracked files; together with
        # update-index they give what `add -A` would, without walking the tree twice.
        warnings += unflag_present(g, repo_root, write_env)
        add_args = ("add", "-u", "--", *excludes)
        adding = start(g, *add_args, env=write_env)
        scan_env = {"GIT_INDEX_FILE": scan_index}
        listings = {}  # the tracked and the ignored paths are listed while the walk for untracked ones runs
        try:
            for args in (TRACKED_ARGS, ignored_args(excludes)):
                listings[args] = start(g, *args, env=scan_env)
            untracked, embedded, found = scan_worktree(g, scan_env, excludes)
            tracked, ignored = (finish_bytes(listings.pop(args), args) for args in list(listings))
            plan = classify(repo_root, untracked, tracked_of(tracked), settings, embedded)
            plan.check_total(settings)  # before any byte is hashed
            links, own = linked
            plan.ignored = ignored_links(repo_root, ignored_of(ignored), own, links + [e.path for e in plan.left_out])
        except BaseException:
            for handle in (adding, *listings.values()):
                handle.proc.communicate()  # reap it before its index goes; the scan's error is the one to report
            raise
        finish(adding, add_args)
        warnings += found
        fix_modes(g, repo_root, write_env, config)
        to_add = plan.untracked + plan.embedded_repos
        if to_add:  # new files keep their exec bit even where core.fileMode=false hides it for tracked ones
            add_paths(g, Path(tmpdir), to_add, plan.sizes,
                       {**write_env, **_no_split_index(**{"core.fileMode": "true"})}, progress)
        _, tree, _ = run(g, "write-tree", env=write_env)
    finally:
        shutil.rmtree(tmpdir, ignore_errors=True)
    tree = tree.strip()
    if tree == base_tree and base is not None:
        return base, base, False, plan
    parent = ["-p", base] if base else []
    _, commit, _ = run(g, "commit-tree", "--no-gpg-sign", *parent, "-m", SUBJECT,
                       "-m", f"Uncommitted working tree of {base or 'a repository without commits'}.",
                       tree, env={**_identity_env(config), **objects_env})
    return commit.strip(), base, True, plan


# ---------------------------------------------------------------------------- branch + worktree

def _short_id() -> str:
    return secrets.token_hex(3)


def _create_branch(g: git.Git, prefix: str, commit: str, created_at: float, worktree_root: Path,
                   short_id: str | None = None) -> str:
    """update-ref with an all-zero old value creates or fails, never overwrites: a clash with a
    launch in the same second (another process) just draws a new random id."""
    stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime(created_at))
    for attempt in range(50):
        branch = f"{prefix}/{stamp}-{short_id if short_id and attempt == 0 else _short_id()}"
        if os.path.lexists(worktree_root / branch.replace("/", "-")):
            continue
        status, _, err = run(g, "update-ref", f"refs/heads/{branch}", commit, ZERO_SHA, check=False)
        if status == 0:
            return branch
        if "exists; cannot create" in err:
            raise SnapshotError(f"cannot create branch {branch}: a branch named {prefix!r} (or a parent of it) "
                                f"exists; change snapshot.branch_prefix")
        if "already exists" not in err and "File exists" not in err:
            raise GitFailed(("update-ref", branch), err, status)
    raise SnapshotError(f"could not find a free branch name under {prefix}/ after 50 tries")


def _submodule_warning(g: git.Git, repo_root: Path) -> list[str]:
    if not (repo_root / ".gitmodules").is_file():
        return []
    _, out, _ = run(g, "config", "-f", ".gitmodules", "--get-regexp", r"^submodule\..*\.path$", check=False)
    paths = [line.split(" ", 1)[1] for line in out.splitlines() if " " in line]
    if not paths:
        return []
    return [f"submodules ({', '.join(paths)}) are recorded at their checked-out commit only: their uncommitted "
            f"changes are not in the snapshot and they are empty directories in the worktree"]


def take_snapshot(repo_root: Path, settings: SnapshotSettings, *, short_id: str | None = None,
                  workdir: str | None = None, progress: Progress | None = None) -> Snapshot:
    """Commit the working tree as it is, branch it, and check it out as a locked worktree.

    `short_id` ends the branch name when free (the engine passes the launch's uid, so an
    interrupted launch can find its branch); otherwise a random one is drawn. `workdir` is where
    the jobs run (relative to the root): the linked paths are linked there too. `progress(done, total)`
    is called with bytes hashed while untracked files are added."""
    created_at = time.time()
    repo_root, index_file, exclude_file, *head = _repo_facts(repo_root)
    g = git_for(repo_root)
    links = linked_paths(check_symlink_paths(repo_root, settings.symlink_paths), workdir)
    worktree_root = resolve_worktree_root(repo_root, settings.worktree_root)
    ensure_excluded(exclude_file, repo_root, worktree_root)
    warnings: list[str] = dangling_link_warnings(repo_root, links)
    config = read_config(g)
    commit, base, dirty, plan = _make_commit(g, repo_root, index_file, (head[0], head[1]), settings,
                                           _exclude_pathspecs(links), warnings, progress,
                                           (links, own_folders(repo_root, worktree_root)), config)
    links = present_links(repo_root, links)
    with ExitStack() as undo:
        baseline = PendingBaseline(g, commit, base)  # runs while the worktree is checked out
        undo.callback(baseline.cancel)
        branch = _create_branch(g, settings.branch_prefix, commit, created_at, worktree_root, short_id)
        undo.callback(run, g, "update-ref", "-d", f"refs/heads/{branch}", commit, check=False)
        worktree = worktree_root / branch.replace("/", "-")
        undo.callback(_undo_worktree, repo_root, worktree)
        try:
            add_worktree(repo_root, worktree, commit, branch)
        except OSError as exc:
            raise SnapshotError(f"cannot create worktree under {worktree_root}: {exc.strerror or exc}") from exc
        created: list[Path] = []
        undo.callback(_rmdirs, created)
        try:
            link_shared_paths(repo_root, worktree, links, created)
            link_shared_paths(repo_root, worktree, [e.path for e in plan.linked], created)
        except OSError as exc:
            raise SnapshotError(f"cannot link {', '.join(links)} into {worktree}: {exc}") from exc
        warnings += match_working_bytes(g, repo_root, worktree, commit, plan.tracked + plan.untracked, config)
        warnings += _submodule_warning(g, repo_root)
        baseline.write(worktree)
        undo.pop_all()
    return Snapshot(commit, branch, base, worktree, created_at, dirty, tuple(warnings),
                    tuple(e.to_dict() for e in plan.linked))


def present_links(repo_root: Path, links: list[str]) -> list[str]:
    """The symlinked paths that exist in the repository, and `.submitit` (the jobs' logs), which is made:
    a result folder that does not exist yet is not made for nothing. Jobs writing there write into the
    worktree and what they wrote lands in the repository when they end (landing); the next launch links it."""
    return [entry for entry in links if entry == ".submitit" or os.path.lexists(repo_root / entry)]


def _undo_worktree(repo_root: Path, worktree: Path) -> None:
    """Best effort: the path did not exist before this launch, so whatever is there is ours."""
    try:
        remove_worktree(repo_root, worktree)
    except SnaptuiError:
        pass
    if os.path.lexists(worktree):
        shutil.rmtree(worktree, ignore_errors=True)


def _rmdirs(dirs: list[Path]) -> None:
    for d in dirs:
        try:
            d.rmdir()
        except OSError:
            pass


# ---------------------------------------------------------------------------- housekeeping

def discard_snapshot(repo_root: Path, snapshot: Snapshot) -> list[str]:
    """Undo a launch's snapshot (a failed launch, `recover --abort`); safe to call twice.

    Files a job already wrote into the worktree move back into the repository first; when one
    cannot, worktree and branch stay. Returns what was moved or kept, for the user to read."""
    removed, notes = retire_worktree(repo_root, snapshot.worktree, snapshot.branch)
    if removed:
        delete_branch(repo_root, snapshot.branch)
    return notes


def delete_branch(repo_root: Path, branch: str) -> None:
    """``git branch -D`` refuses a branch checked out somewhere, which update-ref would not."""
    branch = branch.removeprefix("refs/heads/")
    status, _, err = run(git_for(repo_root), "branch", "-D", "--", branch, check=False)
    if status != 0 and "not found" not in err:
        raise SnapshotError(f"cannot delete branch {branch}: {err.strip()}")


def diff_summary(repo_root: Path, commit: str) -> list[tuple[str, str]]:
    """(status, path) of the uncommitted edits a snapshot holds; [] for a clean one (commit == HEAD)."""
    g = git_for(repo_root)
    _, subject, _ = run(g, "log", "-1", "--format=%s", commit, "--")
    if subject.strip() != SUBJECT:
        return []
    _, out, _ = run(g, "diff-tree", "-r", "-z", "--root", "--no-commit-id", "--no-renames", "--name-status",
                    commit, binary=True)
    parts = out.split(b"\0")
    return [(parts[i].decode(), os.fsdecode(parts[i + 1])) for i in range(0, len(parts) - 1, 2)]


DIFF_LIMIT = 4 * 1024 * 1024   # bytes of patch text shown; the rest is counted, not read into memory


def diff_patch(repo_root: Path, commit: str, against: str) -> tuple[str, bool]:
    """The patch of a snapshot (`--stat` first), and whether it was cut at DIFF_LIMIT. `against`: "base",
    what the snapshot holds beyond the commit it was taken from (the uncommitted edits its jobs ran; a
    clean snapshot holds none), "worktree", your working tree now against the snapshot's code, or
    another commit (older first)."""
    g = git_for(repo_root)
    if against == "base":
        _, subject, _ = run(g, "log", "-1", "--format=%s", commit, "--")
        if subject.strip() != SUBJECT:
            return "", False
        span = [f"{commit}^", commit]
    elif against == "worktree":
        span = [commit]
    else:
        span = [against, commit]
    _, out, _ = run(g, "diff", "--no-color", "--no-ext-diff", "--stat", "--patch", *span, "--", binary=True)
    return out[:DIFF_LIMIT].decode("utf-8", "replace"), len(out) > DIFF_LIMIT


def _created_from_name(branch: str, fallback: float) -> float:
    m = _STAMP_RE.search(branch)
    return float(calendar.timegm(time.strptime(m.group(1), "%Y%m%d-%H%M%S"))) if m else fallback


def list_snapshots(repo_root: Path, prefix: str, *, disk_usage: bool = True) -> list[SnapshotInfo]:
    """Snapshot branches under ``prefix``, oldest first, with their worktrees if any."""
    g = git_for(repo_root)
    _, out, _ = run(g, "for-each-ref", "--format=%(refname)%00%(objectname)%00%(committerdate:unix)%00%(subject)",
                    f"refs/heads/{prefix}/")
    by_branch: dict[str, Path] = {}
    for entry in list_worktrees(repo_root):
        name = entry.snapshot_branch
        if name:
            by_branch[name] = entry.path
        else:
            by_branch.setdefault(entry.path.name, entry.path)
    infos = []
    for line in out.splitlines():
        ref, sha, date, subject = line.split("\0", 3)
        branch = ref.removeprefix("refs/heads/")
        wt = by_branch.get(branch) or by_branch.get(branch.replace("/", "-"))
        infos.append(SnapshotInfo(branch, sha, _created_from_name(branch, float(date or 0)), subject == SUBJECT,
                                  wt, worktree_disk_usage(wt) if wt and disk_usage else 0))
    return sorted(infos, key=lambda i: (i.created_at, i.branch))
