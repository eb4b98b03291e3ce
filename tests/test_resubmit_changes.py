"""Resubmit with changes (issue 27, item 2): the jobs a filter picks get a new attempt on the same snapshot
with the changed resources, recorded on the attempt and in its manifest; `cancel` takes the same filters.
On Slurm: test_slurm_truth.py."""
from __future__ import annotations

import json
import textwrap

from snaptui.engine.states import JobState
from tests.conftest import run_cli, wait_sweep_done, write_sweep

SLOW = textwrap.dedent('''\
    import sys, time
    args = dict(a.split("=", 1) for a in sys.argv[1:])
    if args["kind"] == "raise":
        raise SystemExit("no data in data/")
    time.sleep(float(args.get("sleep", 4)))
''')


def launch_mixed(engine, git_repo):
    (git_repo / "slow.py").write_text(SLOW)
    path = write_sweep(git_repo, '''
        name = "mixed"
        command = ["python", "slow.py"]
        [[zip]]
        kind = ["sleep", "sleep", "raise"]
        lr = [0.1, 0.001, 0.1]
    ''')
    sweep = engine.launch(engine.plan(path, profile="local", sets=["timeout_min=0.04"]))   # 2.4 s
    return wait_sweep_done(engine, sweep.id)


def test_resubmit_the_timed_out_jobs_with_more_time_on_the_same_snapshot(engine, git_repo):
    sweep = launch_mixed(engine, git_repo)
    assert sweep.counts == {JobState.TIMEOUT: 2, JobState.FAILED: 1}
    before = {j.index: j.attempt for j in engine.jobs(sweep.id)}

    result = run_cli(["resubmit", str(sweep.id), "--state", "timeout", "--set", "timeout_min=0.5",
                      "--why", "more time"], cwd=git_repo)
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("with timeout_min=0.5 (was 0.04)") == 2 and f"{sweep.id}/2" not in result.stdout
    done = wait_sweep_done(engine, sweep.id)
    jobs = engine.jobs(sweep.id)
    assert [j.state for j in jobs] == [JobState.COMPLETED, JobState.COMPLETED, JobState.FAILED]
    assert jobs[2].attempt.id == before[2].id   # not chosen: untouched
    again = jobs[0].attempt
    assert again.number == 2 and again.changes == {"set": {"timeout_min": 0.5}, "was": {"timeout_min": 0.04},
                                                   "after": "TIMEOUT", "why": "more time"}
    manifest = engine.manifest(jobs[0])
    assert manifest["resubmitted_with"] == again.changes and manifest["config"]["executor"]["timeout_min"] == 0.5
    assert manifest["snapshot"]["commit"] == done.snapshot["commit"]   # the same code
    assert engine.attempts(jobs[0])[0].cause == "TIMEOUT"   # the first attempt kept as it ended
    shown = json.loads(run_cli(["show", jobs[0].ref], cwd=git_repo).stdout)
    assert shown["resubmitted_with"]["set"] == {"timeout_min": 0.5}

    # a plain resubmission keeps the job's resources as they were last
    run_cli(["resubmit", jobs[1].ref], cwd=git_repo)
    assert engine.attempts(engine.jobs(sweep.id)[1])[-1].changes == {"set": {"timeout_min": 0.5}}


def test_filters_pick_the_jobs_and_bad_changes_are_refused_with_nothing_done(engine, git_repo):
    sweep = launch_mixed(engine, git_repo)
    attempts = lambda: sum(len(engine.attempts(j)) for j in engine.jobs(sweep.id))   # noqa: E731
    for args, said in [(["--set", "executor=slurm"], "executor: is the sweep's, not a job's"),
                       (["--set", "timeout_mn=3"], "did you mean 'timeout_min'?"),
                       (["--set", "timeout_min=-1"], "timeout_min"),
                       (["--state", "TIMEOUTS"], "--state: 'TIMEOUTS' is neither a state nor a cause"),
                       (["--where", "lr"], "--where: 'lr' must look like name=value")]:
        result = run_cli(["resubmit", str(sweep.id), *args], cwd=git_repo)
        assert result.returncode == 2 and said in result.stderr, (args, result.stderr)
    refused = run_cli(["--profile", "slurm", "resubmit", str(sweep.id)], cwd=git_repo)
    assert refused.returncode == 2 and "keeps its sweep's profile" in refused.stderr
    assert attempts() == 3

    chosen = run_cli(["--set", "timeout_min=0.5", "resubmit", str(sweep.id), "--where", "lr=1e-3"], cwd=git_repo)
    assert chosen.returncode == 0 and chosen.stdout.count("resubmitted") == 1 and "lr=0.001" in chosen.stdout
    by_exit = run_cli(["resubmit", str(sweep.id), "--state", "exit 1"], cwd=git_repo)
    assert by_exit.stdout.count("resubmitted") == 1 and "kind=raise" in by_exit.stdout
    assert attempts() == 5
    cancelled = run_cli(["cancel", str(sweep.id), "--where", "kind=sleep", "--state", "PENDING,RUNNING"], cwd=git_repo)
    assert cancelled.returncode == 0 and cancelled.stdout.count("cancelled") <= 1
    nothing = run_cli(["cancel", str(sweep.id), "--where", "lr=7"], cwd=git_repo)
    assert "nothing to cancel: no job matches --where lr=7" in nothing.stdout
    wait_sweep_done(engine, sweep.id)
