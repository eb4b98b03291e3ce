"""Creating the store (as opening the TUI does) keeps ``git status`` clean: ``.snaptui/`` is excluded
at once, not only at the first launch."""
from __future__ import annotations

from pathlib import Path

from snaptui.engine.api import Engine

from tests.conftest import git


def fresh_repo(path: Path) -> Path:
    path.mkdir()
    git(path, "init", "-q", "-b", "main")
    git(path, "config", "user.name", "Test User")
    git(path, "config", "user.email", "test@example.invalid")
    (path / "train.py").write_text("print('hi')\n")
    git(path, "add", "-A")
    git(path, "commit", "-qm", "initial")
    return path


def test_opening_the_store_excludes_it_from_git_status(tmp_path):
    repo = fresh_repo(tmp_path / "repo")
    assert git(repo, "status", "--porcelain") == ""
    store = Engine(repo).store
    assert store.path.is_file() and store.path.parent == repo / ".snaptui"
    assert git(repo, "status", "--porcelain") == ""
    _ = Engine(repo).store  # opening it again adds nothing
    excludes = (repo / ".git" / "info" / "exclude").read_text().splitlines()
    assert excludes.count("/.snaptui/") == 1 and excludes.count("/.submitit/") == 1


def test_a_linked_worktree_excludes_its_store_in_the_shared_exclude_file(tmp_path):
    repo = fresh_repo(tmp_path / "repo")
    linked = tmp_path / "linked"
    git(repo, "worktree", "add", "-q", str(linked), "-b", "side")
    _ = Engine(linked).store
    assert git(linked, "status", "--porcelain") == ""
    assert "/.snaptui/" in (repo / ".git" / "info" / "exclude").read_text().splitlines()


def test_a_project_outside_git_gets_no_git_folder(tmp_path):
    folder = tmp_path / "plain"
    folder.mkdir()
    _ = Engine(folder).store
    assert (folder / ".snaptui" / "state.db").is_file()
    assert not (folder / ".git").exists()
