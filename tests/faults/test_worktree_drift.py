"""A snapshot's worktree changed or removed under its sweep: put back before the next job, and said so."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from snaptui.engine.api import Engine
from snaptui.engine.states import JobState
from tests.conftest import run_cli, stop_everything, wait_sweep_done, write_sweep

pytestmark = pytest.mark.timeout(180)


@pytest.fixture
def repo(git_repo):
    (git_repo / "helper.py").write_text("VALUE = 7\n")
    (git_repo / "uses_helper.py").write_text(
        "import os, sys\nfrom helper import VALUE\nprint(f'SNAPTUI_RESULT value={VALUE}')\n"
        "if os.environ.get('BREAK') == sys.argv[1]:\n    os.remove('helper.py')\n")
    write_sweep(git_repo, 'name = "w"\ncommand = ["python", "uses_helper.py", "{i}"]\n'
                          'override_style = "placeholder"\n[env]\nBREAK = "0"\n[grid]\ni = [0, 1, 2, 3]\n')
    yield git_repo
    stop_everything(git_repo)


def test_resubmit_after_the_worktree_was_deleted_by_hand_restores_it(repo, report):
    first = run_cli(["--batch", "sweep.toml", "--set", "max_parallel_jobs=1"], cwd=repo)
    engine = Engine(repo)
    worktree = Path(engine.sweep(1).snapshot["worktree"])
    shutil.rmtree(worktree)  # not through gc: git still has it registered, and locked
    again = run_cli(["resubmit", "1"], cwd=repo)
    assert again.returncode == 0, again.stderr
    done = wait_sweep_done(engine, 1)
    assert done.counts == {JobState.COMPLETED: 4} and worktree.is_dir(), (first.stdout, done.counts)
    report("snapshot worktree rm -rf by hand, then resubmit", "the worktree was checked out again; 4/4 completed")


def test_a_job_deleting_a_file_of_the_snapshot_does_not_break_the_jobs_after_it(repo, report):
    run_cli(["--batch", "sweep.toml", "--set", "max_parallel_jobs=1"], cwd=repo)
    engine = Engine(repo)
    jobs = engine.jobs(1)
    assert [j.state for j in jobs] == [JobState.COMPLETED] * 4, [(j.state, j.attempt.reason) for j in jobs]
    assert [j.attempt.results.get("value") for j in jobs] == [7] * 4
    assert (Path(engine.sweep(1).snapshot["worktree"]) / "helper.py").is_file()
    status = run_cli(["status"], cwd=repo)
    assert "helper.py" in status.stderr and "restored" in status.stderr, status.stderr
    report("a job deletes a tracked file of its snapshot worktree",
           "restored before the next job (which then ran as the snapshot says); status names the file")
