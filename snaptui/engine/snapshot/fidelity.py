"""The worktree holds the working tree's bytes and modes, not what git would make of them.

Three ways a plain commit + checkout differs from the files the user sees, each handled here:
- Index flags: files marked skip-worktree or assume-unchanged are skipped by ``add -u``, so
  their local edits would go in as committed. Where such a file exists, its working copy goes
  in (and the launch says which files).
- ``core.fileMode = false``: git then ignores exec bits, so new scripts would lose theirs and a
  ``chmod +x`` on a tracked file would not show. The snapshot records the bits as they are on disk.
- Conversions (``eol``, ``text``, ``core.autocrlf``, ``filter``, ``ident``, ``working-tree-encoding``):
  checkout rewrites the bytes (LF becomes CRLF and ``./run.sh`` fails). A converted file whose
  working copy hashes to the same blob gets the working copy's bytes; any other is named.
"""
from __future__ import annotations

import os
import shutil
import stat
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any, IO, Iterator

from snaptui.engine.gitrepo import common_git_dir, run

if TYPE_CHECKING:
    import git

CONVERSION_ATTRS = ("text", "eol", "filter", "ident", "working-tree-encoding")


def git_config_env(pairs: dict[str, str]) -> dict[str, str]:
    """Config for one git call through the environment, after any the user already passes."""
    start = int(os.environ.get("GIT_CONFIG_COUNT", "0") or 0)
    env = {"GIT_CONFIG_COUNT": str(start + len(pairs))}
    for i, (key, value) in enumerate(pairs.items(), start):
        env[f"GIT_CONFIG_KEY_{i}"], env[f"GIT_CONFIG_VALUE_{i}"] = key, value
    return env


CONFIG_ARGS = ("config", "-z", "--list")


def config_of(listing: bytes) -> dict[str, str]:
    """`git config -z --list` as {key: value}, the last value of a key winning as with `git config --get`.
    A launch asks several keys; one listing costs one git process instead of one each (5-10 ms apiece on a
    busy machine)."""
    values = {}
    for item in filter(None, listing.split(b"\0")):
        key, _, value = item.partition(b"\n")
        values[key.decode("utf-8", "replace").lower()] = value.decode("utf-8", "replace")
    return values


def read_config(g: git.Git) -> dict[str, str]:
    return config_of(run(g, *CONFIG_ARGS, check=False, binary=True)[1])


def _config(config: dict[str, str], key: str) -> str:
    return config.get(key, "").strip().lower()


def _names(paths: list[str], limit: int = 5) -> str:
    return ", ".join(paths[:limit]) + (f" and {len(paths) - limit} more" if len(paths) > limit else "")


def _entries(g: git.Git, env: dict[str, Any]) -> Iterator[tuple[bytes, bytes, str]]:
    _, out, _ = run(g, "ls-files", "-z", "-v", "-s", env=env, binary=True)
    for item in filter(None, out.split(b"\0")):
        tag, rest = item[:2], item[2:]
        meta, _, raw = rest.partition(b"\t")
        yield tag[:1], meta.split(b" ", 1)[0], os.fsdecode(raw)


def unflag_present(g: git.Git, repo_root: Path, env: dict[str, Any]) -> list[str]:
    """Clear skip-worktree / assume-unchanged in the temp index (``env``) for files present on disk,
    before ``add -u``, so their working copies go in. Absent ones (sparse checkout) stay as committed."""
    flagged = [rel for tag, _, rel in _entries(g, env)
               if (tag in (b"S", b"s") or tag.islower()) and os.path.lexists(repo_root / rel)]
    if not flagged:
        return []
    for flag in ("--no-skip-worktree", "--no-assume-unchanged"):  # one flag per call: git applies only the first
        run(g, "update-index", flag, "--", *flagged, env=env)
    return [f"{len(flagged)} files marked skip-worktree or assume-unchanged went in as they are in "
            f"your working tree, not as committed: {_names(flagged)}"]


def fix_modes(g: git.Git, repo_root: Path, env: dict[str, Any], config: dict[str, str]) -> None:
    """With core.fileMode=false, record the exec bits tracked files have on disk (after ``add -u``)."""
    if _config(config, "core.filemode") not in ("false", "no", "off", "0"):
        return
    chmods: dict[str, list[str]] = {"+x": [], "-x": []}
    for _, mode, rel in _entries(g, env):
        if mode not in (b"100644", b"100755"):
            continue
        try:
            st = os.lstat(repo_root / rel)
        except OSError:
            continue
        if stat.S_ISREG(st.st_mode) and bool(st.st_mode & stat.S_IXUSR) != (mode == b"100755"):
            chmods["+x" if st.st_mode & stat.S_IXUSR else "-x"].append(rel)
    for flag, paths in chmods.items():
        if paths:
            run(g, "update-index", f"--chmod={flag}", "--", *paths, env=env)


def _conversion_candidates(g: git.Git, repo_root: Path, paths: list[str], config: dict[str, str]) -> list[str]:
    """Paths whose checkout may rewrite bytes; asks git only where attributes or autocrlf exist."""
    autocrlf = _config(config, "core.autocrlf") in ("true", "input", "yes", "on", "1")
    has_attrs = any(p == ".gitattributes" or p.endswith("/.gitattributes") for p in paths) \
        or bool(_config(config, "core.attributesfile"))
    has_attrs = has_attrs or (common_git_dir(repo_root) / "info" / "attributes").is_file()
    if autocrlf:
        return list(paths)
    if not has_attrs or not paths:
        return []
    listing = b"".join(os.fsencode(p) + b"\0" for p in paths)
    with _stdin(listing) as fh:
        _, out, _ = run(g, "check-attr", "-z", "--stdin", *CONVERSION_ATTRS, istream=fh, binary=True)
    fields = out.split(b"\0")
    found = []
    for i in range(0, len(fields) - 2, 3):
        if fields[i + 2] not in (b"unspecified", b"unset"):
            found.append(os.fsdecode(fields[i]))
    return list(dict.fromkeys(found))


def _stdin(data: bytes) -> IO[bytes]:
    """GitPython hands istream to Popen, which needs a real file."""
    fh = tempfile.TemporaryFile()
    fh.write(data)
    fh.seek(0)
    return fh


def match_working_bytes(g: git.Git, repo_root: Path, worktree: Path, commit: str, paths: list[str],
                        config: dict[str, str]) -> list[str]:
    """Give converted files of ``worktree`` the bytes of the working copy; warn for the rest."""
    candidates = [p for p in _conversion_candidates(g, repo_root, paths, config)
                  if os.path.isfile(repo_root / p) and not os.path.islink(repo_root / p)
                  and os.path.isfile(worktree / p) and not os.path.islink(worktree / p)]
    differing = [p for p in candidates if (repo_root / p).read_bytes() != (worktree / p).read_bytes()]
    if not differing:
        return []
    with _stdin(b"".join(os.fsencode(p) + b"\n" for p in differing)) as fh:  # relative: attributes by path
        _, hashed, _ = run(g, "hash-object", "--stdin-paths", istream=fh)
    _, tree, _ = run(g, "ls-tree", "-r", "-z", commit, "--", *differing, binary=True)
    blobs = {}
    for entry in filter(None, tree.split(b"\0")):
        meta, _, raw = entry.partition(b"\t")
        blobs[os.fsdecode(raw)] = meta.split()[2].decode()
    unmatched = []
    for rel, sha in zip(differing, hashed.split()):
        if blobs.get(rel) == sha:
            mode = os.stat(worktree / rel).st_mode
            shutil.copyfile(repo_root / rel, worktree / rel)
            os.chmod(worktree / rel, stat.S_IMODE(mode))
        else:
            unmatched.append(rel)
    if not unmatched:
        return []
    return [f"{len(unmatched)} files in the worktree differ from your working tree after git's line-ending or "
            f"filter conversion (their working copies changed during the launch): {_names(unmatched)}"]
