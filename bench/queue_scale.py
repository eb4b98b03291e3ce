"""Queue length: what a 100,000-job local sweep costs the agent and `snaptui status`, against 2,000 jobs.

The agent used to read every unfinished attempt of every sweep on each 0.2 s tick, so throughput fell
with the length of the queue (27.5 jobs/s with 2,000 queued `true` jobs, 0.58 jobs/s with 100,000,
measured when issue 24 was filed) and `snaptui status` of the big sweep took 125 s and 600 MB.

- throughput: jobs of `true` completed per second at cap 2, timed over jobs 50 to 350 of the sweep
  (after the first workers started), for a 100,000-job sweep against the same sweep of 2,000 jobs
  (target: >= 20 jobs/s at 100,000);
- `snaptui status SWEEP` (every job, piped), wall time and peak memory of the process, for the
  100,000-job sweep against the 2,000-job one (target: <= 2 s and <= 200 MB).

One sample each: a 100,000-job launch takes a while; the note gives the absolute figures.
"""
from __future__ import annotations

import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import print_table, row  # noqa: E402
from snaptui.engine.agent import stop_agent  # noqa: E402

BIG, SMALL = 100_000, 2_000
WARMUP, TIMED = 50, 300
STATUS = ("import resource, sys\n"
          "from snaptui.cli.main import main\n"
          "code = main(sys.argv[1:])\n"
          "sys.stdout.flush()\n"
          "print(f'MAXRSS_KB {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}', file=sys.stderr)\n"
          "sys.exit(code)\n")


def _repo(tmp: Path) -> Path:
    repo = tmp / "repo"
    repo.mkdir()
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    (repo / "snaptui.toml").write_text(f'[snapshot]\nworktree_root = "{tmp / "wt"}"\n[local]\nmax_jobs = 2\n')
    return repo


def _throughput(repo: Path, jobs: int) -> tuple[int, float]:
    """Launch `jobs` jobs of `true` at cap 2; returns (sweep id, jobs/s over jobs WARMUP..WARMUP+TIMED)."""
    from snaptui.engine.api import Engine

    (repo / f"q{jobs}.toml").write_text(textwrap.dedent(f'''
        name = "q{jobs}"
        command = ["true"]
        [grid]
        i = "range({jobs})"
    '''))
    engine = Engine(repo)
    sweep = engine.launch(engine.plan(repo / f"q{jobs}.toml", no_snapshot=True, sets=["max_parallel_jobs=2"]),
                          yes=True)
    done = lambda: sum(n for state, n in engine.store.sweep(sweep.id).counts.items() if state.is_final)
    while done() < WARMUP:
        time.sleep(0.05)
    start, first = time.perf_counter(), done()
    while done() < first + TIMED:
        time.sleep(0.05)
    rate = (done() - first) / (time.perf_counter() - start)
    stop_agent(repo)  # the rest stay queued; status reads them as they are
    return sweep.id, rate


def _status(repo: Path, sweep_id: int) -> tuple[float, float]:
    """`snaptui status SWEEP` piped: (seconds, peak MB of the process)."""
    start = time.perf_counter()
    result = subprocess.run([sys.executable, "-c", STATUS, "status", str(sweep_id)], cwd=repo,
                            capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        raise RuntimeError(f"snaptui status failed: {result.stderr.strip()[-300:]}")
    peak_kb = int(result.stderr.rsplit("MAXRSS_KB ", 1)[1].split()[0])
    return elapsed, peak_kb / 1024


def run() -> list[dict]:
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        small_repo, big_repo = _repo(tmp / "small"), _repo(tmp / "big")
        try:
            small_id, small_rate = _throughput(small_repo, SMALL)
            big_id, big_rate = _throughput(big_repo, BIG)
            small_s, small_mb = _status(small_repo, small_id)
            big_s, big_mb = _status(big_repo, big_id)
        finally:
            stop_agent(small_repo)
            stop_agent(big_repo)
    return [
        row("queue", f"`true` jobs/s at cap 2, {BIG:,} queued", small_rate, big_rate,
            f"baseline: the same at {SMALL:,} queued; {big_rate:.1f} jobs/s (target >= 20)", unit="jobs/s"),
        row("queue", f"snaptui status of the {BIG:,}-job sweep", small_s, big_s,
            f"baseline: status of the {SMALL:,}-job sweep; {big_s:.2f} s (target <= 2 s)"),
        row("queue", f"snaptui status of the {BIG:,}-job sweep, peak memory", small_mb, big_mb,
            f"baseline: the {SMALL:,}-job sweep; {big_mb:.0f} MB (target <= 200 MB)", unit="MB"),
    ]


if __name__ == "__main__":
    print_table(run())
