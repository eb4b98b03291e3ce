"""Processes killed at the worst moments: launches, the agent, the faces. Nothing lost, nothing orphaned."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from snaptui.engine.agent import agent_running
from snaptui.engine.api import Engine
from snaptui.engine.states import JobState
from tests.conftest import git, run_cli, stop_everything, wait_sweep_done, wait_until, write_sweep

pytestmark = pytest.mark.timeout(180)

SWEEP = '''
    name = "victim"
    command = ["python", "job.py", "sleep=1"]
    [env]
    MARKER_DIR = "{marker}"
    [grid]
    i = [0, 1, 2]
'''


@pytest.fixture
def repo(git_repo, tmp_path):
    marker = tmp_path / "marks"
    marker.mkdir()
    write_sweep(git_repo, SWEEP.format(marker=marker))
    yield git_repo
    stop_everything(git_repo)


def branches(repo: Path) -> str:
    return git(repo, "branch", "--list", "snaptui/*").strip()


def worktrees(repo: Path) -> list[str]:
    return [line for line in git(repo, "worktree", "list", "--porcelain").splitlines() if line.startswith("worktree")]


def launch_killed_at(repo: Path, step: str) -> subprocess.CompletedProcess:
    return run_cli(["launch", "sweep.toml"], cwd=repo, env={"SNAPTUI_FAULT_KILL_AT": step})


@pytest.mark.parametrize("step", ["launch:recorded", "launch:snapshotted", "launch:code-recorded"])
def test_a_launcher_killed_mid_launch_is_reported_and_can_be_undone(repo, step, report):
    before_branches, before_worktrees = branches(repo), worktrees(repo)
    killed = launch_killed_at(repo, step)
    assert killed.returncode == -signal.SIGKILL
    status = run_cli(["status"], cwd=repo)
    assert "was interrupted while launching" in status.stderr and "snaptui recover 1" in status.stderr
    undone = run_cli(["recover", "1", "--abort"], cwd=repo)
    assert undone.returncode == 0, undone.stderr
    assert branches(repo) == before_branches and worktrees(repo) == before_worktrees
    assert Engine(repo).store.sweeps(statuses=("active", "launching")) == []
    assert not list((repo.parent / "marks").glob("*.start"))  # no job ever ran
    report(f"launcher SIGKILLed at {step}", "reported by status; recover --abort removed record, branch, worktree")


@pytest.mark.parametrize("step", ["launch:recorded", "launch:snapshotted", "launch:code-recorded"])
def test_an_interrupted_launch_can_be_finished_when_its_code_is_known(repo, step, report):
    launch_killed_at(repo, step)
    finished = run_cli(["recover", "1"], cwd=repo)
    engine = Engine(repo)
    if step != "launch:code-recorded":
        # the code the launch meant to run was never recorded: finishing would guess, so it refuses
        assert finished.returncode == 1 and "--abort" in finished.stderr
        assert run_cli(["recover", "1", "--abort"], cwd=repo).returncode == 0
        assert branches(repo) == ""
        report(f"launcher SIGKILLed at {step}, then recover", "refused to guess the code; --abort cleaned up")
        return
    assert finished.returncode == 0, finished.stderr
    assert wait_sweep_done(engine, 1).counts == {JobState.COMPLETED: 3}
    assert len(list((repo.parent / "marks").glob("*.start"))) == 3
    report(f"launcher SIGKILLed at {step}, then recover", "recover finished the launch: 3/3 completed, each once")


def test_an_agent_killed_right_after_starting_a_job_is_replaced_and_the_job_adopted(repo, report):
    engine = Engine(repo)
    os.environ["SNAPTUI_FAULT_KILL_AT"] = "agent:submitted"  # inherited by the agent the launch starts
    try:
        sweep = engine.launch(engine.plan(repo / "sweep.toml", sets=["max_parallel_jobs=1"]))
        wait_until(lambda: list((repo.parent / "marks").glob("*.start")), 30, message="the first job to start")
        wait_until(lambda: not agent_running(repo), 30, message="the agent to die at the fault point")
    finally:
        del os.environ["SNAPTUI_FAULT_KILL_AT"]
    job = engine.jobs(sweep.id)[0]
    assert job.attempt.executor_id is None  # the agent died before it could record the job
    engine.refresh()  # any snaptui process brings a new agent
    done = wait_sweep_done(engine, sweep.id, 90)
    assert done.counts == {JobState.COMPLETED: 3}
    assert len(list((repo.parent / "marks").glob("*.start"))) == 3  # adopted, not started twice
    report("agent SIGKILLed between starting a job and recording it",
           "the next agent adopted the running job by its manifest; 3/3 completed, none twice")


@pytest.mark.parametrize("how", ["SIGKILL", "SIGHUP to its session"])
def test_killing_the_batch_process_or_hanging_up_leaves_jobs_running(repo, how, report):
    proc = subprocess.Popen([sys.executable, "-m", "snaptui", "--batch", "sweep.toml"], cwd=repo,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    wait_until(lambda: list((repo.parent / "marks").glob("*.start")), 30, message="a job to start")
    if how == "SIGKILL":
        proc.kill()
    else:
        os.killpg(proc.pid, signal.SIGHUP)
    proc.wait(10)
    engine = Engine(repo)
    assert wait_sweep_done(engine, 1, 60).counts == {JobState.COMPLETED: 3}
    report(f"batch process: {how} while jobs run", "jobs kept running in their own session; 3/3 completed")


def test_two_launches_in_the_same_second_from_two_terminals(repo, report):
    procs = [subprocess.Popen([sys.executable, "-m", "snaptui", "launch", "sweep.toml"], cwd=repo,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outs = [p.communicate(timeout=60) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    engine = Engine(repo)
    sweeps = engine.sweeps()
    assert len(sweeps) == 2 and sweeps[0].snapshot["branch"] != sweeps[1].snapshot["branch"]
    for sweep in sweeps:
        assert wait_sweep_done(engine, sweep.id, 90).counts == {JobState.COMPLETED: 3}
    report("two launches at once in one repository", "two sweeps, two branches, 6/6 jobs completed")


def test_ten_processes_hammering_the_store(repo, report):
    engine = Engine(repo)
    sweep = engine.launch(engine.plan(repo / "sweep.toml", no_snapshot=True))
    wait_sweep_done(engine, sweep.id)
    script = f'''
import sys
import time
from snaptui.engine.agent import agent_running
from snaptui.engine.api import Engine
from snaptui.engine.states import JobState
engine = Engine({str(repo)!r})
for n in range(30):
    job = engine.jobs({sweep.id})[n % 3]
    attempt_id = engine.store.new_attempt(job.sweep_id, job.index)
    engine.store.update_attempt(attempt_id, JobState.CANCELLED, reason="hammer")
    engine.sweeps(); engine.events_since(0)
'''
    procs = [subprocess.Popen([sys.executable, "-c", script], stderr=subprocess.PIPE, text=True) for _ in range(10)]
    errors = [p.communicate(timeout=120)[1] for p in procs]
    assert [p.returncode for p in procs] == [0] * 10, [e[-400:] for e in errors]
    assert not any("locked" in e for e in errors)
    attempts = sum(len(engine.attempts(j)) for j in engine.jobs(sweep.id))
    assert attempts == 3 + 10 * 30  # no lost update
    report("10 processes writing the store at once", "300/300 writes kept, no 'database is locked'")


def test_processes_opening_a_new_store_at_the_same_instant(tmp_path, report):
    """Two launches in the same second of a repository's first use both create its database;
    switching a new database to WAL answered one of them "database is locked" (~1 trial in 10)."""
    script = '''
import sys, time
from snaptui.engine.store.wal import connect_wal
start_at = float(sys.argv[2])
time.sleep(max(0.0, start_at - time.time() - 0.02))
while time.time() < start_at:   # all processes pass this line in the same millisecond
    pass
conn = connect_wal(sys.argv[1])
conn.execute("CREATE TABLE IF NOT EXISTS t(x)")
assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
'''
    failed = []
    for trial in range(15):
        start_at = f"{time.time() + 0.6:.3f}"   # past every interpreter's start, even on a loaded machine
        db = tmp_path / f"trial{trial}" / "state.db"
        db.parent.mkdir()
        procs = [subprocess.Popen([sys.executable, "-c", script, str(db), start_at], stderr=subprocess.PIPE,
                                  text=True) for _ in range(4)]
        errors = [p.communicate(timeout=120)[1] for p in procs]
        failed += [e.strip().splitlines()[-1] for p, e in zip(procs, errors) if p.returncode != 0]
    assert not failed, failed
    report("4 processes creating the same new store at once, 15 times", "60/60 opened it in WAL mode, none "
           "told 'database is locked'")
