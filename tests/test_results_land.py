"""Issue 12, items 1-3: results land in the repository and gc never deletes what a job wrote or
a snapshot a live job of any worktree uses. Real git repositories, real local jobs."""
from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from snaptui.engine.api import Engine
from snaptui.engine.snapshot.housekeeping import gc
from tests.conftest import git, run_cli, stop_everything, wait_sweep_done, wait_until, write_sweep

pytestmark = pytest.mark.timeout(180)

RESULT_DIRS = (".snaptui", ".submitit", "outputs", "multirun")


def user_state(repo: Path) -> dict:
    """What the user owns: HEAD, branch, index bytes, stash, and every file with its content."""
    files = {}
    for path in sorted(repo.rglob("*")):
        rel = path.relative_to(repo)
        if rel.parts[0] == ".git" or set(rel.parts) & set(RESULT_DIRS) or not path.is_file():
            continue
        files[rel.as_posix()] = hashlib.sha1(path.read_bytes()).hexdigest()
    index = Path(git(repo, "rev-parse", "--git-path", "index").strip())
    index = index if index.is_absolute() else repo / index
    return {"head": git(repo, "rev-parse", "HEAD"), "branch": git(repo, "symbolic-ref", "-q", "HEAD"),
            "index": hashlib.sha1(index.read_bytes()).hexdigest(), "stash": git(repo, "stash", "list"),
            "files": files}


def unchanged(before: dict, after: dict) -> bool:
    """Nothing the user had is lost or modified (new result files may appear)."""
    return {k: v for k, v in before.items() if k != "files"} == {k: v for k, v in after.items() if k != "files"} \
        and all(after["files"].get(k) == v for k, v in before["files"].items())


@pytest.fixture
def repo(git_repo):
    (git_repo / "exp").mkdir()
    (git_repo / "exp" / "keep.txt").write_text("the user's notes\n")
    git(git_repo, "add", "-A")
    git(git_repo, "commit", "-qm", "experiment folder")
    (git_repo / "scratch.txt").write_text("uncommitted, untracked\n")
    git(git_repo, "stash", "list")
    yield git_repo
    stop_everything(git_repo)


def test_a_sweep_file_in_a_subfolder_writes_its_outputs_into_the_repository(repo):
    (repo / "exp" / "outputs").mkdir()  # there already: linked, so jobs write into it live
    engine, before = Engine(repo), user_state(repo)
    sweep = engine.launch(engine.plan(write_sweep(repo / "exp", '''
        name = "sub"
        command = ["sh", "-c", "mkdir -p outputs && echo $0 > outputs/$0.txt", "{i}"]
        override_style = "placeholder"
        [grid]
        i = ["a", "b"]
    ''', name="s.toml")))
    wait_sweep_done(engine, sweep.id)
    worktree = Path(sweep.snapshot["worktree"])
    assert (worktree / "exp" / "outputs").is_symlink()
    assert os.readlink(worktree / "exp" / "outputs") == str(repo / "exp" / "outputs")
    assert sorted(p.name for p in (repo / "exp" / "outputs").iterdir()) == ["a.txt", "b.txt"]
    done = run_cli(["snapshots", "gc", "--older-than", "0s"], cwd=repo)
    assert done.returncode == 0, done.stdout + done.stderr
    assert not worktree.exists()
    assert (repo / "exp" / "outputs" / "a.txt").read_text() == "a\n"  # nothing lost with the worktree
    assert unchanged(before, user_state(repo))


def test_outputs_a_sweep_in_a_subfolder_makes_land_in_the_repository_when_its_jobs_end(repo):
    engine, before = Engine(repo), user_state(repo)
    sweep = engine.launch(engine.plan(write_sweep(repo / "exp", '''
        name = "sub"
        command = ["sh", "-c", "mkdir -p outputs && echo $0 > outputs/$0.txt", "{i}"]
        override_style = "placeholder"
        [grid]
        i = ["a", "b"]
    ''', name="s.toml")))
    wait_sweep_done(engine, sweep.id)
    assert sorted(p.name for p in (repo / "exp" / "outputs").iterdir()) == ["a.txt", "b.txt"]
    assert not (repo / "outputs").exists()  # no empty folder where no job wrote
    assert unchanged(before, user_state(repo))


def test_files_a_job_writes_into_the_worktree_are_in_the_repository_when_it_ends(repo):
    engine, before = Engine(repo), user_state(repo)
    sweep = engine.launch(engine.plan(write_sweep(repo, '''
        name = "stray"
        command = ["sh", "-c", "mkdir -p wandb/run-1 && echo metrics > wandb/run-1/log.txt && echo 0.5 > best.txt"]
    ''')))
    wait_sweep_done(engine, sweep.id)
    worktree = Path(sweep.snapshot["worktree"])
    assert (repo / "wandb" / "run-1" / "log.txt").read_text() == "metrics\n"
    assert (repo / "best.txt").read_text() == "0.5\n"
    dry = run_cli(["snapshots", "gc", "--older-than", "0s", "--dry-run"], cwd=repo).stdout
    assert "would move" not in dry  # nothing left to land
    done = run_cli(["snapshots", "gc", "--older-than", "0s"], cwd=repo)
    assert done.returncode == 0, done.stdout + done.stderr
    assert (repo / "wandb" / "run-1" / "log.txt").read_text() == "metrics\n"
    assert (repo / "best.txt").read_text() == "0.5\n"
    assert not worktree.exists()
    assert unchanged(before, user_state(repo))


def test_gc_keeps_a_worktree_whose_file_cannot_be_put_in_the_repository_and_names_it(repo):
    engine = Engine(repo)
    sweep = engine.launch(engine.plan(write_sweep(repo, '''
        name = "clash"
        command = ["true"]
    ''')))
    wait_sweep_done(engine, sweep.id)
    worktree = Path(sweep.snapshot["worktree"])
    (worktree / "exp" / "keep.txt.d").mkdir()
    (worktree / "exp" / "keep.txt.d" / "r.txt").write_text("from-the-job\n")
    (worktree / "scratch.txt").unlink()
    (worktree / "scratch.txt").mkdir()  # the repository's scratch.txt is a file: nothing can land under it
    (worktree / "scratch.txt" / "r.txt").write_text("from-the-job\n")
    before = user_state(repo)
    done = run_cli(["snapshots", "gc", "--older-than", "0s", "--branches"], cwd=repo)
    assert done.returncode == 1
    assert f"kept worktree {worktree}" in done.stdout and "scratch.txt/r.txt" in done.stdout
    assert (worktree / "scratch.txt" / "r.txt").read_text() == "from-the-job\n"  # the job's file is still there
    assert sweep.snapshot["branch"] in git(repo, "branch", "--list", "snaptui/*")
    assert (repo / "exp" / "keep.txt.d" / "r.txt").read_text() == "from-the-job\n"  # what could land, landed
    after = user_state(repo)
    after["files"].pop("exp/keep.txt.d/r.txt")
    assert after == before  # the user's scratch.txt is not overwritten


def test_outputs_that_are_a_symlink_to_scratch_are_followed(repo, tmp_path):
    scratch = tmp_path / "scratch" / "outputs"
    scratch.mkdir(parents=True)
    os.symlink(scratch, repo / "outputs")
    engine, before = Engine(repo), user_state(repo)
    sweep = engine.launch(engine.plan(write_sweep(repo, '''
        name = "scratch"
        command = ["sh", "-c", "mkdir -p outputs/run && echo done > outputs/run/r.txt"]
    ''')))
    wait_sweep_done(engine, sweep.id)
    assert (scratch / "run" / "r.txt").read_text() == "done\n"
    assert os.readlink(Path(sweep.snapshot["worktree"]) / "outputs") == str(repo / "outputs")
    gc(engine, older_than_s=0)
    assert (scratch / "run" / "r.txt").read_text() == "done\n"
    assert unchanged(before, user_state(repo))


def test_gc_in_one_worktree_spares_a_snapshot_a_sweep_of_a_linked_worktree_runs_on(repo, tmp_path):
    linked = tmp_path / "linked"
    git(repo, "worktree", "add", "-q", str(linked), "-b", "feature")
    main_before = user_state(repo)
    there = Engine(linked)
    try:
        running = there.launch(there.plan(write_sweep(linked, 'name = "long"\ncommand = ["sleep", "120"]\n')))
        wait_until(lambda: there.jobs(running.id)[0].state.value == "RUNNING", message="the job to run")
        here = Engine(repo)
        finished = here.launch(here.plan(write_sweep(repo, 'name = "quick"\ncommand = ["true"]\n')))
        wait_sweep_done(here, finished.id)
        listing = run_cli(["snapshots"], cwd=repo).stdout
        assert running.snapshot["branch"] in listing
        removed = gc(here, older_than_s=0, delete_branches=True)
        assert f"branch {finished.snapshot['branch']}" in removed
        assert not any(running.snapshot["branch"] in line for line in removed)
        assert Path(running.snapshot["worktree"]).is_dir()
        assert running.snapshot["branch"] in git(repo, "branch", "--list", "snaptui/*")
        assert there.jobs(running.id)[0].state.value == "RUNNING"
    finally:
        stop_everything(linked)
    assert unchanged(main_before, user_state(repo))


def test_files_a_linked_worktrees_job_wrote_land_in_that_worktree(repo, tmp_path):
    linked = tmp_path / "linked"
    git(repo, "worktree", "add", "-q", str(linked), "-b", "feature")
    main_before = user_state(repo)
    there = Engine(linked)
    try:
        sweep = there.launch(there.plan(write_sweep(linked, '''
            name = "stray"
            command = ["sh", "-c", "mkdir -p outputs && echo r > outputs/r.txt && echo s > stray.txt"]
        ''')))
        wait_sweep_done(there, sweep.id)
    finally:
        stop_everything(linked)
    assert (linked / "stray.txt").read_text() == "s\n" and (linked / "outputs" / "r.txt").read_text() == "r\n"
    (Path(sweep.snapshot["worktree"]) / "late.txt").write_text("l\n")  # as a job killed before landing leaves
    notes: list[str] = []
    removed = gc(Engine(repo), older_than_s=0, notes=notes)  # gc from the main worktree
    assert f"worktree {sweep.snapshot['worktree']} ({sweep.snapshot['branch']})" in removed
    assert any(f"moved late.txt back into {linked}" in n for n in notes), notes
    assert (linked / "late.txt").read_text() == "l\n" and not (repo / "late.txt").exists()
    assert not (repo / "stray.txt").exists() and not Path(sweep.snapshot["worktree"]).exists()
    assert unchanged(main_before, user_state(repo))
