"""Job folders vanishing, jobs daemonizing, workers killed, cancels racing ends: every job ends truthfully,
the queue goes on, and no process a job started outlives it."""
from __future__ import annotations

import json
import os
import shutil
import signal
from pathlib import Path

import psutil
import pytest

from snaptui.engine.api import Engine
from snaptui.engine.states import JobState
from tests.conftest import run_cli, stop_everything, wait_sweep_done, wait_until, write_sweep

pytestmark = pytest.mark.timeout(300)

# A job that, on request, removes its own folder or leaves a daemon (setsid: out of its process group)
JOB = '''
import json, os, shutil, subprocess, sys, time
args = dict(a.split("=", 1) for a in sys.argv[1:])
marks = os.environ["MARKER_DIR"]
tag = f"{os.environ['SNAPTUI_JOB_INDEX']}-{os.environ['SNAPTUI_ATTEMPT']}"
open(os.path.join(marks, f"{tag}.start"), "w").write(str(os.getpid()))
open(os.path.join(marks, f"run-{os.environ['SNAPTUI_SWEEP_ID']}-{tag}-{os.getpid()}.run"), "w").close()
if args.get("daemon"):
    daemon = subprocess.Popen(["sleep", "300"], start_new_session=True)
    open(os.path.join(marks, f"{tag}.daemon"), "w").write(str(daemon.pid))
if args.get("rmdir"):
    shutil.rmtree(os.environ["SNAPTUI_JOB_DIR"])
if args.get("race") == "1":  # ends with exit 0 the instant a cancel starts, or on its SIGTERM (a graceful stop)
    import signal
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    while not os.path.exists(os.path.join(os.environ["SNAPTUI_JOB_DIR"], "snaptui_cancel")):
        time.sleep(0.002)
    sys.exit(0)
wait = os.path.join(marks, f"{tag}.go")
while args.get("hold") and not os.path.exists(wait):
    time.sleep(0.02)
time.sleep(float(args.get("sleep", 0)))
print(f"SNAPTUI_RESULT score={args.get('score', 1)}", flush=True)
if args.get("ckpt"):  # a checkpoint where real trainers write them: beside the code, outside outputs/
    os.makedirs("ckpt", exist_ok=True)
    open(os.path.join("ckpt", f"{tag}.pt"), "w").write(str(os.getpid()))
open(os.path.join(marks, f"{tag}.end"), "w").write("")
'''


@pytest.fixture
def repo(git_repo, tmp_path):
    marks = tmp_path / "marks"
    marks.mkdir()
    (git_repo / "proc_job.py").write_text(JOB)
    (git_repo / "snaptui.toml").write_text((git_repo / "snaptui.toml").read_text().replace(
        "max_parallel_jobs = 4", "max_parallel_jobs = 2"))
    yield git_repo
    stop_everything(git_repo)


def sweep_file(repo: Path, tmp_path: Path, name: str, jobs: int, **args) -> Path:
    argv = ", ".join(json.dumps(f"{k}={v}") for k, v in args.items())
    return write_sweep(repo, f'''
        name = "{name}"
        command = ["python", "proc_job.py", {argv}]
        [env]
        MARKER_DIR = "{tmp_path / 'marks'}"
        [grid]
        score = {list(range(jobs))}
    ''', f"{name}.toml")


def starts(tmp_path: Path) -> list[str]:
    return sorted(p.stem for p in (tmp_path / "marks").glob("*.start"))


def launch(repo: Path, path: Path, *extra: str) -> int:
    result = run_cli(["launch", path.name, *extra], cwd=repo)
    assert result.returncode == 0, result.stderr
    return int(result.stdout.strip().splitlines()[-1])


def test_job_folders_removed_mid_sweep_never_wedge_the_queue(repo, tmp_path, report):
    path = sweep_file(repo, tmp_path, "rmall", 4, hold=1)
    engine = Engine(repo)
    sweep_id = launch(repo, path)
    wait_until(lambda: len(starts(tmp_path)) == 2, 60, 0.05, "two jobs to start")
    shutil.rmtree(repo / ".submitit")  # rm -rf .submitit while two jobs run and two wait
    for tag in ("0-1", "1-1", "2-1", "3-1"):
        (tmp_path / "marks" / f"{tag}.go").touch()
    done = wait_sweep_done(engine, sweep_id, 60)
    assert done.counts == {JobState.COMPLETED: 4}
    assert starts(tmp_path) == ["0-1", "1-1", "2-1", "3-1"]
    report("rm -rf .submitit mid-sweep", "the running jobs' ends were recorded (their folders made again), "
           "the queued ones ran; all completed, each once")


def test_a_job_removing_its_own_folder_ends_recorded_and_the_queue_goes_on(repo, tmp_path, report):
    engine = Engine(repo)
    sweep_id = launch(repo, sweep_file(repo, tmp_path, "rmself", 4, rmdir=1))
    done = wait_sweep_done(engine, sweep_id, 60)
    assert done.counts == {JobState.COMPLETED: 4}
    manifest = engine.manifest(engine.jobs(sweep_id)[0])
    assert (manifest["sweep_id"], manifest["job_index"], manifest["attempt"]) == (sweep_id, 0, 1)
    report("a job removing its own $SNAPTUI_JOB_DIR", "its end was recorded in a folder made again, ids and all; "
           "the jobs behind it ran")


def test_cancel_of_a_job_whose_folder_vanished_tells_the_truth(repo, tmp_path, report):
    """The job removes its own folder and ends; `cancel` right after must say what became of it, and the job
    must end (it stayed RUNNING for ever, and cancel printed "cancelled" and changed nothing)."""
    engine = Engine(repo)
    sweep_id = launch(repo, sweep_file(repo, tmp_path, "cancelgone", 1, rmdir=1))
    wait_until((tmp_path / "marks" / "0-1.end").exists, 60, 0.02, "the job to finish its work")
    said = run_cli(["cancel", f"{sweep_id}/0"], cwd=repo).stdout.strip()
    final = wait_until(lambda: (j := engine.store.job(sweep_id, 0)).state.is_final and j, 30, 0.05,
                       "the job to end").state
    assert said.startswith("cancelled") == (final == JobState.CANCELLED), (said, final)
    report("cancel after a job removed its own folder and ended", f"the job ended {final.value}; cancel "
           f"printed {said!r}")


@pytest.mark.parametrize("end", ["completes", "is cancelled"])
def test_a_daemon_a_job_started_ends_with_the_job(repo, tmp_path, end, report):
    engine = Engine(repo)
    sweep_id = launch(repo, sweep_file(repo, tmp_path, "daemon", 1, daemon=1, hold=1))
    daemon_file = tmp_path / "marks" / "0-1.daemon"
    wait_until(daemon_file.exists, 60, 0.05, "the daemon to start")
    daemon = psutil.Process(int(daemon_file.read_text()))
    if end == "completes":
        (tmp_path / "marks" / "0-1.go").touch()
        assert wait_sweep_done(engine, sweep_id, 60).counts == {JobState.COMPLETED: 1}
    else:
        assert run_cli(["cancel", f"{sweep_id}/0"], cwd=repo).stdout.startswith("cancelled")
        assert wait_sweep_done(engine, sweep_id, 60).counts == {JobState.CANCELLED: 1}
    assert daemon.wait(timeout=10) is not None or not daemon.is_running()
    report(f"a job leaves a setsid daemon, then {end}", "the daemon (adopted by the worker, a subreaper) ended "
           "with the job")


def test_a_killed_slot_worker_never_turns_a_job_that_succeeded_into_a_failure(repo, tmp_path, report):
    """kill -9 of the worker running a job, 10 times: each job still completes, with its result and with what
    it wrote in its worktree put into the repository when its end is recorded (before, only at gc)."""
    trials = 10
    engine = Engine(repo)
    sweep_id = launch(repo, sweep_file(repo, tmp_path, "killworker", trials, hold=1, ckpt=1))
    for index in range(trials):
        wait_until((tmp_path / "marks" / f"{index}-1.start").exists, 60, 0.02, f"job {index}'s command to start")
        job = wait_until(lambda: (j := engine.store.job(sweep_id, index)).attempt.proc.get("worker") and j,
                         60, 0.02, f"job {index}'s worker to be recorded")
        worker = job.attempt.proc["worker"]
        os.kill(worker["pid"], signal.SIGKILL)
        wait_until(lambda: not psutil.pid_exists(worker["pid"]) or
                   psutil.Process(worker["pid"]).status() == psutil.STATUS_ZOMBIE, 10, 0.05, "the worker to die")
        (tmp_path / "marks" / f"{index}-1.go").touch()
    jobs = wait_sweep_done(engine, sweep_id, 120) and engine.jobs(sweep_id)
    failures = [(j.index, j.state.value, j.attempt.reason) for j in jobs if j.state != JobState.COMPLETED]
    assert failures == [], failures
    assert [j.attempt.results["score"] for j in jobs] == list(range(trials))
    assert len(starts(tmp_path)) == trials
    landed = sorted(p.name for p in (repo / "ckpt").glob("*.pt")) if (repo / "ckpt").is_dir() else []
    assert landed == sorted(f"{i}-1.pt" for i in range(trials))
    report("kill -9 of the slot worker running a job, 10 times",
           f"{trials}/{trials} jobs COMPLETED with their results and their checkpoints in the repository (the "
           f"agent, a subreaper, saw each command end and landed what it wrote)")


def test_cancel_racing_a_job_s_end_says_what_happened(repo, tmp_path, report):
    """20 trials of `snaptui cancel` on a running job: every other job completes as the cancel arrives (exit 0
    on the cancel's marker or its SIGTERM, as a graceful program does); the others run until killed. What
    cancel prints matches the state each job ends in: a job that completed is never reported cancelled."""
    trials = 20
    engine = Engine(repo)
    (repo / "race.toml").write_text(f'''
name = "race"
command = ["python", "proc_job.py", "hold=1"]
[env]
MARKER_DIR = "{tmp_path / 'marks'}"
[grid]
race = {[1 - i % 2 for i in range(trials)]}
''')
    sweep_id = launch(repo, repo / "race.toml", "--set", "max_parallel_jobs=1")
    finals, mismatches = [], []
    for index in range(trials):
        wait_until(lambda: engine.store.job(sweep_id, index).state == JobState.RUNNING, 60, 0.01,
                   f"job {index} to run")
        said = run_cli(["cancel", f"{sweep_id}/{index}"], cwd=repo).stdout.strip()
        final = wait_until(lambda: (j := engine.store.job(sweep_id, index)).state.is_final and j, 30, 0.05,
                           "the job to end").state
        finals.append(final)
        if said.startswith("cancelled") != (final == JobState.CANCELLED):
            mismatches.append((index, said, final.value))
    assert mismatches == []
    counts = {s: finals.count(s) for s in set(finals)}
    report("cancel racing a job's end (half of them complete as it arrives), 20 times",
           "every time, what cancel printed matched the state the job "
           "ended in (" + ", ".join(f"{n} {s.value.lower()}" for s, n in sorted(counts.items())) + ")")


def test_the_children_a_runner_spares_and_ends_are_the_ones_psutil_sees_a_thread_s_included():
    """subreaper reads this process's children from the kernel's per-thread lists (psutil scans every
    process on the machine): the same set, with a child started from another thread among them."""
    import subprocess
    import sys
    import threading

    from snaptui.engine.jobside import subreaper

    started = [subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()"], stdin=subprocess.PIPE)]
    thread = threading.Thread(target=lambda: started.append(
        subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()"], stdin=subprocess.PIPE)))
    thread.start()
    thread.join()
    try:
        assert subreaper._children_from_proc() is not None, "this kernel keeps no child lists"
        ours = {p.pid for p in started}
        assert ours <= subreaper.children() == {c.pid for c in psutil.Process().children()}
    finally:
        for proc in started:
            proc.stdin.close()
            proc.wait()
