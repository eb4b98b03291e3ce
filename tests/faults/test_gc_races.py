"""`snapshots gc` racing launches and resubmits: gc never takes a snapshot a launch is making."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from snaptui.engine.api import Engine
from snaptui.engine.states import JobState
from tests.conftest import git, run_cli, stop_everything, wait_sweep_done, write_sweep

pytestmark = pytest.mark.timeout(600)


def start_cli(args: list[str], cwd: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "snaptui", *args], cwd=cwd, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


@pytest.fixture
def repo(git_repo):
    write_sweep(git_repo, 'name = "a"\ncommand = ["python", "job.py"]\n', "a.toml")
    write_sweep(git_repo, 'name = "b"\ncommand = ["python", "job.py"]\n', "b.toml")
    yield git_repo
    stop_everything(git_repo)


def test_gc_racing_two_launches_never_takes_their_snapshots(repo, report):
    """20 trials: two launches and a `gc --older-than 0s` started together. Every launch succeeds, keeps its
    worktree and branch, and its job completes; gc removes only what earlier, finished sweeps left."""
    trials, failures = 20, []
    for trial in range(trials):
        procs = [start_cli(["launch", "a.toml"], repo), start_cli(["launch", "b.toml"], repo),
                 start_cli(["snapshots", "gc", "--older-than", "0s"], repo)]
        outs = [(p.wait(timeout=120), *p.communicate()) for p in procs]
        for code, out, err in outs[:2]:
            if code != 0:
                failures.append(f"trial {trial}: launch exit {code}: {err.strip()[-200:]}")
                continue
            sweep_id = int(out.strip().splitlines()[-1])
            engine = Engine(repo)
            snapshot = engine.sweep(sweep_id).snapshot
            if not Path(snapshot["worktree"]).is_dir() and engine.sweep(sweep_id).is_active:
                failures.append(f"trial {trial}: sweep {sweep_id}'s worktree removed while it runs")
            if not git(repo, "branch", "--list", snapshot["branch"]).strip():
                failures.append(f"trial {trial}: sweep {sweep_id}'s branch deleted")
            done = wait_sweep_done(engine, sweep_id, 60)
            if done.counts != {JobState.COMPLETED: 1}:
                failures.append(f"trial {trial}: sweep {sweep_id} ended {done.counts}")
        if outs[2][0] != 0:
            failures.append(f"trial {trial}: gc exit {outs[2][0]}: {outs[2][2].strip()[-200:]}")
    assert failures == [], "\n".join(failures)
    report("snapshots gc --older-than 0s racing two launches, 20 times",
           f"{2 * trials}/{2 * trials} launches kept their snapshot and completed; gc waited for them (gc lock)")


def test_gc_racing_a_resubmit_never_takes_the_worktree_it_restores(repo, report):
    """A resubmit puts a removed worktree back, then records the new attempts: a gc in between saw the
    worktree unused. 5 trials with gc started alongside each resubmit."""
    engine = Engine(repo)
    first = run_cli(["--batch", "a.toml"], cwd=repo)
    assert first.returncode == 0, first.stderr
    failures = []
    for trial in range(5):
        run_cli(["snapshots", "gc", "--older-than", "0s"], cwd=repo)
        procs = [start_cli(["resubmit", "1"], repo), start_cli(["snapshots", "gc", "--older-than", "0s"], repo)]
        outs = [(p.wait(timeout=120), *p.communicate()) for p in procs]
        if outs[0][0] != 0:
            failures.append(f"trial {trial}: resubmit exit {outs[0][0]}: {outs[0][2].strip()[-200:]}")
            continue
        done = wait_sweep_done(engine, 1, 60)
        if done.counts != {JobState.COMPLETED: 1}:
            failures.append(f"trial {trial}: resubmitted job ended {done.counts} "
                            f"({engine.jobs(1)[0].attempt.reason})")
    assert failures == [], "\n".join(failures)
    report("snapshots gc racing a resubmit that restores the worktree, 5 times",
           "5/5 resubmitted jobs ran on their restored worktree and completed")
