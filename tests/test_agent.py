"""The per-repository agent: exactly one runs, found by its recorded PID, whoever starts it and when."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from snaptui.engine import agent
from snaptui.engine.states import JobState
from snaptui.engine.store.store import state_dir
from tests.conftest import agent_processes, stop_everything, wait_sweep_done, write_sweep

pytestmark = pytest.mark.timeout(180)

CALLER = """
import sys
from pathlib import Path
from snaptui.engine.agent import ensure_agent
sys.stdin.read(1)           # every caller waits here until the test says go
ensure_agent(Path(sys.argv[1]))
"""


def test_many_concurrent_callers_leave_exactly_one_agent(git_repo):
    state_dir(git_repo).mkdir(mode=0o700)
    try:
        callers = [subprocess.Popen([sys.executable, "-c", CALLER, str(git_repo)], stdin=subprocess.PIPE)
                   for _ in range(8)]
        for caller in callers:  # go, all at once (each is blocked on its stdin)
            caller.stdin.write(b"g")
            caller.stdin.flush()
        assert [caller.wait(timeout=120) for caller in callers] == [0] * 8
        # every caller returned only once an agent had recorded itself: no waiting needed here
        recorded = agent.agent_identity(git_repo)
        assert recorded is not None
        assert [p.pid for p in agent_processes(git_repo)] == [recorded["pid"]]
    finally:
        stop_everything(git_repo)


def test_a_stale_record_is_not_a_running_agent(git_repo):
    state_dir(git_repo).mkdir(mode=0o700)
    lock = state_dir(git_repo) / agent.LOCK_NAME
    lock.write_text(json.dumps({"pid": os.getpid(), "ctime": 12345.0}))  # our PID, another start time
    assert not agent.agent_running(git_repo)
    try:
        agent.ensure_agent(git_repo)
        assert agent.agent_identity(git_repo)["pid"] != os.getpid()
        # probing never takes the agent's lock, so probing while it runs leaves it running
        assert all(agent.agent_running(git_repo) for _ in range(50))
        assert len(agent_processes(git_repo)) == 1
    finally:
        stop_everything(git_repo)
    assert not agent.agent_running(git_repo) and agent_processes(git_repo) == []


def quick_sweep(repo):
    """A one-job sweep of job.py."""
    return write_sweep(repo, '''
        name = "quick"
        command = ["python", "job.py"]
        [grid]
        i = [0]
    ''')


def test_launches_racing_an_exiting_agent_all_finish(git_repo, monkeypatch):
    """With no idle grace the agent exits the moment nothing is active, so each launch races its exit."""
    from snaptui.engine.api import Engine

    monkeypatch.setenv("SNAPTUI_AGENT_IDLE_S", "0")
    engine = Engine(git_repo)
    path = quick_sweep(git_repo)
    try:
        for _ in range(6):
            sweep = engine.launch(engine.plan(path, no_snapshot=True))
            # needs an agent to start and finish the job
            assert wait_sweep_done(engine, sweep.id, 60).counts == {JobState.COMPLETED: 1}
        assert len(agent_processes(git_repo)) <= 1
    finally:
        stop_everything(git_repo)


def test_a_launch_rings_the_sleeping_agent_which_starts_its_job_at_once(git_repo, monkeypatch):
    """Between ticks the agent sleeps; a launch rings its bell (agent.bell) and the job starts then, not at
    the next tick. The tick is an hour here: before the bell, the second sweep's job waited for it."""
    from snaptui.engine.api import Engine

    monkeypatch.setenv("SNAPTUI_AGENT_TICK_S", "3600")
    engine = Engine(git_repo)
    path = quick_sweep(git_repo)
    try:
        first = engine.launch(engine.plan(path, no_snapshot=True))   # starts the agent, whose first tick starts it
        assert wait_sweep_done(engine, first.id, 60).counts == {JobState.COMPLETED: 1}
        # the job's end woke the agent (its worker said so), which recorded it and went back to sleep for the hour
        second = engine.launch(engine.plan(path, no_snapshot=True))
        assert wait_sweep_done(engine, second.id, 60).counts == {JobState.COMPLETED: 1}
        assert len(agent_processes(git_repo)) == 1
    finally:
        stop_everything(git_repo)
