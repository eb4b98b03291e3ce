"""Launches go through snapshots: jobs run the launched code, failures leave nothing, housekeeping is safe."""
from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from snaptui.engine.api import Engine
from snaptui.engine.errors import SnaptuiError
from tests.conftest import git, run_cli, wait_sweep_done, write_sweep

pytestmark = pytest.mark.timeout(180)

VALUE_JOB = '''
    name = "value"
    command = ["python", "show_value.py"]
    [grid]
    i = [0, 1]
'''


@pytest.fixture
def value_repo(git_repo):
    (git_repo / "mylib.py").write_text("VALUE = 'launched'\n")
    (git_repo / "show_value.py").write_text(textwrap.dedent('''\
        import sys, time
        time.sleep(1.5)
        import mylib
        print("value:", mylib.VALUE, "file:", mylib.__file__, flush=True)
    '''))
    git(git_repo, "add", "-A")
    git(git_repo, "commit", "-qm", "value job")
    return git_repo


def refs(repo: Path) -> tuple[str, str]:
    return git(repo, "for-each-ref", "--format=%(refname)"), git(repo, "worktree", "list", "--porcelain")


def test_jobs_run_the_code_as_it_was_at_launch_even_when_edited_while_queued(value_repo):
    engine = Engine(value_repo)
    (value_repo / "mylib.py").write_text("VALUE = 'uncommitted edit at launch'\n")  # dirty, not committed
    sweep = engine.launch(engine.plan(write_sweep(value_repo, VALUE_JOB), sets=["max_parallel_jobs=1"]))
    (value_repo / "mylib.py").write_text("VALUE = 'edited after launch'\n")  # job 1 is still queued
    wait_sweep_done(engine, sweep.id)
    worktree = Path(sweep.snapshot["worktree"])
    for job in engine.jobs(sweep.id):
        log = engine.log_paths(job)[0].read_text()
        assert "value: uncommitted edit at launch" in log
        assert f"file: {worktree}/mylib.py" in log
    assert (value_repo / "mylib.py").read_text() == "VALUE = 'edited after launch'\n"  # the user's file untouched
    assert sweep.snapshot["branch"].startswith("snaptui/") and sweep.snapshot["dirty"]
    assert git(value_repo, "show", f"{sweep.snapshot['commit']}:mylib.py") == "VALUE = 'uncommitted edit at launch'\n"


def test_outputs_land_in_the_original_repository_through_the_symlinks(value_repo):
    engine = Engine(value_repo)
    sweep = engine.launch(engine.plan(write_sweep(value_repo, '''
        name = "out"
        command = ["sh", "-c", "mkdir -p outputs && echo $0 > outputs/$0.txt", "{i}"]
        override_style = "placeholder"
        [grid]
        i = ["a", "b"]
    ''')))
    wait_sweep_done(engine, sweep.id)
    assert sorted(p.name for p in (value_repo / "outputs").iterdir()) == ["a.txt", "b.txt"]
    worktree = Path(sweep.snapshot["worktree"])
    assert (worktree / ".submitit").is_symlink()  # outputs/ did not exist: made by the jobs, landed as they ended
    job = engine.jobs(sweep.id)[0]
    assert Path(job.attempt.log_dir).parent == value_repo / ".submitit"


def test_the_manifest_records_the_snapshot_and_show_prints_it(value_repo):
    engine = Engine(value_repo)
    sweep = engine.launch(engine.plan(write_sweep(value_repo, VALUE_JOB)))
    wait_sweep_done(engine, sweep.id)
    shown = json.loads(run_cli(["show", f"{sweep.id}/1"], cwd=value_repo).stdout)
    assert shown["snapshot"]["commit"] == sweep.snapshot["commit"]
    assert shown["snapshot"]["branch"] == sweep.snapshot["branch"]
    assert shown["cwd"] == sweep.snapshot["worktree"] and shown["host"] and shown["executor_id"]
    assert shown["exit_code"] == 0 and shown["ended_at"] >= shown["started_at"]


def test_reproduce_reruns_a_job_from_its_snapshot(value_repo):
    engine = Engine(value_repo)
    sweep = engine.launch(engine.plan(write_sweep(value_repo, VALUE_JOB)))
    wait_sweep_done(engine, sweep.id)
    (value_repo / "mylib.py").write_text("VALUE = 'later'\n")
    result = run_cli(["reproduce", f"{sweep.id}/0"], cwd=value_repo)
    assert result.returncode == 0
    assert "value: launched" in result.stdout and f"from snapshot {sweep.snapshot['branch']}" in result.stdout


def test_a_failed_snapshot_aborts_the_launch_and_leaves_nothing(value_repo):
    blocker = value_repo.parent / "not-a-dir"
    blocker.write_text("a file where the worktree root should be")
    before = refs(value_repo)
    write_sweep(value_repo, VALUE_JOB)
    result = run_cli(["--batch", "sweep.toml", "--set", f"snapshot.worktree_root={json.dumps(str(blocker))}"],
                     cwd=value_repo)
    assert result.returncode != 0 and "Traceback" not in result.stderr
    assert refs(value_repo) == before
    # the launch was recorded before the snapshot failed, so the store exists; the record is gone
    assert (value_repo / ".snaptui" / "state.db").exists()
    assert Engine(value_repo).store.sweeps(statuses=("active", "launching")) == []


def test_a_launch_failing_after_the_snapshot_removes_the_snapshot(value_repo):
    before = refs(value_repo)
    write_sweep(value_repo, 'name = "bad"\ncommand = ["python", "not_here.py"]\n')
    result = run_cli(["--batch", "sweep.toml"], cwd=value_repo)
    assert result.returncode == 2 and "'not_here.py' does not exist in the code to run" in result.stderr
    assert refs(value_repo) == before


def test_no_snapshot_runs_in_the_repository_and_says_so(value_repo):
    engine = Engine(value_repo)
    sweep = engine.launch(engine.plan(write_sweep(value_repo, VALUE_JOB), no_snapshot=True))
    assert sweep.snapshot is None and sweep.workdir == str(value_repo)
    wait_sweep_done(engine, sweep.id)
    assert f"file: {value_repo}/mylib.py" in engine.log_paths(engine.jobs(sweep.id)[0])[0].read_text()


def test_snapshots_listing_and_gc_spare_what_live_jobs_use(value_repo):
    engine = Engine(value_repo)
    finished = engine.launch(engine.plan(write_sweep(value_repo, VALUE_JOB)))
    wait_sweep_done(engine, finished.id)
    running = engine.launch(engine.plan(write_sweep(value_repo, 'name = "long"\ncommand = ["sleep", "60"]\n')))
    listing = run_cli(["snapshots"], cwd=value_repo).stdout
    assert finished.snapshot["branch"] in listing and running.snapshot["branch"] in listing
    dry = run_cli(["snapshots", "gc", "--older-than", "0s", "--dry-run"], cwd=value_repo).stdout
    assert f"would remove worktree {finished.snapshot['worktree']}" in dry
    assert running.snapshot["worktree"] not in dry
    assert Path(finished.snapshot["worktree"]).is_dir()
    run_cli(["snapshots", "gc", "--older-than", "0s"], cwd=value_repo)
    assert not Path(finished.snapshot["worktree"]).exists()
    assert Path(running.snapshot["worktree"]).is_dir()
    assert finished.snapshot["branch"] in git(value_repo, "branch", "--list", "snaptui/*")
    # a resubmit after gc checks the same commit out again and runs it
    engine.resubmit([engine.jobs(finished.id)[0]])
    wait_sweep_done(engine, finished.id)
    assert "value: launched" in engine.log_paths(engine.jobs(finished.id)[0])[0].read_text()
    engine.cancel_sweep(running.id)


def test_age_parsing_is_strict():
    from snaptui.engine.snapshot.housekeeping import parse_age
    assert parse_age("14d") == 14 * 86400 and parse_age("12h") == 43200 and parse_age("2") == 172800
    with pytest.raises(SnaptuiError, match="write a number with a unit"):
        parse_age("two weeks")


def test_a_sweep_file_in_a_subfolder_runs_its_command_there(value_repo):
    experiment = value_repo / "experiments" / "lr"
    experiment.mkdir(parents=True)
    (experiment / "here.py").write_text("import os\nprint('cwd:', os.getcwd())\n")
    engine = Engine(value_repo)
    sweep = engine.launch(engine.plan(write_sweep(experiment, 'name = "sub"\ncommand = ["python", "here.py"]\n')))
    wait_sweep_done(engine, sweep.id)
    log = engine.log_paths(engine.jobs(sweep.id)[0])[0].read_text()
    assert f"cwd: {sweep.snapshot['worktree']}/experiments/lr" in log
    assert sweep.spec["workdir"] == "experiments/lr"
