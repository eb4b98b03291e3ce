"""Issue 22, items 1 and 2 on the real Slurm test cluster: ignored data is linked and read by every array
task; what tasks write anywhere lands in the repository, from the compute node, by the time the job is
reported finished; the last writer of a sweep wins; a file the user changed after the launch is kept
and the job's copy goes beside it."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from snaptui.engine.api import Engine
from tests.conftest import add_slurm_profile, run_cli, wait_sweep_done, wait_until, write_sweep
from tests.test_landing import SWEEP, repo  # noqa: F401 (repo is a fixture)
from tests.test_slurm import slurm_cluster  # noqa: F401 (a fixture)

pytestmark = [pytest.mark.slurm, pytest.mark.timeout(300)]


@pytest.fixture
def slurm_repo(repo, slurm_cluster):  # noqa: F811
    add_slurm_profile(repo)
    return repo


@pytest.mark.parametrize("packed", [False, True], ids=["one job a task", "two jobs a task"])
def test_array_tasks_read_ignored_data_and_what_they_write_lands_in_the_repository(slurm_repo, packed):
    engine = Engine(slurm_repo)
    sets = ["jobs_per_task=2"] if packed else []
    sweep = engine.launch(engine.plan(write_sweep(slurm_repo, SWEEP), profile="slurm", sets=sets))
    done = wait_sweep_done(engine, sweep.id, 240)
    jobs = engine.jobs(sweep.id)
    assert [j.state.value for j in jobs] == ["COMPLETED"] * 4, [j.attempt.reason for j in jobs]
    assert all(j.attempt.results == {"data_bytes": 300_000, "meta_bytes": 50} for j in jobs)
    assert done.executor == "slurm"
    worktree = Path(sweep.snapshot["worktree"])
    data = "data/shakespeare/train.bin"
    assert os.readlink(worktree / data) == str(slurm_repo / data)
    for name in ("a", "b", "c", "d"):  # landed by the tasks themselves, before their end was recorded
        assert (slurm_repo / "out" / name / "ckpt.pt").read_bytes().endswith(name.encode())
        assert (slurm_repo / "logs" / f"{name}.log").read_text() == f"{name}: read 300000 bytes\n"
        assert (slurm_repo / "results" / name / "metrics.json").is_file()
    assert run_cli(["snapshots", "gc", "--older-than", "0s"], cwd=slurm_repo).returncode == 0
    assert not worktree.exists()
    assert (slurm_repo / "out" / "d" / "ckpt.pt").read_bytes().endswith(b"d")


def test_the_last_array_task_to_write_a_file_wins_and_a_file_the_user_changed_is_kept(slurm_repo, tmp_path):
    (slurm_repo / "report.txt").write_text("as launched\n")  # untracked: in the snapshot
    gate = tmp_path / "gate"
    gate.mkdir()
    engine = Engine(slurm_repo)
    sweep = engine.launch(engine.plan(write_sweep(slurm_repo, f'''
        name = "same"
        command = ["sh", "-c", """while [ ! -e {gate}/go ]; do sleep 0.1; done; mkdir -p shared;
                                  echo $0 > shared/last.txt; echo job-$0 > report.txt""", "{{i}}"]
        override_style = "placeholder"
        [grid]
        i = [0, 1, 2]
    '''), profile="slurm", sets=["array_parallelism=1"]))
    wait_until(lambda: engine.jobs(sweep.id)[0].state.value == "RUNNING", 120, message="the first task to start")
    (slurm_repo / "report.txt").write_text("edited by the user meanwhile\n")
    (gate / "go").touch()
    wait_sweep_done(engine, sweep.id, 240)
    jobs = engine.jobs(sweep.id)
    assert [j.state.value for j in jobs] == ["COMPLETED"] * 3
    last = max(jobs, key=lambda j: j.attempt.ended_at)
    assert (slurm_repo / "shared" / "last.txt").read_text() == f"{last.params['i']}\n"  # one at a time: the last
    copy = slurm_repo / f"report~snaptui-{sweep.id}.txt"
    assert (slurm_repo / "report.txt").read_text() == "edited by the user meanwhile\n"
    assert copy.read_text() == f"job-{last.params['i']}\n"
    assert any(f"kept {copy.name} beside report.txt" in (j.attempt.reason or "") for j in jobs)
