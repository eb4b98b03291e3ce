"""Every finished attempt has one cause a person understands, the same in status, results, show and --batch
(issue 27, item 1); the Slurm causes are checked on sacct's own lines in test_slurm_parsing.py."""
from __future__ import annotations

import json
import os
import signal
import textwrap

from snaptui.engine.states import Cause, JobState
from snaptui.engine.views import cause_summary
from tests.conftest import run_cli, wait_sweep_done, wait_until, write_sweep

FAILING = textwrap.dedent('''\
    import sys, time
    args = dict(a.split("=", 1) for a in sys.argv[1:])
    print("working", flush=True)
    kind = args["kind"]
    if kind == "raise":
        raise ValueError("lr must be positive, got -1")
    if kind in ("sleep", "killed"):
        time.sleep(120)
    sys.exit(0)
''')


def test_each_end_has_its_cause_in_status_results_show_and_the_summary(engine, git_repo):
    (git_repo / "fail.py").write_text(FAILING)
    path = write_sweep(git_repo, '''
        name = "causes"
        command = ["python", "fail.py"]
        [grid]
        kind = ["ok", "raise", "sleep", "killed", "cancelled"]
    ''')
    sweep = engine.launch(engine.plan(path, profile="local", sets=["timeout_min=0.05", "max_parallel_jobs=5"]))
    jobs = {j.params["kind"]: j for j in engine.jobs(sweep.id)}
    cancelled = jobs["cancelled"]
    engine.cancel([cancelled])
    killed = wait_until(lambda: (engine.manifest(engine.jobs(sweep.id)[3]) or {}).get("command"),
                        message="the job to be killed to start")
    os.killpg(killed["pgid"], signal.SIGKILL)   # from outside snaptui: not a cancel
    wait_sweep_done(engine, sweep.id)
    done = {j.params["kind"]: j.attempt for j in engine.jobs(sweep.id)}

    assert (done["ok"].state, done["ok"].cause, done["ok"].exit_code) == (JobState.COMPLETED, Cause.COMPLETED, 0)
    assert (done["raise"].state, done["raise"].cause_label, done["raise"].exit_code) == (JobState.FAILED, "exit 1", 1)
    assert done["raise"].cause_text == "exit 1: ValueError: lr must be positive, got -1"
    assert (done["sleep"].state, done["sleep"].cause_label, done["sleep"].exit_code) == \
        (JobState.TIMEOUT, "TIMEOUT", None)
    assert (done["killed"].state, done["killed"].cause_label) == (JobState.FAILED, "signal 9")
    assert (done["cancelled"].state, done["cancelled"].cause_label, done["cancelled"].exit_code) == \
        (JobState.CANCELLED, "cancelled by snaptui", None)
    summary = cause_summary(engine.jobs(sweep.id))
    assert summary == "1 TIMEOUT, 1 cancelled by snaptui, 1 exit 1, 1 signal 9"

    status = run_cli(["status", str(sweep.id)], cwd=git_repo)
    assert f"({summary})" in status.stdout
    assert "exit 1: ValueError: lr must be positive" in status.stdout
    timeout_row = next(line for line in status.stdout.splitlines() if "kind=sleep" in line)
    assert "TIMEOUT" in timeout_row and timeout_row.rstrip().endswith("-")   # no exit code for a timeout
    rows = {r["kind"]: r for r in json.loads(run_cli(["results", str(sweep.id), "--json"], cwd=git_repo).stdout)}
    assert rows["sleep"]["cause"] == "TIMEOUT" and rows["cancelled"]["cause"] == "cancelled by snaptui"
    shown = json.loads(run_cli(["show", f"{sweep.id}/2"], cwd=git_repo).stdout)
    assert (shown["state"], shown["exit_code"], shown["cause"]) == ("TIMEOUT", None, "TIMEOUT")
    shown = json.loads(run_cli(["show", f"{sweep.id}/4"], cwd=git_repo).stdout)
    assert (shown["state"], shown["exit_code"]) == ("CANCELLED", None)


def test_batch_names_each_failure_s_cause_and_sums_them_up(git_repo):
    (git_repo / "fail.py").write_text(FAILING)
    write_sweep(git_repo, '''
        name = "why"
        command = ["python", "fail.py"]
        [grid]
        kind = ["ok", "raise"]
    ''')
    result = run_cli(["--batch", "sweep.toml"], cwd=git_repo)
    assert result.returncode == 1
    assert "exit 1: ValueError: lr must be positive, got -1" in result.stdout
    assert "why: 1 exit 1" in result.stdout
