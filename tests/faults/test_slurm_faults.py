"""Slurm-side faults on the real test cluster: a launch killed right after sbatch, a slow or failing scheduler."""
from __future__ import annotations

import subprocess
import time

import pytest

from snaptui.engine.api import Engine
from snaptui.engine.recovery import tagged_slurm_jobs
from snaptui.engine.states import JobState
from tests.conftest import git, run_cli, wait_sweep_done, wait_until, write_sweep
from tests.test_slurm import CLUSTER, slurm_cluster, slurm_engine  # noqa: F401  (fixtures)

pytestmark = [pytest.mark.slurm, pytest.mark.timeout(240)]

SWEEP = '''
    name = "tagged"
    command = ["python", "job.py", "sleep=3"]
    profile = "slurm"
    [grid]
    i = [0, 1, 2]
'''


@pytest.mark.parametrize("step, then", [("slurm:sbatch-returned", "recover"),
                                        ("slurm:sbatch-returned", "recover --abort"),
                                        ("launch:submitted", "recover")])
def test_a_launcher_killed_right_after_sbatch_leaves_no_untracked_job(slurm_engine, step, then, report):
    repo = slurm_engine.repo_root
    write_sweep(repo, SWEEP)
    killed = run_cli(["launch", "sweep.toml"], cwd=repo, env={"SNAPTUI_FAULT_KILL_AT": step})
    assert killed.returncode != 0
    assert "interrupted while launching" in run_cli(["status"], cwd=repo).stderr
    uid = Engine(repo).store.sweeps(statuses=("launching",))[0].uid
    assert tagged_slurm_jobs(uid)  # the jobs are on the cluster, under the launch's tag
    result = run_cli(["recover", "1", *then.split()[1:]], cwd=repo)
    assert result.returncode == 0, result.stderr
    engine = Engine(repo)
    if then == "recover":
        if step == "slurm:sbatch-returned":  # the store never learnt the array's id
            assert "adopted Slurm array" in result.stdout
        assert wait_sweep_done(engine, 1, 120).counts == {JobState.COMPLETED: 3}
        assert len({j.attempt.executor_id.split("_")[0] for j in engine.jobs(1)}) == 1  # one array, not two
        report(f"launcher SIGKILLed at {step}, then recover",
               "the array was adopted (found by its tag if untracked), never submitted twice: 3/3 completed")
    else:
        assert "cancelled" in result.stdout
        wait_until(lambda: not tagged_slurm_jobs(uid), 30, message="the tagged jobs to leave the queue")
        assert engine.store.sweeps(statuses=("active", "launching")) == []
        assert git(repo, "branch", "--list", "snaptui/*").strip() == ""
        report(f"launcher SIGKILLed at {step}, then recover --abort",
               "the tagged array was cancelled; record, branch and worktree removed")


def test_a_stalled_controller_delays_nothing_but_scheduling(slurm_engine, report):
    sweep = slurm_engine.launch(slurm_engine.plan(write_sweep(slurm_engine.repo_root, SWEEP)))
    subprocess.run([CLUSTER, "stop-ctld"], check=True, capture_output=True)
    try:
        slurm_engine.refresh()
        time.sleep(3)
        states = {j.state for j in slurm_engine.jobs(sweep.id)}
        assert not states & {JobState.FAILED, JobState.CANCELLED}
        status = run_cli(["status", str(sweep.id)], cwd=slurm_engine.repo_root)
        assert status.returncode == 0
    finally:
        subprocess.run([CLUSTER, "start-ctld"], check=True, capture_output=True)
    assert wait_sweep_done(slurm_engine, sweep.id, 150).counts == {JobState.COMPLETED: 3}
    report("slurmctld stopped right after submission, then restarted",
           "status kept answering, nothing marked failed; 3/3 completed after the restart")
