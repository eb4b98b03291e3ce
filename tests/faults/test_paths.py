"""Paths as they are: a folder literally named `$T` is that folder, a newline in a path is refused, never cut."""
from __future__ import annotations

import textwrap

import pytest

from tests.conftest import git, run_cli, stop_everything

pytestmark = pytest.mark.timeout(120)


def _repo(path, marker_text: str):
    path.mkdir(parents=True)
    git(path, "init", "-q", "-b", "main")
    git(path, "config", "user.name", "Test User")
    git(path, "config", "user.email", "test@example.invalid")
    (path / "job.py").write_text(f"open('ran_here', 'w').write({marker_text!r})\n")
    (path / "snaptui.toml").write_text(textwrap.dedent(f'''\
        [snapshot]
        worktree_root = "{path.parent / 'worktrees'}"
        [profiles.local]
        executor = "local"
    '''))
    (path / "sweep.toml").write_text('name = "p"\ncommand = ["python", "job.py"]\n')
    git(path, "add", "-A")
    git(path, "commit", "-qm", "initial")
    return path


def test_a_folder_named_like_an_environment_variable_is_that_folder(tmp_path, report):
    literal = _repo(tmp_path / "$T", "literal")
    other = _repo(tmp_path / "other", "other")
    report.watch(other)
    try:
        launched = run_cli(["--batch", "sweep.toml"], cwd=literal, env={"T": "other"})
        assert launched.returncode == 0, launched.stderr
        assert not list((tmp_path / "other").glob(".snaptui")), "a store was made in the other repository"
        assert git(other, "branch", "--list", "snaptui/*") == ""
        ran = list((tmp_path / "worktrees").rglob("ran_here"))
        assert [p.read_text() for p in ran] == ["literal"]
    finally:
        stop_everything(literal)
    report("repository in a folder literally named $T, run with T=other",
           "the snapshot, the store and the job are the $T repository's; ../other untouched")


def test_a_newline_in_the_repository_path_is_refused_with_a_message(tmp_path, report):
    repo = _repo(tmp_path / "two\nlines", "x")
    report.watch(repo)
    for args in (["status"], ["--batch", "sweep.toml"]):
        result = run_cli(args, cwd=repo)
        assert result.returncode != 0
        assert "line break" in result.stderr and "Traceback" not in result.stderr, result.stderr
    assert not (tmp_path / "two").exists(), "a store was created at the path cut at the newline"
    assert not (repo / ".snaptui").exists()
    report("repository path holding a newline", "refused with one line naming it; nothing created anywhere")


def test_a_bare_repository_is_called_bare(tmp_path, report):
    bare = tmp_path / "bare.git"
    git(tmp_path, "init", "-q", "--bare", str(bare))
    result = run_cli(["status"], cwd=bare)
    assert result.returncode == 1
    assert "bare repository" in result.stderr and "not inside a git repository" not in result.stderr, result.stderr
    report("snaptui run inside a bare repository", "told it is a bare repository, which has no working tree")
