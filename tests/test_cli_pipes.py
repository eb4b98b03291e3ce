"""The CLI as part of a pipeline: a reader that stops early, and a progress bar followed live."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from snaptui.engine.api import Engine
from tests.conftest import run_cli, wait_until, write_sweep

pytestmark = pytest.mark.timeout(240)

BAR = '''\
import os, sys, time
print("loading data", flush=True)
sys.stdout.write(" 30%|###       | 3/10")
sys.stdout.flush()
while not os.path.exists("gate"):
    time.sleep(0.05)
sys.stdout.write("\\r100%|##########| 10/10\\n")
print("done", flush=True)
'''


def test_results_piped_into_head_ends_quietly(git_repo):
    # more rows than a pipe holds (64 KiB), so the writer is still writing when head leaves
    jobs = [(i, f"lr={i}", {"lr": i}, ["python", "job.py", f"lr={i}"]) for i in range(6000)]
    store = Engine(git_repo).store
    sweep_id = store.create_sweep(name="many", executor="local", profile="local", sweep_file=None,
                                  spec={"grid": {"lr": list(range(6000))}}, config={}, snapshot=None,
                                  workdir=str(git_repo), env={}, jobs=jobs)
    store.set_sweep_status(sweep_id, "active")
    for form in ("--csv", "--json", None):
        args = [sys.executable, "-m", "snaptui", "results", str(sweep_id)] + ([form] if form else [])
        shell = subprocess.run(" ".join(args) + " | head -n 1", shell=True, cwd=git_repo, capture_output=True,
                               text=True, timeout=60, env={**os.environ, "COLUMNS": "200"})
        assert shell.stdout.strip() and "Traceback" not in shell.stderr and "BrokenPipe" not in shell.stderr, \
            (form, shell.stderr)


def test_logs_follow_shows_an_unfinished_progress_bar_while_it_runs(git_repo):
    (git_repo / "bar.py").write_text(BAR)
    write_sweep(git_repo, 'name = "bar"\ncommand = ["python", "bar.py"]\n')
    sweep_id = int(run_cli(["launch", "sweep.toml", "--no-snapshot"], cwd=git_repo).stdout.split()[-1])
    follower = subprocess.Popen([sys.executable, "-m", "snaptui", "logs", f"{sweep_id}/0", "-f"], cwd=git_repo,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    seen = b""
    try:
        os.set_blocking(follower.stdout.fileno(), False)

        def bar_seen() -> bool:
            nonlocal seen
            chunk = follower.stdout.read()
            seen += chunk or b""
            return b" 30%|###       | 3/10" in seen

        wait_until(bar_seen, 60, 0.05, "the unfinished bar printed by logs -f")
        assert b"100%" not in seen                       # the job is still at 30%: nothing was held back
        (git_repo / "gate").write_text("")
        assert follower.wait(timeout=60) == 0
        seen += follower.stdout.read() or b""
        assert b"\r100%|##########| 10/10\n" in seen and b"done" in seen
    finally:
        if follower.poll() is None:
            follower.kill()
