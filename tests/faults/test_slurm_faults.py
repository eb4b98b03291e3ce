"""Slurm-side faults on the real test cluster: a launch killed right after sbatch, a slow or failing scheduler."""
from __future__ import annotations

import subprocess

import pytest

from snaptui.engine.api import Engine
from snaptui.engine.states import JobState
from tests.conftest import git, run_cli, wait_sweep_done, wait_until, write_sweep
from tests.test_slurm import CLUSTER, slurm_cluster, slurm_engine  # noqa: F401  (fixtures)

pytestmark = [pytest.mark.slurm, pytest.mark.timeout(240)]

SWEEP = '''
    name = "tagged"
    command = ["python", "job.py", "sleep={sleep}"]
    profile = "slurm"
    [env]
    MARKER_DIR = "{marker}"
    [grid]
    i = [0, 1, 2]
'''


def tagged_slurm_jobs(uid: str) -> list[str]:
    """This user's queued or running Slurm jobs carrying the launch's tag (squeue must answer)."""
    out = subprocess.run(["squeue", "--me", "-h", "-r", "-o", "%i|%k"], capture_output=True, text=True, check=True)
    return [line.split("|")[0] for line in out.stdout.splitlines() if f"snaptui:{uid}" in line.split("|", 1)[1]]


@pytest.fixture
def marker(tmp_path):
    path = tmp_path / "marks"
    path.mkdir()
    return path


def starts(marker) -> int:
    return len(list(marker.glob("*.start")))


@pytest.mark.parametrize("step, then", [("slurm:sbatch-returned", "recover"),
                                        ("slurm:sbatch-returned", "recover --abort"),
                                        ("launch:submitted", "recover")])
def test_a_launcher_killed_right_after_sbatch_leaves_no_untracked_job(slurm_engine, marker, step, then, report):
    repo = slurm_engine.repo_root
    write_sweep(repo, SWEEP.format(sleep=3, marker=marker))
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
        assert starts(marker) == 3  # each task ran once
        report(f"launcher SIGKILLed at {step}, then recover",
               "the array was adopted (found by its tag if untracked), never submitted twice: 3/3 completed")
    else:
        assert "scancel" in result.stdout and "exited 0; accounting now says" in result.stdout
        wait_until(lambda: not tagged_slurm_jobs(uid), 30, message="the tagged jobs to leave the queue")
        assert engine.store.sweeps(statuses=("active", "launching")) == []
        assert git(repo, "branch", "--list", "snaptui/*").strip() == ""
        report(f"launcher SIGKILLed at {step}, then recover --abort",
               "the tagged array was cancelled; record, branch and worktree removed")


def test_recover_after_the_untracked_array_finished_runs_nothing_twice(slurm_engine, marker, report):
    """squeue no longer lists a finished array as queued: recover must find it (controller memory or
    accounting, whichever has it first), not submit it again."""
    repo = slurm_engine.repo_root
    write_sweep(repo, SWEEP.format(sleep=0, marker=marker))
    killed = run_cli(["launch", "sweep.toml"], cwd=repo, env={"SNAPTUI_FAULT_KILL_AT": "slurm:sbatch-returned"})
    assert killed.returncode != 0
    uid = Engine(repo).store.sweeps(statuses=("launching",))[0].uid
    wait_until(lambda: len(list(marker.glob("*.end"))) == 3, 120, message="the untracked array to finish")
    wait_until(lambda: not tagged_slurm_jobs(uid), 60, message="the finished array to leave the queue")
    result = run_cli(["recover", "1"], cwd=repo)
    assert result.returncode == 0, result.stderr
    assert "adopted Slurm array" in result.stdout and "3 task(s) already finished" in result.stdout
    engine = Engine(repo)
    assert wait_sweep_done(engine, 1, 120).counts == {JobState.COMPLETED: 3}
    assert starts(marker) == 3 and "job(s)" not in result.stdout  # ran once: nothing was submitted again
    report("launcher SIGKILLed after sbatch, array finished, then recover",
           "found ended (gone from the queue) and adopted: 3/3 completed, each ran once")


def test_a_stalled_controller_delays_nothing_but_scheduling(slurm_engine, marker, report):
    sweep = slurm_engine.launch(slurm_engine.plan(write_sweep(slurm_engine.repo_root,
                                                              SWEEP.format(sleep=8, marker=marker))))
    wait_until(lambda: starts(marker), 90, message="a task to start")
    subprocess.run([CLUSTER, "stop-ctld"], check=True, capture_output=True)
    try:
        # Progress that needs the agent while the controller is down: tasks that were running end,
        # and the agent records it from their own reports.
        slurm_engine.refresh()
        done_while_down = wait_until(
            lambda: [j for j in slurm_engine.jobs(sweep.id) if j.state == JobState.COMPLETED], 60,
            message="the agent to record a task's completion while slurmctld is down")
        assert not {j.state for j in slurm_engine.jobs(sweep.id)} & {JobState.FAILED, JobState.CANCELLED}
        status = run_cli(["status", str(sweep.id)], cwd=slurm_engine.repo_root)
        assert status.returncode == 0
    finally:
        subprocess.run([CLUSTER, "start-ctld"], check=True, capture_output=True)
    assert wait_sweep_done(slurm_engine, sweep.id, 150).counts == {JobState.COMPLETED: 3}
    assert starts(marker) == 3
    report("slurmctld stopped while tasks run, then restarted",
           f"status kept answering; the agent recorded {len(done_while_down)} completion(s) while it was down, "
           f"nothing marked failed; 3/3 completed after the restart")


DAEMON_JOB = '''
import os, subprocess
daemon = subprocess.Popen(["sleep", "300"], start_new_session=True, stdin=subprocess.DEVNULL,
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
open(os.path.join(os.environ["MARKER_DIR"], f"{os.environ['SNAPTUI_JOB_INDEX']}.daemon"), "w").write(str(daemon.pid))
'''


def test_a_daemon_a_slurm_job_started_ends_with_it(slurm_engine, marker, report):
    """The test cluster tracks a step's processes with proctrack/linuxproc: by parent process, so a child that
    calls setsid() and is re-parented to init escapes it and outlives the job (tried by hand: a `setsid sleep`
    with its output closed survived its job's COMPLETED). The task's runner is a child subreaper: it adopts
    such a child and ends it with the job. (proctrack/cgroup would end it too, by the step's cgroup.)"""
    import psutil

    repo = slurm_engine.repo_root
    (repo / "daemon_job.py").write_text(DAEMON_JOB)
    sweep = slurm_engine.launch(slurm_engine.plan(write_sweep(repo, f'''
        name = "daemon"
        command = ["python", "daemon_job.py"]
        profile = "slurm"
        [env]
        MARKER_DIR = "{marker}"
        [grid]
        i = [0, 1]
    ''')))
    assert wait_sweep_done(slurm_engine, sweep.id, 150).counts == {JobState.COMPLETED: 2}
    pids = [int(p.read_text()) for p in marker.glob("*.daemon")]
    assert len(pids) == 2
    gone, alive = psutil.wait_procs([psutil.Process(p) for p in pids if psutil.pid_exists(p)], timeout=10)
    assert alive == [], [p.pid for p in alive]
    report("a Slurm job leaves a setsid daemon (proctrack/linuxproc would lose it)",
           "the task's runner, a subreaper, adopted and ended it with the job")
