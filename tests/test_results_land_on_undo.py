"""Issue 12: undoing a launch never deletes what a job wrote into its worktree. `recover --abort`
and the rollback of a failed launch move such files back into the repository, as gc does, or keep
the worktree (and its branch) and name it. Real git repositories; the files a job would have
written are planted, since neither path gets as far as running a job."""
from __future__ import annotations

import signal
from pathlib import Path

import pytest

from snaptui.engine import api
from snaptui.engine.api import Engine
from snaptui.engine.errors import SnaptuiError
from tests.conftest import git, run_cli, write_sweep
from tests.test_results_land import repo, unchanged, user_state  # noqa: F401 (repo is a fixture)

pytestmark = pytest.mark.timeout(180)

SWEEP = 'name = "undone"\ncommand = ["sh", "-c", "true"]\n'


def snapshot_branches(repo: Path) -> list[str]:
    return git(repo, "branch", "--list", "--format=%(refname:short)", "snaptui/*").split()


def interrupted_launch(repo: Path) -> dict:
    """A launcher killed once its snapshot is recorded: `recover` finds it with its worktree."""
    write_sweep(repo, SWEEP)
    killed = run_cli(["launch", "sweep.toml"], cwd=repo, env={"SNAPTUI_FAULT_KILL_AT": "launch:code-recorded"})
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    (sweep,) = Engine(repo).store.sweeps(statuses=("launching",))
    assert Path(sweep.snapshot["worktree"]).is_dir()
    return sweep.snapshot


def plant(worktree: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        (worktree / rel).parent.mkdir(parents=True, exist_ok=True)
        (worktree / rel).write_text(text)


def test_recover_abort_moves_files_a_job_wrote_into_the_worktree_back_into_the_repository(repo):
    before = user_state(repo)
    snapshot = interrupted_launch(repo)
    worktree = Path(snapshot["worktree"])
    plant(worktree, {"wandb/run-1/log.txt": "metrics\n", "best.txt": "0.5\n"})
    undone = run_cli(["recover", "1", "--abort"], cwd=repo)
    assert undone.returncode == 0, undone.stderr
    assert "moved best.txt back into the repository" in undone.stdout
    assert "moved wandb/run-1/log.txt back into the repository" in undone.stdout
    assert f"removed snapshot {snapshot['branch']}" in undone.stdout
    assert (repo / "best.txt").read_text() == "0.5\n"
    assert (repo / "wandb" / "run-1" / "log.txt").read_text() == "metrics\n"
    assert not worktree.exists() and snapshot_branches(repo) == []
    assert Engine(repo).store.sweeps(statuses=("active", "launching")) == []
    assert unchanged(before, user_state(repo))


def test_recover_abort_keeps_the_users_changed_file_and_puts_the_jobs_copy_beside_it(repo):
    snapshot = interrupted_launch(repo)
    (repo / "scratch.txt").write_text("changed by the user after the launch\n")
    before = user_state(repo)
    worktree = Path(snapshot["worktree"])
    plant(worktree, {"scratch.txt": "from-the-job\n", "fresh.txt": "new\n"})
    undone = run_cli(["recover", "1", "--abort"], cwd=repo)
    assert undone.returncode == 0, undone.stderr
    copy = f"scratch~snaptui-{snapshot['branch'].rsplit('/', 1)[-1]}.txt"
    assert f"kept {copy} beside scratch.txt" in " ".join(undone.stdout.split())
    assert f"removed snapshot {snapshot['branch']}" in undone.stdout
    assert (repo / copy).read_text() == "from-the-job\n" and (repo / "fresh.txt").read_text() == "new\n"
    assert not worktree.exists() and snapshot_branches(repo) == []
    assert Engine(repo).store.sweeps(statuses=("active", "launching")) == []  # the record is gone
    after = user_state(repo)
    assert after["files"]["scratch.txt"] == before["files"]["scratch.txt"]  # the user's change stands


def test_recover_abort_keeps_and_names_a_worktree_whose_file_cannot_land(repo):
    snapshot = interrupted_launch(repo)
    worktree = Path(snapshot["worktree"])
    (worktree / "scratch.txt").unlink()
    plant(worktree, {"scratch.txt/r.txt": "from-the-job\n"})  # the repository's scratch.txt is a file
    before = user_state(repo)
    undone = run_cli(["recover", "1", "--abort"], cwd=repo)
    assert undone.returncode == 0, undone.stderr
    assert f"kept worktree {worktree}" in undone.stdout and "scratch.txt/r.txt" in undone.stdout
    assert f"branch {snapshot['branch']} kept" in undone.stdout
    assert "removed snapshot" not in undone.stdout
    assert (worktree / "scratch.txt" / "r.txt").read_text() == "from-the-job\n"
    assert snapshot_branches(repo) == [snapshot["branch"]]
    assert Engine(repo).store.sweeps(statuses=("active", "launching")) == []  # the record is gone
    assert user_state(repo) == before
    # once the user moved the job's file aside, gc finishes the cleanup
    (worktree / "scratch.txt" / "r.txt").rename(repo.parent / "job-r.txt")
    assert run_cli(["snapshots", "gc", "--older-than", "0s", "--branches"], cwd=repo).returncode == 0
    assert not worktree.exists() and snapshot_branches(repo) == []


def failing_after_the_worktree(repo: Path, monkeypatch, files: dict[str, str],
                               user_files: dict[str, str] | None = None) -> list[Path]:
    """The launch fails once its worktree exists, after a job (planted files) wrote into it and the
    user wrote `user_files` into the repository."""
    seen: list[Path] = []
    check_in_repository = api.check_command

    def check_command(spec, argv, workdir):
        if not Path(workdir).is_relative_to(repo.parent / "worktrees"):
            return check_in_repository(spec, argv, workdir)  # the check before the snapshot
        seen.append(Path(workdir))
        plant(Path(workdir), files)
        plant(repo, user_files or {})
        raise SnaptuiError("the launch failed after its snapshot")

    monkeypatch.setattr(api, "check_command", check_command)
    return seen


def test_a_failed_launch_moves_files_written_into_its_worktree_back_and_says_so(repo, monkeypatch):
    before, engine = user_state(repo), Engine(repo)
    seen = failing_after_the_worktree(repo, monkeypatch, {"outputs-elsewhere/r.txt": "r\n"})
    plan = engine.plan(write_sweep(repo, SWEEP))
    with pytest.raises(SnaptuiError) as failed:
        engine.launch(plan)
    (worktree,) = seen
    note = "moved outputs-elsewhere/r.txt back into the repository"
    assert any(note in n for n in plan.notes), plan.notes
    assert any(note in n for n in failed.value.__notes__)
    assert (repo / "outputs-elsewhere" / "r.txt").read_text() == "r\n"
    assert not worktree.exists() and snapshot_branches(repo) == []
    assert engine.store.sweeps(statuses=("active", "launching")) == []
    assert unchanged(before, user_state(repo))


def test_a_failed_launch_keeps_and_names_a_worktree_whose_file_cannot_land(repo, monkeypatch):
    engine = Engine(repo)
    seen = failing_after_the_worktree(repo, monkeypatch, {"scratch.txt.d/r.txt": "x\n"},
                                      {"scratch.txt.d": "a file where the job made a folder\n"})
    plan = engine.plan(write_sweep(repo, SWEEP))
    with pytest.raises(SnaptuiError):
        engine.launch(plan)
    before = user_state(repo)
    (worktree,) = seen
    assert any(f"kept worktree {worktree}" in n and "scratch.txt.d/r.txt" in n for n in plan.notes), plan.notes
    assert (worktree / "scratch.txt.d" / "r.txt").read_text() == "x\n"
    assert len(snapshot_branches(repo)) == 1
    assert engine.store.sweeps(statuses=("active", "launching")) == []
    assert user_state(repo) == before
    assert (repo / "scratch.txt.d").read_text() == "a file where the job made a folder\n"


def test_the_cli_prints_what_a_failed_launchs_rollback_moved_before_the_error(repo, monkeypatch, capsys):
    from snaptui.cli.main import main

    failing_after_the_worktree(repo, monkeypatch, {"best.txt": "0.5\n"})
    write_sweep(repo, SWEEP)
    monkeypatch.chdir(repo)
    assert main(["launch", "sweep.toml"]) == 1
    err = " ".join(capsys.readouterr().err.split())
    assert "note: moved best.txt back into the repository" in err
    assert err.index("moved best.txt") < err.index("error: the launch failed after its snapshot")
    assert (repo / "best.txt").read_text() == "0.5\n"
