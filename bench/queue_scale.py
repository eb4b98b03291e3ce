"""Queue length: what a 100,000-job local sweep costs the agent and `snaptui status`, against 2,000 jobs.

The agent used to read every unfinished attempt of every sweep on each 0.2 s tick, so throughput fell
with the length of the queue (27.5 jobs/s with 2,000 queued `true` jobs, 0.58 jobs/s with 100,000,
measured when issue 24 was filed) and `snaptui status` of the big sweep took 125 s and 600 MB.

- throughput: jobs of `true` completed per second at cap 2 (on a snapshot, so the worktree check
  counts), over 200 jobs after the agent started again and 20 more ended, for a 100,000-job sweep
  against the same sweep of 2,000 jobs (target: >= 20 jobs/s at 100,000);
- `snaptui status SWEEP` (every job, piped) while the agent runs, wall time and peak memory of the
  process, for the 100,000-job sweep against the 2,000-job one (target: <= 2 s and <= 200 MB).

Both sweeps are launched once, then measured in alternating windows (3 each; medians, with spread),
so both sides see the same load; the notes give the absolute figures.
"""
from __future__ import annotations

import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import alternating, print_table, sampled_row  # noqa: E402
from snaptui.engine.agent import stop_agent  # noqa: E402

BIG, SMALL = 100_000, 2_000
WARMUP, TIMED, SAMPLES = 20, 200, 3
TIME = shutil.which("time", path="/usr/bin:/bin") or "/usr/bin/time"  # GNU time: a child's own peak memory


def _repo(tmp: Path) -> Path:
    """A repository with one commit: jobs run on a snapshot, as users' do (so the per-job worktree check counts)."""
    repo = tmp / "repo"
    repo.mkdir(parents=True)
    git = ["git", "-C", str(repo), "-c", "user.name=bench", "-c", "user.email=bench@example.invalid"]
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    (repo / "snaptui.toml").write_text(f'[snapshot]\nworktree_root = "{tmp / "wt"}"\n[local]\nmax_jobs = 2\n')
    (repo / "README").write_text("bench\n")
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-qm", "bench"], check=True)
    return repo


def _launch(repo: Path, jobs: int):
    """A sweep of `jobs` jobs of `true` at cap 2, its agent stopped until a window starts."""
    from snaptui.engine.api import Engine

    (repo / f"q{jobs}.toml").write_text(textwrap.dedent(f'''
        name = "q{jobs}"
        command = ["true"]
        [grid]
        i = "range({jobs})"
    '''))
    engine = Engine(repo)
    sweep = engine.launch(engine.plan(repo / f"q{jobs}.toml", sets=["max_parallel_jobs=2"]), yes=True)
    stop_agent(repo)
    return engine, sweep.id


def _window(engine, sweep_id: int) -> tuple[float, float, float, float]:
    """The agent started again: jobs/s over TIMED jobs after WARMUP, then `snaptui status SWEEP` (piped)
    while the agent runs, as a user looks at a running sweep: (jobs/s, status s, status CPU s, status MB)."""
    # counted from the (sweep, state) index: the sweep's counts (a GROUP BY over every job) polled this often
    # would take a core from the agent being measured at 100,000 jobs
    count = "SELECT COUNT(*) FROM attempts WHERE sweep_id = ? AND state = 'COMPLETED'"
    done = lambda: engine.store.conn.execute(count, (sweep_id,)).fetchone()[0]
    begin = done()
    engine.refresh()
    while done() < begin + WARMUP:
        time.sleep(0.05)
    start, first = time.perf_counter(), done()
    while done() < first + TIMED:
        time.sleep(0.05)
    rate = (done() - first) / (time.perf_counter() - start)
    status_s, status_cpu, status_mb = _status(engine.repo_root, sweep_id)
    stop_agent(engine.repo_root)
    return rate, status_s, status_cpu, status_mb


def _status(repo: Path, sweep_id: int) -> tuple[float, float, float]:
    """`snaptui status SWEEP` piped: (seconds, CPU seconds, peak MB of the process). Measured by GNU time:
    a child's own getrusage would count the memory of this process, which forked it, as its peak."""
    start = time.perf_counter()
    result = subprocess.run([TIME, "-f", "RUSAGE %U %S %M", sys.executable, "-m", "snaptui", "status", str(sweep_id)],
                            cwd=repo, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        raise RuntimeError(f"snaptui status failed: {result.stderr.strip()[-300:]}")
    user, system, peak_kb = result.stderr.rsplit("RUSAGE ", 1)[1].split()[:3]
    return elapsed, float(user) + float(system), int(peak_kb) / 1024


def run() -> list[dict]:
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        small_repo, big_repo = _repo(tmp / "small"), _repo(tmp / "big")
        try:
            small, big = _launch(small_repo, SMALL), _launch(big_repo, BIG)
            base, value = alternating(lambda: _window(*small), lambda: _window(*big), SAMPLES, warmup=False)
        finally:
            stop_agent(small_repo)
            stop_agent(big_repo)
    rates, seconds, cpu, memory = (([b[i] for b in base], [v[i] for v in value]) for i in range(4))
    big_rate, big_s, big_cpu, big_mb = (statistics.median(x[1]) for x in (rates, seconds, cpu, memory))
    return [
        sampled_row("queue", f"`true` jobs/s at cap 2, {BIG:,} queued", *rates,
                    f"baseline: the same with {SMALL:,} queued; {big_rate:.1f} jobs/s (target >= 20)", unit="jobs/s"),
        sampled_row("queue", f"snaptui status of the {BIG:,}-job sweep", *seconds,
                    f"baseline: of the {SMALL:,}-job sweep; {big_s:.2f} s, {big_cpu:.2f} s of CPU (target <= 2 s)"),
        sampled_row("queue", f"snaptui status of the {BIG:,}-job sweep, peak memory", *memory,
                    f"baseline: the {SMALL:,}-job sweep; {big_mb:.0f} MB (target <= 200 MB)", unit="MB"),
    ]


if __name__ == "__main__":
    print_table(run())
