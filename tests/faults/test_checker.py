"""The fault checker can fail: problems planted on purpose are all found, and reported as found."""
from __future__ import annotations

import os
import subprocess
import sys

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


@pytest.fixture
def stray_agent(git_repo):
    """A process that looks like an agent of the repository (as the checker finds agents), recorded nowhere."""
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(300)", "snaptui.engine.agent",
                             str(git_repo.resolve())], start_new_session=True)
    yield proc
    proc.kill()
    proc.wait()


def plant_store_problems(repo, tmp_path) -> None:
    """A store whose sweep 1 is recorded, active, on a branch that is gone, whose attempt 1/0 never started
    but ran twice; a launch record of a sweep 2 the store lacks; a job folder whose manifest lost its ids."""
    from snaptui.engine.store.store import Store

    store = Store.for_repo(repo)
    sweep_id = store.create_sweep(name="planted", executor="local", profile="local", sweep_file=None, spec={},
                                  config={}, snapshot={"branch": "snaptui/20260101-000000-gone00",
                                                       "worktree": str(tmp_path / "gone")},
                                  workdir=str(repo), env={}, jobs=[(0, "i=0", {"i": 0}, ["true"])])
    store.set_sweep_status(sweep_id, "active")
    store.close()
    marks = tmp_path / "marks"
    marks.mkdir(exist_ok=True)
    for pid in (101, 102):
        (marks / f"run-{sweep_id}-0-1-{pid}.run").touch()
    (repo / ".snaptui" / "sweeps" / "2.json").write_text("{}")
    folder = repo / ".submitit" / "99-9"
    folder.mkdir(parents=True)
    (folder / "snaptui_manifest.json").write_text('{"state": "FAILED", "ended_at": 1}')


def test_planted_problems_are_all_found(git_repo, tmp_path, stray_process, stray_agent, report):
    git(git_repo, "branch", "snaptui/20260101-000000-feed00")
    git(git_repo, "worktree", "add", "-q", "--detach", str(tmp_path / "worktrees" / "stray"))
    (git_repo / "job.py").write_text("# overwritten\n")
    (git_repo / "snaptui.toml").unlink()
    (git_repo / ".git" / "objects" / "tmp_obj_planted").write_bytes(b"x")
    (report.tmpdir / "snaptui-index-planted").mkdir()
    (git_repo / ".git" / "index.lock").write_bytes(b"")
    plant_store_problems(git_repo, tmp_path)
    report.checker.process_grace_s = 0.5   # the planted `sleep 300` is not about to end: no need to wait 10 s for it

    found = report.checker.check()

    assert "job.py modified" in found.lost and "snaptui.toml gone" in found.lost
    assert "stray branch snaptui/20260101-000000-feed00" in found.orphans
    assert "stray worktree stray" in found.orphans
    assert "objects/tmp_obj_planted in .git" in found.orphans
    assert "temp index snaptui-index-planted" in found.orphans
    assert f"job process {stray_process.pid} of 99/0/1" in found.orphans
    assert "index.lock in .git" in found.orphans
    assert f"agent {stray_agent.pid} nobody recorded" in found.orphans
    assert "snapshot branch snaptui/20260101-000000-gone00 of a recorded sweep gone" in found.lost
    assert "job 1/0 attempt 1 ran 2 times" in found.lost
    assert "job 1/0 attempt 1 ran, but the store says it never started (PENDING)" in found.lost
    assert "store lacks launched sweeps 2" in found.lost
    assert "job folder 99-9's manifest lacks its ids" in found.lost
    report("planted: a stray branch, worktree, temp index, tmp_obj, index.lock, job process, agent; a file changed, "
           "one gone; a recorded branch gone; a job run twice, one run though never started; a launched sweep "
           "missing from the store; a manifest without ids",
           "the checker's self-test: every planted problem must show in the columns", planted=True)


def test_a_clean_repository_has_nothing_to_report(git_repo, report):
    found = report.checker.check()
    assert (found.lost, found.orphans) == ([], [])
