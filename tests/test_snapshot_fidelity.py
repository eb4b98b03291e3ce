"""Issue 12, item 5: the worktree holds the working tree's bytes and modes (eol conversion,
core.fileMode=false, skip-worktree / assume-unchanged), or the launch names the files."""
from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from snaptui.engine.api import Engine
from snaptui.engine.config.settings import SnapshotSettings
from snaptui.engine.snapshot.snapshots import take_snapshot
from tests.conftest import git, stop_everything, wait_sweep_done, write_sweep
from tests.test_results_land import unchanged, user_state

pytestmark = pytest.mark.timeout(180)


@pytest.fixture
def repo(git_repo):
    yield git_repo
    stop_everything(git_repo)


def settings(tmp_path) -> SnapshotSettings:
    return SnapshotSettings(worktree_root=str(tmp_path / "wt"))


def executable(path: Path) -> bool:
    return bool(os.stat(path).st_mode & stat.S_IXUSR)


def test_eol_crlf_attributes_do_not_turn_a_working_lf_script_into_crlf(repo):
    (repo / ".gitattributes").write_text("* text=auto eol=crlf\n")
    (repo / "run.sh").write_bytes(b"#!/bin/sh\necho ran-fine\n")
    os.chmod(repo / "run.sh", 0o755)
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "crlf attributes")
    (repo / "tool.sh").write_bytes(b"#!/bin/sh\necho untracked\n")  # untracked, LF too
    before = user_state(repo)
    engine = Engine(repo)
    sweep = engine.launch(engine.plan(write_sweep(repo, 'name = "eol"\ncommand = ["./run.sh"]\n')))
    wait_sweep_done(engine, sweep.id)
    worktree = Path(sweep.snapshot["worktree"])
    assert (worktree / "run.sh").read_bytes() == (repo / "run.sh").read_bytes()
    assert (worktree / "tool.sh").read_bytes() == b"#!/bin/sh\necho untracked\n"
    assert executable(worktree / "run.sh")
    assert "ran-fine" in engine.log_paths(engine.jobs(sweep.id)[0])[0].read_text()
    assert engine.jobs(sweep.id)[0].state.value == "COMPLETED"
    assert unchanged(before, user_state(repo))


def test_exec_bits_survive_core_filemode_false(repo, tmp_path):
    git(repo, "config", "core.fileMode", "false")
    (repo / "tracked.sh").write_text("#!/bin/sh\necho t\n")
    git(repo, "add", "tracked.sh")
    git(repo, "commit", "-qm", "a script committed without its exec bit")
    os.chmod(repo / "tracked.sh", 0o755)  # git does not see this with fileMode=false
    (repo / "new.sh").write_text("#!/bin/sh\necho n\n")
    os.chmod(repo / "new.sh", 0o755)
    (repo / "plain.txt").write_text("not executable\n")
    before = user_state(repo)
    s = take_snapshot(repo, settings(tmp_path))
    assert executable(s.worktree / "new.sh") and executable(s.worktree / "tracked.sh")
    assert not executable(s.worktree / "plain.txt")
    assert "100755" in git(repo, "ls-tree", s.commit, "new.sh")
    assert unchanged(before, user_state(repo))
    assert git(repo, "ls-files", "-s", "tracked.sh").startswith("100644")  # the user's index keeps its mode


@pytest.mark.parametrize("flag", ["--skip-worktree", "--assume-unchanged"])
def test_flagged_files_go_in_with_their_local_edits_and_are_named(repo, tmp_path, flag):
    (repo / "local.cfg").write_text("data_dir = /committed/path\n")
    git(repo, "add", "local.cfg")
    git(repo, "commit", "-qm", "config")
    git(repo, "update-index", flag, "local.cfg")
    (repo / "local.cfg").write_text("data_dir = /my/local/path\n")
    assert git(repo, "status", "--porcelain") == ""  # git itself hides the edit
    before = user_state(repo)
    s = take_snapshot(repo, settings(tmp_path))
    assert (s.worktree / "local.cfg").read_text() == "data_dir = /my/local/path\n"
    assert any("local.cfg" in w and "skip-worktree or assume-unchanged" in w for w in s.warnings)
    assert unchanged(before, user_state(repo))
    assert git(repo, "ls-files", "-v", "local.cfg")[0] in "Sh"  # the user's flag is still set


def test_plain_repositories_get_no_fidelity_warnings(repo, tmp_path):
    (repo / "a.py").write_text("x = 1\n")
    s = take_snapshot(repo, settings(tmp_path))
    assert s.warnings == ()
