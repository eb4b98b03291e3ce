"""Engine: local sweep throughput and store speed, each against a plain-Python baseline.

- a 40-job sweep with max_parallel_jobs=4 through snaptui (agent + submitit + runner)
  against the same commands run by a 4-thread pool with subprocess, submit to all done;
- launching a 10,000-job sweep (expand + record) against inserting the same rows with
  a bare sqlite executemany;
- reading the 10,000 jobs back (what the TUI does on open) against a bare SELECT.

Every case takes several samples, baseline and snaptui in turns after a warm-up of each,
and prints the medians with the samples' spread.
"""
from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import tempfile
import textwrap
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import alternating, print_table, sampled_row, timed  # noqa: E402
from snaptui.engine.agent import stop_agent  # noqa: E402

JOBS = 40
SAMPLES = 5
COMMAND = [sys.executable, "-c", "import time; time.sleep(0.2)"]


def _repo(tmp: Path) -> Path:
    repo = tmp / "repo"
    repo.mkdir()
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    # [local] max_jobs: the host-wide cap defaults to the CPU count; the pool runs 4 at a time, so must we.
    (repo / "snaptui.toml").write_text(f'[snapshot]\nworktree_root = "{tmp / "wt"}"\n[local]\nmax_jobs = 4\n')
    return repo


def _local_sweep(repo: Path) -> float:
    """Launch to every job done."""
    from snaptui.engine.api import Engine

    (repo / "sweep.toml").write_text(textwrap.dedent(f'''
        name = "bench"
        command = {json.dumps(COMMAND)}
        [grid]
        i = "range({JOBS})"
    '''))
    engine = Engine(repo)
    start = time.perf_counter()
    sweep = engine.launch(engine.plan(repo / "sweep.toml", no_snapshot=True, sets=["max_parallel_jobs=4"]))
    while engine.sweep(sweep.id).is_active:   # polled as the waiting faces do; 20 ms is below the noise
        time.sleep(0.02)
    return time.perf_counter() - start


def _pool() -> float:
    start = time.perf_counter()
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(lambda i: subprocess.run(COMMAND + [f"i={i}"], check=True), range(JOBS)))
    return time.perf_counter() - start


def _store(tmp: Path, n: int = 10_000) -> list[dict]:
    from snaptui.engine.store.store import Store
    from snaptui.engine.sweep.spec import load_sweep_text

    spec = load_sweep_text(f'name = "big"\ncommand = ["python", "train.py"]\n[grid]\na = "range(100)"\n'
                           f'b = "range({n // 100})"\n')
    counter = iter(range(10**6))

    def record():
        store = Store(tmp / f"store{next(counter)}" / "state.db")
        jobs = spec.expand()
        sweep_id = store.create_sweep(name="big", executor="local", profile="local", sweep_file=None,
                                      spec=spec.to_dict(), config={}, snapshot=None, workdir=str(tmp), env={},
                                      jobs=[(j.index, j.label, j.params, j.argv) for j in jobs])
        store.set_sweep_status(sweep_id, "active")
        return store, sweep_id

    def bare():
        db = sqlite3.connect(tmp / f"bare{next(counter)}.db")
        db.execute("CREATE TABLE jobs(sweep_id, idx, label, params_json, argv_json)")
        with db:
            db.executemany("INSERT INTO jobs VALUES (1,?,?,?,?)",
                           [(j.index, j.label, json.dumps(j.params), json.dumps(j.argv)) for j in spec.expand()])
        db.close()

    bare_samples, record_samples = alternating(timed(bare), timed(record), SAMPLES)
    store, sweep_id = record()
    raw = sqlite3.connect(store.path)
    bare_read, read = alternating(
        timed(lambda: raw.execute("SELECT * FROM attempts WHERE sweep_id = ?", (sweep_id,)).fetchall()),
        timed(lambda: store.jobs(sweep_id)), SAMPLES)
    return [sampled_row("engine", f"record a {n}-job sweep", bare_samples, record_samples,
                        "baseline: bare sqlite executemany"),
            sampled_row("engine", f"read {n} jobs (TUI open)", bare_read, read, "baseline: bare SELECT")]


def run() -> list[dict]:
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        repo = _repo(tmp)
        try:
            base, value = alternating(_pool, lambda: _local_sweep(repo), 3)
            rows = [sampled_row("engine", f"local {JOBS}-job sweep, cap 4", base, value,
                                "baseline: 4-thread subprocess pool")]
            rows += _store(tmp)
        finally:
            stop_agent(repo)
    return rows


if __name__ == "__main__":
    print_table(run())
