"""Slurm: a sweep through snaptui against a raw `sbatch --array` of the same command.

Times submission-to-all-done for both in the same run, and counts the scheduler
queries snaptui makes per minute while the tasks are active (a wrapper on PATH counts
every sacct/squeue call the agent makes).
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import print_table, row  # noqa: E402

TASKS = int(os.environ.get("SNAPTUI_BENCH_SLURM_TASKS", "200"))
COMMAND = "sleep 0.2"  # the same shell command for both


def _cluster_up() -> bool:
    return shutil.which("sbatch") is not None and subprocess.run(["sinfo", "-h"], capture_output=True).returncode == 0


def _raw_array(workdir: Path, tasks: int) -> float:
    start = time.perf_counter()
    out = subprocess.run(["sbatch", "--parsable", f"--array=0-{tasks - 1}", "--mem=256M", "-o", "/dev/null",
                          "--wrap", COMMAND],
                         cwd=workdir, check=True, capture_output=True, text=True).stdout.strip()
    array = out.split(";")[0]
    while subprocess.run(["squeue", "-h", "-j", array], capture_output=True, text=True).stdout.strip():
        time.sleep(0.5)
    return time.perf_counter() - start


def _counting_path(tmp: Path) -> Path:
    """sacct and squeue wrappers that log each call, first on PATH for the agent."""
    wrappers = tmp / "bin"
    wrappers.mkdir()
    for tool in ("sacct", "squeue"):
        real = shutil.which(tool)
        (wrappers / tool).write_text(f"#!/bin/sh\necho {tool} >> {tmp / 'calls.log'}\nexec {real} \"$@\"\n")
        (wrappers / tool).chmod(0o755)
    return wrappers


def _snaptui_sweep(tmp: Path, tasks: int) -> tuple[float, int, float]:
    from snaptui.engine.api import Engine

    repo = tmp / "repo"
    repo.mkdir()
    run = lambda *a: subprocess.run(["git", "-C", str(repo), *a], check=True, capture_output=True)
    run("init", "-q")
    (repo / "snaptui.toml").write_text(textwrap.dedent(f'''
        [snapshot]
        worktree_root = "{tmp / 'worktrees'}"
        [profiles.slurm]
        executor = "slurm"
        partition = "debug"
        mem_gb = 0.25
        timeout_min = 30
    '''))
    (repo / "sweep.toml").write_text(f'name = "bench"\ncommand = ["sh", "-c", "{COMMAND}", "task"]\n'
                                     f'profile = "slurm"\n[grid]\ni = "range({tasks})"\n')
    run("add", "-A")
    run("-c", "user.name=b", "-c", "user.email=b@b", "commit", "-qm", "bench")
    os.environ["PATH"] = f"{_counting_path(tmp)}:{os.environ['PATH']}"
    engine = Engine(repo)
    start = time.perf_counter()
    sweep = engine.launch(engine.plan(repo / "sweep.toml"))
    active_from = time.perf_counter()
    while engine.sweep(sweep.id).is_active:
        time.sleep(0.5)
    elapsed = time.perf_counter() - start
    minutes = (time.perf_counter() - active_from) / 60
    calls = len((tmp / "calls.log").read_text().splitlines()) if (tmp / "calls.log").exists() else 0
    counts = engine.sweep(sweep.id).counts
    assert sum(counts.values()) == tasks, counts
    return elapsed, calls, minutes


def run(tasks: int = TASKS) -> list[dict]:
    if not _cluster_up():
        raise RuntimeError("the Slurm cluster is not up (scripts/slurm-cluster up)")
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        baseline = _raw_array(tmp, tasks)
        old_path = os.environ["PATH"]
        try:
            value, calls, minutes = _snaptui_sweep(tmp, tasks)
        finally:
            os.environ["PATH"] = old_path
    per_minute = calls / minutes if minutes else float("nan")
    return [
        row("slurm", f"{tasks}-task sweep, submit to all done", baseline, value, "baseline: raw sbatch --array"),
        row("slurm", "scheduler calls per minute while active", 1.0, per_minute,
            f"{calls} sacct/squeue calls in all for {tasks} tasks; baseline: 1 call/min", unit="calls/min"),
    ]


if __name__ == "__main__":
    print_table(run())
