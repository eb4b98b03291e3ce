"""The resubmit dialog in a real terminal (issue 27, item 2): a sweep with 2 TIMEOUT jobs and 1 exit-1 job; `R`
shows the two causes and a suggested time limit; `y` runs the timed-out jobs again with it (the exit-1 job,
whose code would fail the same way, is not ticked)."""
from __future__ import annotations

import shutil
import textwrap

import pytest

from snaptui.engine.states import JobState
from test_smoke_tmux import BINARY, Tmux
from tests.conftest import wait_sweep_done, wait_until, write_sweep

pytestmark = [pytest.mark.slow, pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")]

SLOW = textwrap.dedent('''\
    import sys, time
    args = dict(a.split("=", 1) for a in sys.argv[1:])
    if args["kind"] == "raise":
        raise SystemExit("no data in data/")
    time.sleep(4)
''')


def test_r_resubmits_the_timed_out_jobs_with_the_suggested_time(engine, git_repo):
    (git_repo / "slow.py").write_text(SLOW)
    path = write_sweep(git_repo, '''
        name = "late"
        command = ["python", "slow.py"]
        [[zip]]
        kind = ["sleep", "sleep", "raise"]
        n = [1, 2, 3]
    ''')
    sweep = engine.launch(engine.plan(path, profile="local", sets=["timeout_min=0.04"]))   # 2.4 s
    assert wait_sweep_done(engine, sweep.id).counts == {JobState.TIMEOUT: 2, JobState.FAILED: 1}
    term = Tmux(git_repo, size=(110, 34))
    try:
        term.start(f"{BINARY}")
        term.wait_for("late")
        term.keys("Enter")
        term.wait_for("3/3 done")
        term.keys("R")
        text = term.wait_for("Resubmit jobs of sweep")
        assert "2 TIMEOUT: " in text and "1 exit 1: " in text, text
        assert "timeout_min (min)" in text and "was 0.04" in text, text
        field = next(line for line in text.splitlines() if "timeout_min (min)" in line)
        assert " 1 " in field.split("timeout_min (min)")[1], field   # twice 0.04 min, in whole minutes
        term.keys("y")
        wait_until(lambda: [len(engine.attempts(j)) for j in engine.jobs(sweep.id)] == [2, 2, 1], 30,
                   message="the two TIMEOUT jobs resubmitted")
    finally:
        term.kill()
    done = wait_sweep_done(engine, sweep.id)
    jobs = engine.jobs(sweep.id)
    assert done.counts == {JobState.COMPLETED: 2, JobState.FAILED: 1}
    assert [j.attempt.changes.get("set") for j in jobs[:2]] == [{"timeout_min": 1}] * 2
    assert jobs[2].attempt.number == 1
