"""Checks a launch runs before its snapshot (and a dry run runs instead of one): a command that
cannot start is reported in a second, not after minutes of hashing and a submitted array."""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .spec import SweepSpec

from snaptui.engine.errors import ConfigError
from snaptui.engine.gitrepo import git_for, run


def _named_files(argv: list[str], cwd: Path) -> list[tuple[str, Path]]:
    """The program when given as a path, and the script of `python script.py`."""
    out = []
    if "/" in argv[0] and not Path(argv[0]).is_absolute():
        out.append((argv[0], cwd / argv[0]))
    if Path(argv[0]).name.startswith("python") and len(argv) > 1 and argv[1].endswith(".py") \
            and not Path(argv[1]).is_absolute():
        out.append((argv[1], cwd / argv[1]))
    return out


def check_in_snapshot(repo_root: Path, spec: SweepSpec, argv: list[str]) -> None:
    """A file the command names must not be one the snapshot leaves out (ignored by git)."""
    cwd = repo_root / (spec.workdir or ".")
    g = git_for(repo_root)
    for name, path in _named_files(argv, cwd):
        try:
            rel = path.resolve().relative_to(repo_root.resolve()).as_posix()
        except ValueError:
            continue  # outside the repository: it is run from where it is
        status, _, _ = run(g, "check-ignore", "-q", "--", rel, check=False)  # tracked files never count as ignored
        if status == 0:
            raise ConfigError.single(spec.path, "command", f"{name!r} is ignored by git, so it is not in the snapshot",
                                     hint=f"commit it or take it out of .gitignore (git check-ignore -v {rel})")
