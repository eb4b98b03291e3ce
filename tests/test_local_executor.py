"""The local executor with real processes: cap, timeout, cancel, resubmit, detachment, reattach."""
from __future__ import annotations

import os
import time
from pathlib import Path

import psutil
import pytest

from snaptui.engine.agent import agent_identity, agent_running
from snaptui.engine.api import Engine
from snaptui.engine.procs import identity, is_alive
from snaptui.engine.states import JobState
from tests.conftest import agent_processes, run_cli, wait_sweep_done, wait_until, write_sweep

pytestmark = pytest.mark.timeout(180)


def launch(engine: Engine, text: str, **plan_args):
    path = write_sweep(engine.repo_root, text)
    plan_args.setdefault("no_snapshot", True)
    return engine.launch(engine.plan(path, **plan_args))


def intervals(marker: Path) -> list[tuple[float, float]]:
    out = []
    for start in marker.glob("*.start"):
        end = start.with_suffix(".end")
        out.append((float(start.read_text()), float(end.read_text()) if end.exists() else time.time()))
    return out


def max_overlap(spans: list[tuple[float, float]]) -> int:
    events = sorted([(s, 1) for s, _ in spans] + [(e, -1) for _, e in spans])
    running = peak = 0
    for _, step in events:
        running += step
        peak = max(peak, running)
    return peak


def test_a_sweep_runs_to_completion_with_results_logs_and_exit_codes(engine):
    sweep = launch(engine, '''
        name = "basic"
        command = ["python", "job.py"]
        [grid]
        result = [1, 2]
        code = [0, 3]
    ''')
    done = wait_sweep_done(engine, sweep.id)
    assert done.counts == {JobState.COMPLETED: 2, JobState.FAILED: 2}
    jobs = {j.label: j for j in engine.jobs(sweep.id)}
    ok, bad = jobs["result=2,code=0"], jobs["result=2,code=3"]
    assert ok.attempt.exit_code == 0 and ok.attempt.results == {"score": 2}
    assert bad.attempt.exit_code == 3 and bad.attempt.reason == "exit code 3"
    out, err = engine.log_paths(ok)
    assert out == engine.repo_root / ".submitit" / ok.attempt.executor_id / f"{ok.attempt.executor_id}_0_log.out"
    assert 'start {"result": "2", "code": "0"}' in out.read_text()
    assert "job failed: exit code 3" in engine.log_paths(bad)[1].read_text()
    assert not (engine.repo_root / ".submitit" / "%j").exists()  # no stray folder named after the pattern
    assert "Traceback" not in engine.log_paths(bad)[1].read_text()


def test_the_parallelism_cap_holds_as_observed_by_the_jobs(engine, tmp_path):
    marker = tmp_path / "marks"
    marker.mkdir()
    sweep = launch(engine, f'''
        name = "capped"
        command = ["python", "job.py", "sleep=1.5"]
        [env]
        MARKER_DIR = "{marker}"
        [grid]
        i = "range(6)"
    ''', sets=["max_parallel_jobs=2"])
    assert wait_sweep_done(engine, sweep.id).counts == {JobState.COMPLETED: 6}
    spans = intervals(marker)
    assert len(spans) == 6
    assert max_overlap(spans) == 2


def test_queued_jobs_still_start_after_the_launcher_exits(git_repo, tmp_path):
    marker = tmp_path / "marks"
    marker.mkdir()
    write_sweep(git_repo, f'''
        name = "detached"
        command = ["python", "job.py", "sleep=1"]
        [env]
        MARKER_DIR = "{marker}"
        [grid]
        i = "range(5)"
    ''')
    result = run_cli(["launch", "sweep.toml", "--no-snapshot", "--set", "max_parallel_jobs=2"], cwd=git_repo)
    assert result.returncode == 0, result.stderr
    sweep_id = int(result.stdout.strip().splitlines()[-1])
    engine = Engine(git_repo)
    assert wait_sweep_done(engine, sweep_id).counts == {JobState.COMPLETED: 5}
    assert len(intervals(marker)) == 5 and max_overlap(intervals(marker)) <= 2


def test_a_job_over_its_timeout_is_stopped_and_marked_timeout(engine, tmp_path):
    marker = tmp_path / "marks"
    marker.mkdir()
    sweep = launch(engine, f'''
        name = "slow"
        command = ["python", "job.py", "sleep=60", "spawn=1"]
        [env]
        MARKER_DIR = "{marker}"
    ''', sets=["timeout_min=0.03"])
    done = wait_sweep_done(engine, sweep.id, timeout=60)
    job = engine.jobs(sweep.id)[0]
    assert done.counts == {JobState.TIMEOUT: 1} and job.attempt.reason == "timed out"
    child = int(next(marker.glob("*.child")).read_text())
    wait_until(lambda: not psutil.pid_exists(child) or psutil.Process(child).status() == psutil.STATUS_ZOMBIE,
               10, message="the job's own child to be killed with its process group")


def test_cancel_from_another_process_kills_the_whole_process_group(engine, tmp_path):
    marker = tmp_path / "marks"
    marker.mkdir()
    sweep = launch(engine, f'''
        name = "long"
        command = ["python", "job.py", "sleep=120", "spawn=1"]
        [env]
        MARKER_DIR = "{marker}"
        [grid]
        i = [0, 1]
    ''')
    wait_until(lambda: len(list(marker.glob("*.child"))) == 2, 30, message="both jobs to start")
    children = [int(p.read_text()) for p in marker.glob("*.child")]
    jobs_pids = [int(p.stem) for p in marker.glob("*.start")]
    result = run_cli(["cancel", f"{sweep.id}/0"], cwd=engine.repo_root)
    assert result.returncode == 0 and f"cancelled {sweep.id}/0" in result.stdout
    first, second = engine.jobs(sweep.id)
    assert first.state == JobState.CANCELLED
    assert second.state == JobState.RUNNING
    alive = [p for p in children + jobs_pids if psutil.pid_exists(p)
             and psutil.Process(p).status() != psutil.STATUS_ZOMBIE]
    assert len(alive) == 2  # the other job and its child, untouched
    assert run_cli(["cancel", str(sweep.id)], cwd=engine.repo_root).returncode == 0
    assert wait_sweep_done(engine, sweep.id, 20).counts == {JobState.CANCELLED: 2}
    wait_until(lambda: not any(psutil.pid_exists(p) and psutil.Process(p).status() != psutil.STATUS_ZOMBIE
                               for p in children + jobs_pids), 10, message="every job process to be gone")


def test_cancelling_a_queued_job_means_it_never_starts(engine, tmp_path):
    marker = tmp_path / "marks"
    marker.mkdir()
    sweep = launch(engine, f'''
        name = "queue"
        command = ["python", "job.py", "sleep=2"]
        [env]
        MARKER_DIR = "{marker}"
        [grid]
        i = [0, 1, 2]
    ''', sets=["max_parallel_jobs=1"])
    queued = engine.jobs(sweep.id)[2]
    after = engine.cancel([queued])  # read back: what became of it
    assert [(j.index, j.state) for j in after] == [(2, JobState.CANCELLED)]
    done = wait_sweep_done(engine, sweep.id)
    assert done.counts == {JobState.COMPLETED: 2, JobState.CANCELLED: 1}
    assert engine.jobs(sweep.id)[2].attempt.executor_id is None
    assert len(list(marker.glob("*.start"))) == 2


def test_resubmit_makes_a_new_attempt_with_its_own_logs(engine):
    sweep = launch(engine, '''
        name = "retry"
        command = ["python", "job.py"]
        [grid]
        code = [0, 5]
    ''')
    wait_sweep_done(engine, sweep.id)
    failed = engine.jobs(sweep.id)[1]
    first_log = engine.log_paths(failed)[0]
    resubmitted = engine.resubmit_failed(sweep.id)
    assert [j.index for j in resubmitted] == [1]
    wait_sweep_done(engine, sweep.id)
    again = engine.jobs(sweep.id)[1]
    assert again.attempt.number == 2 and again.state == JobState.FAILED
    attempts = engine.attempts(again)
    assert [a.number for a in attempts] == [1, 2]
    assert attempts[0].log_dir != attempts[1].log_dir
    assert first_log.exists() and engine.log_paths(again)[0].exists()
    assert engine.resubmit([engine.jobs(sweep.id)[0]])[0].index == 0  # a completed job may run again too


def test_jobs_are_detached_from_the_launching_session_and_survive_agent_death(engine, tmp_path):
    marker = tmp_path / "marks"
    marker.mkdir()
    sweep = launch(engine, f'''
        name = "orphan"
        command = ["python", "job.py", "sleep=3"]
        [env]
        MARKER_DIR = "{marker}"
        [grid]
        i = [0, 1, 2]
    ''', sets=["max_parallel_jobs=1"])
    wait_until(lambda: list(marker.glob("*.start")), 30, message="first job to start")
    job_pid = int(next(marker.glob("*.start")).stem)
    assert os.getsid(job_pid) != os.getsid(0)
    agents = agent_processes(engine.repo_root)
    assert [p.pid for p in agents] == [agent_identity(engine.repo_root)["pid"]]
    agents[0].kill()
    wait_until(lambda: not agent_running(engine.repo_root), 30, message="the killed agent to be seen as gone")
    engine.refresh()  # any snaptui process brings the agent back; it reattaches by PID and start time
    assert wait_sweep_done(engine, sweep.id, 60).counts == {JobState.COMPLETED: 3}


def test_liveness_needs_the_same_start_time_not_just_the_pid():
    me = identity(os.getpid())
    assert is_alive(me)
    assert not is_alive({"pid": os.getpid(), "ctime": me["ctime"] - 100})
    assert not is_alive({"pid": 2 ** 22 + 12345, "ctime": 0})
    assert not is_alive(None)


def test_events_stream_reports_every_transition(engine):
    since = engine.last_event_id()
    sweep = launch(engine, 'name = "ev"\ncommand = ["python", "job.py", "sleep=2"]\n')
    wait_sweep_done(engine, sweep.id)
    events = engine.events_since(since, sweep.id)
    assert [e.new_state for e in events] == [JobState.PENDING, JobState.RUNNING, JobState.COMPLETED]
    assert [e.old_state for e in events] == [None, JobState.PENDING, JobState.RUNNING]
    assert events[0].reason == "launched"


def test_following_a_sweep_sees_its_end_when_it_is_recorded_not_at_the_next_poll(engine, tmp_path):
    """`follow` (batch mode, the Hydra launcher) waits on the store's commits: with an hour between
    its polls it still returns once the job's end is recorded (it slept 0.5 s between reads before)."""
    import threading

    (engine.repo_root / "gate.py").write_text("import os, sys, time\nwhile not os.path.exists(sys.argv[1]):\n"
                                              "    time.sleep(0.01)\n")
    sweep = launch(engine, f'''
        name = "followed"
        command = ["python", "gate.py", "{tmp_path / 'go'}"]
    ''')
    seen: list = []
    done = threading.Event()

    def follow() -> None:
        follower = Engine(engine.repo_root)  # its own connection, as a waiting process has
        seen.extend(follower.follow(sweep.id, poll_s=3600, refresh_s=3600))
        done.set()

    threading.Thread(target=follow, daemon=True).start()
    wait_until(lambda: seen, 60, message="the first state")
    (tmp_path / "go").touch()
    assert done.wait(120), "follow still waiting for its next poll an hour away"
    assert seen[0].is_active and not seen[-1].is_active and seen[-1].counts[JobState.COMPLETED] == 1


@pytest.mark.skipif(not hasattr(os, "pidfd_open"), reason="no pidfd on this system: the runner polls there")
def test_the_runner_wakes_when_the_command_exits():
    """The runner's wait on its command is an event (a pidfd), not a poll: with an hour's timeout it
    returns once the command has exited (Popen.wait polled every 50 ms); its exit code is kept."""
    import subprocess
    import sys

    from snaptui.engine.procs import exit_event

    child = subprocess.Popen([sys.executable, "-c", "raise SystemExit(3)"])
    with exit_event(child.pid) as exited:
        exited(3600)
        assert child.poll() == 3


def test_a_job_reading_its_stdin_reads_nothing_and_ends(engine):
    """A job's stdin is /dev/null: a local slot's stdin is the agent's request pipe, which a job reading
    its input (input(), sys.stdin.read()) used to inherit, blocking on it or taking the next job's request."""
    sweep = launch(engine, '''
        name = "stdin"
        command = ["python", "-c", "import sys; print('read', repr(sys.stdin.read()))"]
        [grid]
        i = [1, 2]
    ''', sets=["max_parallel_jobs=1"])
    done = wait_sweep_done(engine, sweep.id)
    assert done.counts[JobState.COMPLETED] == 2
    for job in engine.jobs(sweep.id):
        assert "read ''" in engine.log_paths(job.attempt)[0].read_text()
