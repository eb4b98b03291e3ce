"""Jobs that print garbage or floods, and a disk that fills up: bounded, responsive, readable."""
from __future__ import annotations

import os
import shutil
import subprocess
import time
import tracemalloc

import pytest

from snaptui.engine.api import Engine
from snaptui.engine.logs.logtail import LogTailer
from snaptui.engine.states import JobState
from tests.conftest import git, run_cli, stop_everything, wait_sweep_done, wait_until, write_sweep

pytestmark = pytest.mark.timeout(240)

FLOOD = r'''
import os, sys
out = sys.stdout.buffer
out.write(os.urandom(4096) + b"\n")                     # binary garbage
out.write(b"x" * (3 * 1024 * 1024) + b"\n")             # one 3 MB line
for i in range(200):
    out.write(b"progress %d%%\r" % (i // 2))             # a tqdm-style bar
out.write(b"\n")
line = b"y" * 99 + b"\n"
for _ in range(150 * 1024 * 1024 // len(line) // 1000):  # ~150 MB in total
    out.write(line * 1000)
out.write(b"SNAPTUI_RESULT lines=done\n")
'''


@pytest.fixture
def engine(git_repo):
    yield Engine(git_repo)
    stop_everything(git_repo)


def test_garbage_long_lines_progress_bars_and_a_flood_stay_bounded(engine, report):
    (engine.repo_root / "flood.py").write_text(FLOOD)
    sweep_file = write_sweep(engine.repo_root, 'name = "flood"\ncommand = ["python", "flood.py"]\n')
    sweep = engine.launch(engine.plan(sweep_file))
    done = wait_sweep_done(engine, sweep.id, 180)
    job = engine.jobs(sweep.id)[0]
    assert done.counts == {JobState.COMPLETED: 1} and job.attempt.results == {"lines": "done"}
    log = engine.log_paths(job)[0]
    assert log.stat().st_size > 140 * 1024 * 1024
    tailer = LogTailer(log)
    tracemalloc.start()
    lines = longest = 0
    started = time.perf_counter()
    slowest_call = 0.0
    while tailer.has_more:
        call = time.perf_counter()
        chunk = tailer.read_new()
        slowest_call = max(slowest_call, time.perf_counter() - call)
        lines += len(chunk)
        longest = max([longest, *map(len, chunk)])
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert lines > 1_400_000
    assert peak < 16 * 1024 * 1024  # the whole 150 MB never sits in memory
    tail = LogTailer(log)
    tail.seek_last_lines(5)  # the job's last line, then submitit's closing log lines
    assert "SNAPTUI_RESULT lines=done" in tail.read_new()
    report("a job printing binary, a 3 MB line, \\r bars and 150 MB",
           f"completed; tailer peak {peak // 1024} KiB, longest read {slowest_call * 1000:.0f} ms, "
           f"{time.perf_counter() - started:.1f}s for the whole log")


@pytest.fixture
def small_disk(tmp_path):
    if os.getuid() != 0 or not shutil.which("mount"):
        pytest.skip("needs root to mount a small tmpfs")
    mount = tmp_path / "small"
    mount.mkdir()
    result = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=6m", "tmpfs", str(mount)], capture_output=True)
    if result.returncode != 0:
        pytest.skip(f"cannot mount tmpfs here: {result.stderr.decode()[:200]}")
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=False)


def test_a_full_disk_fails_the_job_clearly_and_the_store_stays_readable(small_disk, tmp_path, report):
    repo = small_disk / "repo"
    repo.mkdir()
    git(repo, "init", "-q")
    (repo / "fill.py").write_text(
        "import sys\nwith open(f'outputs/out{sys.argv[1]}.bin', 'wb') as f:\n"
        "    f.write(b'0' * int(sys.argv[1]) * 1024 * 1024)\n")
    (repo / "snaptui.toml").write_text(f'[snapshot]\nworktree_root = "{tmp_path / "wt"}"\n')
    git(repo, "add", "-A")
    git(repo, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "fill")
    (repo / "outputs").mkdir()  # there at launch: linked, so the job writes on the repository's (small) disk
    report.watch(repo)
    engine = Engine(repo)
    try:
        sweep = engine.launch(engine.plan(write_sweep(repo, '''
            name = "fill"
            command = ["python", "fill.py", "{mb}"]
            override_style = "placeholder"
            [grid]
            mb = [20, 1]
        '''), sets=["max_parallel_jobs=1"]))
        wait_until(lambda: any("is full" in p for p in Engine(repo).health()), 60, message="the full disk warning")
        status = run_cli(["status", str(sweep.id)], cwd=repo)  # the store answers while the disk is full
        assert status.returncode == 0 and "fill.py" not in status.stderr and "is full" in status.stderr
        (repo / "outputs" / "out20.bin").unlink()  # the user frees space: recording resumes
        done = wait_sweep_done(engine, sweep.id, 90)
        assert done.counts == {JobState.FAILED: 1, JobState.COMPLETED: 1}
        assert engine.jobs(sweep.id)[0].state == JobState.FAILED
    finally:
        stop_everything(repo)
    report("the disk filling up while a job writes",
           "status warned the disk is full and kept answering; once freed, the job was FAILED, the next COMPLETED")
