"""Faults while a launch takes its snapshot (issue 12): Ctrl-C, a kill and a full disk while
untracked files are hashed. Each ends with one clear message and nothing left in .git."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap

import pytest

from snaptui.engine.api import Engine
from tests.conftest import git, run_cli, write_sweep
from tests.test_launch_failures import (add_data, git_leftovers, nothing_left, objects_bytes,
                                        small_disk)  # noqa: F401 - small_disk is a fixture
from tests.test_results_land import unchanged, user_state

pytestmark = pytest.mark.timeout(300)
HASH_ALL = ["--set", "snapshot.max_untracked_mb=0", "--set", "snapshot.max_total_mb=0"]  # data hashed, as before


def test_ctrl_c_while_hashing_stops_the_launch_cleanly(git_repo, report):
    add_data(git_repo, 6, 50)  # 300 MB: seconds of hashing
    sweep = write_sweep(git_repo, 'name = "c"\ncommand = ["python", "job.py"]\n')
    before, objects = user_state(git_repo), objects_bytes(git_repo)
    proc = subprocess.Popen([sys.executable, "-m", "snaptui", "--batch", str(sweep), *HASH_ALL], cwd=git_repo,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    seen = []
    for line in proc.stderr:  # wait for the event: hashing has started
        seen.append(line)
        if "hashing 300 MB of untracked files" in line:
            break
    os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C in a terminal does: the whole foreground group
    _, rest = proc.communicate(timeout=120)
    stderr = "".join(seen) + rest
    assert proc.returncode == 130, stderr
    assert "interrupted: nothing was launched" in stderr and "Traceback" not in stderr
    assert nothing_left(git_repo)
    assert objects_bytes(git_repo) - objects < 64 * 1024  # none of the 300 MB reached .git/objects
    assert Engine(git_repo).store.sweeps(statuses=("active", "launching")) == []
    assert unchanged(before, user_state(git_repo))
    report("Ctrl-C while a launch hashes 300 MB of untracked files",
           "exit 130, one line: nothing was launched; no branch, worktree, record or object left")


def test_a_launch_killed_while_hashing_leaves_nothing_that_recover_and_the_next_launch_do_not_clean(git_repo, report):
    add_data(git_repo, 3, 40)  # three 64 MB-or-less chunks: killed after the first
    sweep = write_sweep(git_repo, 'name = "k"\ncommand = ["python", "job.py"]\n')
    before = user_state(git_repo)
    killed = run_cli(["launch", str(sweep), *HASH_ALL], cwd=git_repo,
                     env={"SNAPTUI_FAULT_KILL_AT": "snapshot:hashing"})
    assert killed.returncode == -signal.SIGKILL
    assert git_leftovers(git_repo)  # the dead launch's quarantine: outside .git/objects, nothing in it
    assert not list((git_repo / ".git" / "objects").rglob("tmp_obj_*"))
    status = run_cli(["status"], cwd=git_repo)
    assert "interrupted" in status.stderr
    done = run_cli(["recover", "--abort"], cwd=git_repo)
    assert done.returncode == 0, done.stderr
    assert Engine(git_repo).store.sweeps(statuses=("active", "launching")) == []
    (git_repo / "data").rename(git_repo.parent / "data-moved")  # a small launch now
    relaunch = run_cli(["--batch", str(sweep)], cwd=git_repo)
    assert relaunch.returncode == 0, relaunch.stderr
    assert not git_leftovers(git_repo)  # the next snapshot removed the dead one's quarantine
    (git_repo.parent / "data-moved").rename(git_repo / "data")
    assert unchanged(before, user_state(git_repo))
    report("launcher SIGKILLed while hashing untracked files",
           "no tmp_obj in .git/objects; recover --abort removed the record, the next launch the dead quarantine")


def test_a_full_disk_while_hashing_says_so_once_and_leaves_nothing(small_disk, tmp_path, report):
    repo = small_disk / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    git(repo, "config", "user.name", "T")
    git(repo, "config", "user.email", "t@example.invalid")
    (repo / "job.py").write_text("print('ok')\n")
    (repo / "snaptui.toml").write_text(textwrap.dedent(f'''\
        [snapshot]
        worktree_root = "{tmp_path / 'worktrees'}"
        max_untracked_mb = 0
        max_total_mb = 0
    '''))
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "initial")
    report.watch(repo)
    add_data(repo, 7, 1)  # 7 MB of incompressible data on a 12 MB disk: its copy in .git cannot fit
    before = user_state(repo)
    done = run_cli(["--batch", str(write_sweep(repo, 'name = "f"\ncommand = ["python", "job.py"]\n'))], cwd=repo)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "the disk is full" in done.stderr and "Traceback" not in done.stderr
    assert len([line for line in done.stderr.splitlines() if "error" in line]) == 1
    assert nothing_left(repo)
    assert Engine(repo).store.sweeps(statuses=("active", "launching")) == []
    assert unchanged(before, user_state(repo))
    report("the disk fills up while a launch hashes untracked files",
           "exit 1, one line: the disk is full; no branch, worktree, record or object left")


