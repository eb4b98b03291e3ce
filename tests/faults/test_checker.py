"""The fault checker can fail: problems planted on purpose are all found, and reported as found."""
from __future__ import annotations

import os
import subprocess

import pytest

from tests.conftest import git


@pytest.fixture
def stray_process(git_repo):
    """A process claiming to be a job of a sweep no record knows; killed (by PID) after the report."""
    env = dict(os.environ, SNAPTUI_REPO=str(git_repo), SNAPTUI_SWEEP_ID="99", SNAPTUI_JOB_INDEX="0",
               SNAPTUI_ATTEMPT="1")
    proc = subprocess.Popen(["sleep", "300"], env=env, start_new_session=True)
    yield proc
    proc.kill()
    proc.wait()


def test_planted_problems_are_all_found(git_repo, tmp_path, stray_process, report):
    git(git_repo, "branch", "snaptui/20260101-000000-feed00")
    git(git_repo, "worktree", "add", "-q", "--detach", str(tmp_path / "worktrees" / "stray"))
    (git_repo / "job.py").write_text("# overwritten\n")
    (git_repo / "snaptui.toml").unlink()
    (git_repo / ".git" / "objects" / "tmp_obj_planted").write_bytes(b"x")
    (report.tmpdir / "snaptui-index-planted").mkdir()
    report.checker.process_grace_s = 0.5   # the planted `sleep 300` is not about to end: no need to wait 10 s for it

    found = report.checker.check()

    assert "job.py modified" in found.lost and "snaptui.toml gone" in found.lost
    assert "stray branch snaptui/20260101-000000-feed00" in found.orphans
    assert "stray worktree stray" in found.orphans
    assert "objects/tmp_obj_planted in .git" in found.orphans
    assert "temp index snaptui-index-planted" in found.orphans
    assert f"job process {stray_process.pid} of 99/0/1" in found.orphans
    report("planted: a stray branch, worktree, temp index, tmp_obj, job process; a file changed, one gone",
           "the checker's self-test: every planted problem must show in the columns", planted=True)


def test_a_clean_repository_has_nothing_to_report(git_repo, report):
    found = report.checker.check()
    assert (found.lost, found.orphans) == ([], [])
