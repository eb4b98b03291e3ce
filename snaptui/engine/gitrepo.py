"""Git plumbing helpers and the worktree half of snapshots: where worktrees live, making
one for a snapshot commit (with symlinks back into the repository), listing and removing them.

Every git call in snaptui goes through ``run`` (or ``start``/``finish``) here: GitPython with user
hooks disabled (``core.hooksPath=/dev/null``), and ``GitFailed`` the one error it raises. A snapshot
must behave the same in every repository, and a user's post-checkout or reference-transaction hook
has no business running (or failing) inside a launch.
"""
from __future__ import annotations

import fcntl
import functools
import hashlib
import os
import shutil
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Iterator

import platformdirs

from .errors import ConfigError, SnaptuiError

if TYPE_CHECKING:
    import git

NO_HOOKS = "core.hooksPath=/dev/null"
LOCK_REASON = "snaptui snapshot "
# Plain reads (status-like refreshes) must never take the user's index.lock.
BASE_ENV = {"GIT_OPTIONAL_LOCKS": "0", "GIT_TERMINAL_PROMPT": "0"}


class SnapshotError(SnaptuiError):
    """A snapshot could not be taken or cleaned up; nothing was left behind."""


class GitFailed(SnapshotError):
    def __init__(self, args: tuple[Any, ...], stderr: str, status: int) -> None:
        self.stderr = stderr
        self.status = status
        detail = stderr.strip().splitlines()
        super().__init__(f"git {' '.join(map(str, args[:2]))} failed: " + ("; ".join(detail[-3:]) or f"exit {status}"))


# What Python's str.splitlines() breaks at: git's line-based answers (rev-parse, worktree list) cut a
# path holding one of these, so such a path is refused before it reaches git.
LINE_BREAKS = frozenset("\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029")


def refuse_line_breaks(path: str | os.PathLike[str], what: str = "the folder") -> None:
    """A path with a line break would be cut where git's answer is read line by line (and a store
    made at the cut path): refuse it, naming it."""
    text = str(path)
    if any(ch in LINE_BREAKS for ch in text):
        raise SnaptuiError(f"{what} {text!r} has a line break in its path, which git's output cannot carry; "
                           f"rename it (or use a path without one) to use snaptui there")


def _gitpython() -> Any:
    """GitPython, imported on the first git command: its import (and the `git version` it runs) cost
    0.1-0.5 s of every snaptui process's start, also of those that never run git (status, the TUI's
    table, a job's runner)."""
    import git

    return git


def git_for(path: Path) -> git.Git:
    """A git command runner working in ``path`` exactly as written: git.Git(path) would expand
    ``$VAR`` and ``~`` in it, so a folder literally named ``$T`` would run git in ``$T``'s value."""
    g: git.Git = _gitpython().Git()
    g._working_dir = os.path.abspath(os.fspath(path))  # GitPython has no public way to skip expand_path
    g.set_persistent_git_options(c=NO_HOOKS)
    return g


def run(g: git.Git, *args: str, env: dict[str, str] | None = None, check: bool = True, binary: bool = False,
        timeout: float | None = None, istream: Any = None) -> tuple[int, Any, str]:
    """Run one git command; returns (status, stdout, stderr) so callers can tell failures apart; stdout is
    str, or bytes with ``binary``.

    With ``check`` a non-zero exit raises ``GitFailed``; git that cannot be started (not installed)
    raises it whatever ``check`` says."""
    cmd, rest = args[0].replace("-", "_"), args[1:]
    if g.working_dir and not os.path.isdir(g.working_dir):
        # GitPython would run git in the current directory, which may be another repository
        raise GitFailed(args, f"cannot change to '{g.working_dir}': No such directory", 128)
    try:
        status, out, err = getattr(g, cmd)(
            *rest, env={**BASE_ENV, **(env or {})}, with_extended_output=True, with_exceptions=False,
            stdout_as_string=not binary, kill_after_timeout=timeout, istream=istream)
    except _gitpython().exc.GitError as exc:  # GitCommandNotFound: no git binary, or the folder is gone
        raise GitFailed(args, str(exc), 127) from exc
    err = err.decode("utf-8", "replace") if isinstance(err, bytes) else err
    if check and status != 0:
        raise GitFailed(args, err, status)
    return status, out, err


def toplevel_lines(path: Path, *extra: str) -> list[str]:
    """``rev-parse --show-toplevel`` plus extra queries in one process, with readable errors."""
    path = Path(os.path.abspath(os.path.expanduser(path)))
    refuse_line_breaks(path)
    cwd = path if path.is_dir() else path.parent
    if not cwd.is_dir():
        raise SnaptuiError(f"{path} does not exist")
    status, out, err = run(git_for(cwd), "rev-parse", "--show-toplevel", *extra, check=False)
    lines: list[str] = out.splitlines()
    if status != 0 or not lines or not lines[0].strip():
        if "not a git repository" in err or status == 0:
            raise SnaptuiError(f"{path} is not inside a git repository (with a working tree)")
        if "must be run in a work tree" in err:
            raise SnaptuiError(f"{path} is in a bare repository or a .git directory; snaptui needs a working tree")
        raise SnaptuiError(f"{path}: {err.strip() or 'git rev-parse failed'}")
    return lines


def find_repo_root(path: Path) -> Path:
    """The working tree's top level (symlinks resolved, as git reports it)."""
    return Path(toplevel_lines(path)[0])


def run_in(folder: Path, *args: str, **kwargs: Any) -> tuple[int, Any, str]:
    """``run`` in ``folder`` (``git -C folder ...``), for one-off commands."""
    return run(git_for(folder), *args, **kwargs)


def files_git_would_add(repo_root: Path, *pathspecs: str, timeout: float | None = None) -> list[str] | None:
    """Paths (relative to ``repo_root``) of files that git tracks or would add (untracked and not
    ignored), which is what a snapshot holds; None when git cannot answer."""
    try:
        status, out, _ = run_in(repo_root, "ls-files", "--cached", "--others", "--exclude-standard", "--",
                                *pathspecs, check=False, timeout=timeout)
    except GitFailed:
        return None
    return list(out.splitlines()) if status == 0 else None


def start(g: git.Git, *args: str, env: dict[str, str] | None = None) -> Any:
    """Start a git command in the background (to overlap it with another); see ``finish``."""
    try:
        return getattr(g, args[0].replace("-", "_"))(*args[1:], env={**BASE_ENV, **(env or {})}, as_process=True)
    except _gitpython().exc.GitError as exc:
        raise GitFailed(args, str(exc), 127) from exc


def finish(handle: Any, args: tuple[str, ...]) -> str:
    return finish_bytes(handle, args).decode("utf-8", "replace")


def finish_bytes(handle: Any, args: tuple[str, ...]) -> bytes:
    out, err = handle.proc.communicate()
    if handle.proc.returncode != 0:
        raise GitFailed(args, err.decode("utf-8", "replace"), handle.proc.returncode)
    stdout: bytes = out
    return stdout


# ---------------------------------------------------------------------------- worktree root

def default_worktree_root(repo_root: Path) -> Path:
    """Outside the repo (nothing to exclude) and per repo, so two repos named alike never mix."""
    digest = hashlib.sha1(str(repo_root).encode()).hexdigest()[:8]
    return Path(platformdirs.user_cache_dir("snaptui")) / "worktrees" / f"{repo_root.name}-{digest}"


def resolve_worktree_root(repo_root: Path, setting: str) -> Path:
    """Relative settings are relative to the repository root, like every other path in snaptui.toml."""
    if not setting:
        return default_worktree_root(repo_root)
    root = Path(os.path.expanduser(setting))
    return Path(os.path.abspath(root if root.is_absolute() else repo_root / root))


def inside(path: Path, root: Path) -> bool:
    return path == root or root in path.parents


# snaptui's own state and submitit's logs: never part of a snapshot, never in ``git status``
STATE_EXCLUDES = ("/.snaptui/", "/.submitit/")


def ensure_excluded(exclude_file: Path, repo_root: Path, worktree_root: Path) -> None:
    """Keep ``.snaptui/``, submitit's ``.submitit/`` logs and an in-repo worktree root out of every later
    snapshot and out of ``git status`` (once)."""
    wanted = list(STATE_EXCLUDES)
    real_root, real_wt = repo_root.resolve(), worktree_root.resolve()
    if inside(real_wt, real_root) and real_wt != real_root:
        wanted.append("/" + real_wt.relative_to(real_root).as_posix() + "/")
    append_excludes(exclude_file, wanted)


def exclude_state_dir(repo_root: Path) -> None:
    """Called as ``.snaptui/`` is created, so merely opening the TUI (or any command that makes the
    store) leaves ``git status`` clean, not only a launch. Only a git working tree's top level has an
    exclude file; a project outside git is left alone. Best effort: a store must still open when
    ``info/exclude`` cannot be written, and the first launch reports that failure through
    ``ensure_excluded``."""
    if not os.path.lexists(repo_root / ".git"):
        return
    try:
        status, out, _ = run_in(repo_root, "rev-parse", "--git-path", "info/exclude", check=False)
        if status == 0 and out.strip():  # relative to the top level, absolute in a linked worktree
            append_excludes(repo_root / out.strip(), list(STATE_EXCLUDES))
    except (SnapshotError, OSError):
        pass


def append_excludes(exclude_file: Path, wanted: list[str]) -> None:
    """Append the patterns of ``wanted`` that ``exclude_file`` lacks, under a line saying who added them."""
    try:
        lines = exclude_file.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        lines = []
    missing = [w for w in wanted if w not in lines]
    if not missing:
        return
    try:
        exclude_file.parent.mkdir(parents=True, exist_ok=True)
        with open(exclude_file, "a", encoding="utf-8") as fh:
            prefix = "\n" if lines and exclude_file.read_bytes()[-1:] != b"\n" else ""
            fh.write(prefix + "# added by snaptui: snapshot worktrees and state\n" + "\n".join(missing) + "\n")
    except OSError as exc:
        raise SnapshotError(f"cannot update {exclude_file}: {exc.strerror or exc}") from exc


# ---------------------------------------------------------------------------- symlinks

def check_symlink_paths(repo_root: Path, entries: Iterable[str]) -> list[str]:
    """Entries must name a path inside the repository. Where that path is itself a symlink
    (``outputs -> /scratch/...``, a common layout) it is followed: jobs write through the
    user's link to wherever it points. A folder on the way leaving the repository is refused."""
    real_root = repo_root.resolve()
    for entry in entries:
        p = Path(entry)
        if not entry or p.is_absolute() or ".." in p.parts or entry.startswith("~") or p == Path("."):
            raise ConfigError.single(None, "snapshot.symlink_paths",
                                     f"entry {entry!r} must be a relative path inside the repository")
        if (repo_root / p).resolve() == real_root:
            raise ConfigError.single(None, "snapshot.symlink_paths",
                                     f"entry {entry!r} resolves to the repository itself")
        if not inside((repo_root / p).parent.resolve(), real_root):  # only the entry itself may be a link
            raise ConfigError.single(None, "snapshot.symlink_paths",
                                     f"entry {entry!r} goes through a folder that resolves to "
                                     f"{(repo_root / p).parent.resolve()}, outside the repository")
        if p.parts[0] == ".git":
            raise ConfigError.single(None, "snapshot.symlink_paths", f"entry {entry!r} points into .git")
    return [Path(e).as_posix() for e in entries]


def link_shared_paths(repo_root: Path, worktree: Path, entries: list[str], created: list[Path]) -> None:
    """Jobs write outputs through these links into the original repo, never into the snapshot.

    Missing directories in the repo are created (and recorded in ``created`` for rollback); in the
    worktree, whatever the checkout put at the path is replaced by the link.
    """
    real_wt = worktree.resolve()
    for entry in entries:
        target = repo_root / entry
        if not os.path.lexists(target):
            missing = [d for d in [target, *target.parents] if inside(d, repo_root) and not d.exists()]
            try:
                target.mkdir(parents=True)
            except FileExistsError:
                # another launch made it since we looked (two launches in the same second): it is
                # theirs, not ours to remove on a rollback
                missing = []
            created.extend(sorted(missing, key=lambda d: len(d.parts), reverse=True))
        link = worktree / entry
        link.parent.mkdir(parents=True, exist_ok=True)
        if not inside(link.parent.resolve(), real_wt):
            raise ConfigError.single(None, "snapshot.symlink_paths",
                                     f"entry {entry!r} goes through a symlink in the snapshot that leaves the worktree")
        if link.is_dir() and not link.is_symlink():
            shutil.rmtree(link)
        elif os.path.lexists(link):
            link.unlink()
        link.symlink_to(target, target_is_directory=target.is_dir())


# ---------------------------------------------------------------------------- worktrees

def common_git_dir(repo_root: Path) -> Path:
    """The repository's common git folder (shared by its linked worktrees: branches, worktree records).
    Asked of git once per repository (and again if its .git is made anew): a launch needs it several
    times (locks, the quarantine, attributes), and each git process costs 5-10 ms on a busy machine."""
    root = os.path.abspath(os.fspath(repo_root))
    try:
        dot_git = os.stat(os.path.join(root, ".git")).st_ino
    except OSError:
        dot_git = None
    return _common_git_dir(root, dot_git)


@functools.lru_cache(maxsize=64)
def _common_git_dir(root: str, dot_git: int | None) -> Path:
    return Path(run(git_for(Path(root)), "rev-parse", "--path-format=absolute", "--git-common-dir")[1].strip())


WORKTREE_LOCK_NAME = "snaptui-worktrees.flock"  # not *.lock: those are git's own


@contextmanager
def worktree_changes(repo_root: Path) -> Iterator[None]:
    """snaptui's own `git worktree add/remove/prune` take turns: git's are not safe against each other
    (two launches at once failed with 'failed to read .git/worktrees/<name>/commondir: Success')."""
    fd = os.open(common_git_dir(repo_root) / WORKTREE_LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def add_worktree(repo_root: Path, path: Path, commit: str, branch: str) -> None:
    """Detached (one branch cannot be in two worktrees) and locked (prune must not drop it
    while its shared disk is unmounted)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with worktree_changes(repo_root):
        run(git_for(repo_root), "worktree", "add", "--quiet", "--detach", "--lock", "--reason",
            LOCK_REASON + branch, str(path), commit)


@dataclass(frozen=True)
class WorktreeEntry:
    path: Path
    head: str | None
    locked_reason: str | None

    @property
    def snapshot_branch(self) -> str | None:
        reason = self.locked_reason or ""
        return reason[len(LOCK_REASON):] if reason.startswith(LOCK_REASON) else None


def list_worktrees(repo_root: Path) -> list[WorktreeEntry]:
    status, out, _ = run(git_for(repo_root), "worktree", "list", "--porcelain", "-z", binary=True, check=False)
    sep = b"\0"
    if status != 0:  # git < 2.36 has no -z
        _, out, _ = run(git_for(repo_root), "worktree", "list", "--porcelain", binary=True)
        sep = b"\n"
    entries = []
    for block in out.split(sep + sep):
        fields = dict((f.split(b" ", 1) + [b""])[:2] for f in block.split(sep) if f)
        if b"worktree" in fields:
            entries.append(WorktreeEntry(Path(os.fsdecode(fields[b"worktree"])),
                                         fields.get(b"HEAD", b"").decode() or None,
                                         fields[b"locked"].decode("utf-8", "replace") if b"locked" in fields else None))
    return entries


def remove_worktree(repo_root: Path, worktree: Path) -> None:
    """Unlock, remove (``--force``: jobs leave untracked files) and prune; idempotent.

    Refuses to delete a directory that is not a worktree of this repository.
    """
    g = git_for(repo_root)
    worktree = Path(os.path.abspath(worktree))
    with worktree_changes(repo_root):
        registered = {os.path.realpath(e.path) for e in list_worktrees(repo_root)}
        if os.path.realpath(worktree) in registered:
            run(g, "worktree", "unlock", str(worktree), check=False)
            status, _, err = run(g, "worktree", "remove", "--force", str(worktree), check=False)
            if status != 0 and worktree.exists():
                raise SnapshotError(f"cannot remove worktree {worktree}: {err.strip()}")
        elif worktree.exists():
            raise SnapshotError(f"{worktree} is not a git worktree of {repo_root}; not removing it")
        run(g, "worktree", "prune")


def worktree_disk_usage(path: Path) -> int:
    """Bytes on disk under ``path``, like ``du``: symlinks (to the repo's outputs) are not followed."""
    total, stack = 0, [str(path)]
    while stack:
        try:
            it = os.scandir(stack.pop())
        except OSError:
            continue
        with it:
            for entry in it:
                try:
                    st = entry.stat(follow_symlinks=False)
                except OSError:
                    continue
                total += getattr(st, "st_blocks", 0) * 512 or st.st_size
                if entry.is_dir(follow_symlinks=False):
                    stack.append(entry.path)
    return total
