"""Sweeps inside an allocation from `snaptui alloc get`, on the real cluster: jobs run as job
steps with the same states, logs, cancel and resubmit; the allocation is released at the end."""
from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from snaptui.engine.states import JobState
from tests.conftest import git, run_cli, wait_until, write_sweep
from tests.test_job_env import dumped_env
from tests.test_slurm import slurm_cluster, slurm_engine  # noqa: F401  (fixtures)

pytestmark = [pytest.mark.slurm, pytest.mark.timeout(300)]

# Waits for a file to appear (the test's go-ahead), so a job is surely running when it is cancelled.
WAIT_FOR = textwrap.dedent('''\
    import json, os, sys, time
    with open(os.path.join(os.environ["SNAPTUI_JOB_DIR"], "env-0.json"), "w") as f:
        json.dump(dict(os.environ), f)
    print("step", os.environ.get("SLURM_STEP_ID"), flush=True)
    until = sys.argv[1].split("=", 1)[1]
    deadline = time.time() + 200
    while until != "now" and not os.path.exists(until) and time.time() < deadline:
        time.sleep(0.1)
    print("done", flush=True)
''')


def state(job_id: str) -> str:
    out = subprocess.run(["scontrol", "show", "job", "-o", job_id], capture_output=True, text=True).stdout
    return next((p.split("=", 1)[1] for p in out.split() if p.startswith("JobState=")), "GONE")


def test_a_sweep_runs_as_steps_of_an_allocation_with_cancel_and_resubmit(slurm_engine, tmp_path):
    repo = slurm_engine.repo_root
    (repo / "waitfor.py").write_text(WAIT_FOR)
    git(repo, "add", "waitfor.py")
    git(repo, "commit", "-qm", "waiting job")
    got = run_cli(["alloc", "get", "--profile", "slurm", "--tasks", "2", "--time", "5"], cwd=repo)
    assert got.returncode == 0, got.stderr
    alloc = got.stdout.strip().splitlines()[-1]
    try:
        assert state(alloc) == "RUNNING"
        go = tmp_path / "go"
        path = write_sweep(repo, f'''
            name = "steps"
            command = ["python", "waitfor.py"]
            [grid]
            until = ["{go}", "now", "now"]
        ''')
        sweep = slurm_engine.launch(slurm_engine.plan(path, profile="slurm", sets=[f"allocation={alloc}"]))
        assert sweep.executor == "allocation"
        wait_until(lambda: slurm_engine.store.job(sweep.id, 0).state == JobState.RUNNING, 120,
                   message="job 0 to run as a step")
        wait_until(lambda: all(slurm_engine.store.job(sweep.id, i).state == JobState.COMPLETED for i in (1, 2)),
                   120, message="jobs 1 and 2 to complete beside it")
        slurm_engine.cancel([slurm_engine.store.job(sweep.id, 0)])
        wait_until(lambda: slurm_engine.store.job(sweep.id, 0).state == JobState.CANCELLED, 60,
                   message="job 0 to be cancelled")
        for job in slurm_engine.jobs(sweep.id):
            env = dumped_env(job)
            assert env["SLURM_JOB_ID"] == alloc and env["SLURM_STEP_ID"].isdigit()
            out, _ = slurm_engine.log_paths(job)
            assert f"step {env['SLURM_STEP_ID']}" in out.read_text()
        first_step = dumped_env(slurm_engine.store.job(sweep.id, 0))["SLURM_STEP_ID"]
        go.touch()
        slurm_engine.resubmit([slurm_engine.store.job(sweep.id, 0)])
        wait_until(lambda: (j := slurm_engine.store.job(sweep.id, 0)).attempt.number == 2 and
                   j.state == JobState.COMPLETED, 120, message="the resubmitted job 0 to complete")
        again = dumped_env(slurm_engine.store.job(sweep.id, 0))
        assert again["SLURM_JOB_ID"] == alloc and again["SLURM_STEP_ID"] != first_step
        steps = subprocess.run(["sacct", "-n", "-P", "-o", "JobID", "-j", alloc], capture_output=True,
                               text=True).stdout.split()
        assert len([s for s in steps if s.split(".")[-1].isdigit()]) >= 4  # 3 jobs + 1 resubmit, all steps
    finally:
        released = run_cli(["alloc", "release", alloc], cwd=repo)
    assert released.returncode == 0, released.stderr
    wait_until(lambda: state(alloc) != "RUNNING", 60, message="the allocation to end")
    again = run_cli(["alloc", "release", alloc], cwd=repo)
    assert again.returncode == 2 and f"allocation {alloc} has already ended" in again.stderr
    refused = run_cli(["--batch", "sweep.toml", "--profile", "slurm", "--set", f"allocation={alloc}"], cwd=repo)
    assert refused.returncode == 2 and f"allocation {alloc} is" in refused.stderr
    assert len(slurm_engine.sweeps()) == 1  # nothing launched


def test_allocation_current_outside_an_allocation_is_refused(slurm_engine):
    write_sweep(slurm_engine.repo_root, 'name = "cur"\ncommand = ["python", "job.py"]\n')
    result = run_cli(["--batch", "sweep.toml", "--profile", "slurm", "--set", "allocation=current"],
                     cwd=slurm_engine.repo_root, env={"SLURM_JOB_ID": ""})
    assert result.returncode == 2 and "not inside a Slurm allocation" in result.stderr


def test_allocation_current_runs_the_jobs_in_the_launching_shells_allocation(slurm_engine):
    repo = slurm_engine.repo_root
    (repo / "waitfor.py").write_text(WAIT_FOR)
    git(repo, "add", "waitfor.py")
    git(repo, "commit", "-qm", "waiting job")
    write_sweep(repo, '''
        name = "current"
        command = ["python", "waitfor.py"]
        [grid]
        until = ["now", "now"]
    ''')
    # --batch waits for the jobs, so the allocation lives until they are done
    inside = subprocess.run(
        ["salloc", "-n2", "--mem-per-cpu=128M", "-t", "5", "-J", "snaptui-test-current",
         sys.executable, "-m", "snaptui", "--batch", "sweep.toml", "--profile", "slurm",
         "--set", "allocation=current"], cwd=repo, capture_output=True, text=True, timeout=240)
    assert inside.returncode == 0, inside.stdout + inside.stderr
    alloc = next(line.split()[-1] for line in inside.stderr.splitlines() if "Granted job allocation" in line)
    sweep = slurm_engine.sweeps()[0]
    assert sweep.executor == "allocation" and sweep.config["executor"]["allocation"] == alloc
    for job in slurm_engine.jobs(sweep.id):
        assert job.state == JobState.COMPLETED
        env = dumped_env(job)
        assert env["SLURM_JOB_ID"] == alloc and env["SLURM_STEP_ID"].isdigit()
