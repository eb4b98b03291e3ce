"""A canary (issue 27, item 6): the first job runs alone; the others are submitted once it has run canary_s
seconds or completed, and none of them if it fails first (exit 1 in --batch, with its cause and last log
lines). On Slurm: test_slurm_truth.py."""
from __future__ import annotations

import textwrap

from snaptui.engine.states import JobState
from tests.conftest import run_cli, wait_sweep_done, write_sweep

CANARY_JOB = textwrap.dedent('''\
    import sys, time
    args = dict(a.split("=", 1) for a in sys.argv[1:])
    if args["i"] == "0" and args.get("broken") == "yes":
        print("loading data/train.bin", flush=True)
        raise FileNotFoundError("data/train.bin")
    time.sleep(float(args.get("sleep", 0)))
''')


def sweep_file(repo, broken: str, sleep: float) -> None:
    (repo / "canary.py").write_text(CANARY_JOB)
    write_sweep(repo, f'''
        name = "canary"
        command = ["python", "canary.py", "broken={broken}", "sleep={sleep}"]
        [grid]
        i = [0, 1, 2, 3]
    ''')


def test_a_canary_that_fails_first_keeps_every_other_job_from_being_submitted(engine, git_repo):
    sweep_file(git_repo, "yes", 0)
    result = run_cli(["--batch", "sweep.toml", "--canary=30"], cwd=git_repo)
    assert result.returncode == 1, result.stdout + result.stderr
    sweep = engine.sweeps()[0]
    assert "canary: job 1/0 runs first; the other 3 are submitted once it has run 30 s or completed" in result.stdout
    assert ("the canary 1/0 ended exit 1: FileNotFoundError: data/train.bin: the other 3 jobs were not "
            "submitted") in result.stdout
    assert "  | FileNotFoundError: data/train.bin" in result.stdout   # its log's last lines
    assert result.stdout.count("not submitted") == 1   # one line, not one per job held back
    jobs = engine.jobs(sweep.id)
    assert [j.state for j in jobs] == [JobState.FAILED] + [JobState.CANCELLED] * 3
    assert all(j.attempt.executor_id is None and j.attempt.cause == "not started" for j in jobs[1:])
    assert sweep.canary["state"] == "failed"


def test_the_others_start_once_the_canary_has_run_long_enough_or_completed(engine, git_repo):
    sweep_file(git_repo, "no", 3)
    sweep = engine.launch(engine.plan(git_repo / "sweep.toml", sets=["canary_s=1", "max_parallel_jobs=4"]))
    assert [j.attempt.held for j in engine.jobs(sweep.id)] == [False, True, True, True]
    done = wait_sweep_done(engine, sweep.id)
    assert done.counts == {JobState.COMPLETED: 4} and done.canary["state"] == "passed"
    jobs = engine.jobs(sweep.id)
    canary = jobs[0].attempt
    # none started before the canary had run 1 s; one did while it ran (this machine's [local] max_jobs, its
    # CPU count, may hold the others for a slot)
    assert all(canary.started_at + 1 <= j.attempt.started_at for j in jobs[1:])
    assert any(j.attempt.started_at < canary.ended_at for j in jobs[1:])

    sweep_file(git_repo, "no", 0)   # a canary that completes within its time lets the others go at once
    result = run_cli(["--batch", "sweep.toml", "--canary"], cwd=git_repo)
    assert result.returncode == 0 and "once it has run 60 s or completed" in result.stdout
