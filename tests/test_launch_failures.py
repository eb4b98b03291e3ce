"""Issue 12, item 6: a full disk ends a launch with one clear message
and a clean rollback: no tmp_obj_* or half-written objects in .git, no branch, no worktree."""
from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from snaptui.engine.api import Engine
from tests.conftest import git, run_cli, write_sweep
from tests.test_results_land import unchanged, user_state

pytestmark = pytest.mark.timeout(300)


def git_leftovers(repo: Path) -> list[str]:
    """Temp objects and quarantine folders anywhere under .git."""
    return [str(p) for p in (repo / ".git").rglob("*") if p.name.startswith(("tmp_obj_", "snaptui-objects-"))]


def objects_bytes(repo: Path) -> int:
    return sum(p.stat().st_size for p in (repo / ".git" / "objects").rglob("*") if p.is_file())


def add_data(repo: Path, files: int, mb: float) -> None:
    data = repo / "data"
    data.mkdir()
    for i in range(files):
        (data / f"{i}.bin").write_bytes(os.urandom(int(mb * 1024 * 1024)))


def nothing_left(repo: Path) -> bool:
    return git(repo, "branch", "--list", "snaptui/*") == "" and "snaptui" not in git(repo, "worktree", "list") \
        and not git_leftovers(repo)


@pytest.fixture
def small_disk(tmp_path):
    if os.getuid() != 0 or not shutil.which("mount"):
        pytest.skip("needs root to mount a small tmpfs")
    mount = tmp_path / "small"
    mount.mkdir()
    result = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=12m", "tmpfs", str(mount)], capture_output=True)
    if result.returncode != 0:
        pytest.skip(f"cannot mount tmpfs here: {result.stderr.decode()[:200]}")
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=False)


def test_push_to_remote_runs_after_submission_in_the_background(git_repo, tmp_path):
    from tests.conftest import stop_everything, wait_until
    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", str(remote))
    git(git_repo, "remote", "add", "origin", str(remote))
    sweep = write_sweep(git_repo, 'name = "p"\ncommand = ["python", "job.py"]\n')
    try:
        for where, outcome in (("origin", "pushed"), ("nowhere", "could not push")):
            done = run_cli(["launch", str(sweep), "--set", "snapshot.push_to_remote=true",
                            "--set", f"snapshot.remote={where}"], cwd=git_repo)
            assert done.returncode == 0, done.stderr
            note = next(line for line in done.stdout.splitlines() if "in the background" in line)
            log = Path(note.rsplit("outcome in ", 1)[1].rstrip(")"))
            wait_until(lambda: log.exists() and log.read_text(), 60, message="the push to finish")
            assert outcome in log.read_text()
        branches = git(git_repo, "branch", "--list", "snaptui/*").split()
        assert git(remote, "for-each-ref", "--format=%(refname:short)").split()[0] in branches
    finally:
        stop_everything(git_repo)


def test_a_launch_on_a_disk_already_full_says_so_without_a_traceback(small_disk, tmp_path):
    repo = small_disk / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    git(repo, "config", "user.name", "T")
    git(repo, "config", "user.email", "t@example.invalid")
    (repo / "job.py").write_text("print('ok')\n")
    (repo / "snaptui.toml").write_text(f'[snapshot]\nworktree_root = "{tmp_path / "worktrees"}"\n')
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "initial")
    sweep = write_sweep(repo, 'name = "f"\ncommand = ["python", "job.py"]\n')
    Engine(repo).store.sweeps()  # the store exists, as in any repository used before
    before = user_state(repo)
    filler = small_disk / "filler"
    with open(filler, "wb") as fh:
        try:
            while True:
                fh.write(b"\0" * 65536)
                fh.flush()
        except OSError:
            pass
    try:
        done = run_cli(["--batch", str(sweep)], cwd=repo)
        assert done.returncode == 1, done.stdout + done.stderr
        assert "the disk is full" in done.stderr and "Traceback" not in done.stderr
    finally:
        filler.unlink()
    assert nothing_left(repo)
    status = run_cli(["status"], cwd=repo)
    assert status.returncode == 0 and "Traceback" not in status.stderr
    assert unchanged(before, user_state(repo))
