"""Folders Hydra apps are launched from in the Hydra tests: a git project and a plain folder."""
from __future__ import annotations

from pathlib import Path

from tests.conftest import SLURM_PROFILE, git


def git_project(folder: Path, worktrees: Path) -> Path:
    """A git repository with a snaptui.toml keeping snapshot worktrees under ``worktrees`` (idempotent:
    the suites ask for their scratch folder several times in one test)."""
    folder.mkdir(parents=True, exist_ok=True)
    if (folder / ".git").exists():
        return folder
    git(folder, "init", "-q", "-b", "main")
    git(folder, "config", "user.name", "Test User")
    git(folder, "config", "user.email", "test@example.invalid")
    (folder / ".gitignore").write_text("outputs/\nmultirun/\n.submitit/\n")
    (folder / "snaptui.toml").write_text(f'[snapshot]\nworktree_root = "{worktrees}"\n' + SLURM_PROFILE)
    git(folder, "add", "-A")
    git(folder, "commit", "-qm", "project")
    return folder
