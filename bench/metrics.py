"""Metrics benchmarks: opening 100 jobs x 10,000 points (the curves view's first frame, `snaptui metrics`),
the curves overlay updating with them, and reading the metrics of a 1 GB log against merely tailing it
(memory and time).

Baselines are measured in the same run: the same views of 1 job x 100 points (2 jobs for
`snaptui metrics`, whose one-job form is another table), samples alternating; a LogTailer reading
the same log to its end. Memory is the peak of what each reader allocates while reading (tracemalloc, in a fresh
process of its own, started after imports and opening the stores); timed reads of the log
alternate with tails, medians reported with their spread.

    python bench/metrics.py [--jobs 100] [--points 10000] [--log-mb 1024]
"""
from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import alternating, row, sampled_row  # noqa: E402


def _sweep_with_points(engine, name: str, jobs: int, points: int) -> int:
    """A sweep of `jobs` running jobs, each with a `points`-long loss curve in the metrics store."""
    from snaptui.engine.metrics import Metrics
    from snaptui.engine.metrics.reading import Point

    spec = {"name": name, "command": ["python", "train.py"], "grid": {"lr": list(range(jobs))}, "zip": [],
            "params": {}}
    sweep_id = engine.store.create_sweep(
        name=name, executor="local", profile="local", sweep_file=None, spec=spec,
        config={"executor": {"executor": "local"}}, snapshot=None, workdir=str(engine.repo_root), env={},
        jobs=[(i, f"lr={i}", {"lr": 10 ** (-i / 20)}, ["python", "train.py"]) for i in range(jobs)])
    engine.store.set_sweep_status(sweep_id, "active")
    with engine.store.write() as conn:
        conn.execute("UPDATE attempts SET state = 'RUNNING', started_at = ? WHERE sweep_id = ?",
                     (time.time(), sweep_id))
    metrics = Metrics(engine)
    for job in engine.jobs(sweep_id):
        lr = job.params["lr"]
        curve = [Point("loss", float(s), 1 / (1 + lr * s) + 0.01 * math.sin(s)) for s in range(points)]
        with metrics.db.write() as conn:
            source_id, state = metrics.db.source(conn, job.attempt.id, f"bench-{sweep_id}-{job.index}", "log")
            metrics.db.save(conn, source_id, job.attempt.id, state, curve)
    return sweep_id


def _append_point(engine, sweep_id: int, step: int) -> None:
    from snaptui.engine.metrics import Metrics
    from snaptui.engine.metrics.reading import Point

    metrics = Metrics(engine)
    with metrics.db.write() as conn:
        for job in engine.jobs(sweep_id):
            source_id, state = metrics.db.source(conn, job.attempt.id, f"bench-{sweep_id}-{job.index}", "log")
            metrics.db.save(conn, source_id, job.attempt.id, state, [Point("loss", float(step), 0.5)])


async def _overlay_updates(engine, sweep_id: int, points: int, repeat: int = 7) -> tuple[list[float], int]:
    """Median time from new points in the store to the redrawn overlay: the curves screen's own
    refresh (read, refetch new rows, thin, colour, legend) until its draw, plus rendering the plot
    as the next frame does. Waiting for the frame itself is left out: pilot pauses cost tens of ms."""
    from snaptui.app import SnaptuiApp
    from snaptui.screens.curves import CurvesScreen
    from snaptui.widgets.curves import CurvesPlot

    app = SnaptuiApp(engine, refresh_on_start=False, poll_interval=60)
    times = []
    async with app.run_test(size=(160, 48)) as pilot:
        screen = CurvesScreen(sweep_id, interval=3600)  # refreshed by hand below, not by its timer
        await app.push_screen(screen)
        await _until(pilot, lambda: screen.curves and not screen.reading("curves"))
        await pilot.pause()
        plot = screen.query_one(CurvesPlot)
        for step in range(repeat):
            _append_point(engine, sweep_id, points + step)
            start = time.perf_counter()
            screen._refresh()
            await _until(pilot, lambda: screen.drawn_at > start and not screen.reading("curves"))
            drawn = screen.drawn_at - start
            render_start = time.perf_counter()
            plot._render_plot()
            times.append(drawn + time.perf_counter() - render_start)
            await pilot.pause()
        shown = len(screen.curves)
    return times, shown


async def _first_frame(engine, sweep_id: int) -> float:
    """From opening the curves view (a fresh screen, nothing read yet in this process's views) to its first
    frame: the screen's read in its worker, the draw, and rendering the plot as the frame does."""
    from snaptui.app import SnaptuiApp
    from snaptui.screens.curves import CurvesScreen
    from snaptui.widgets.curves import CurvesPlot

    app = SnaptuiApp(engine, refresh_on_start=False, poll_interval=60)
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause()
        start = time.perf_counter()
        screen = CurvesScreen(sweep_id, interval=3600)
        await app.push_screen(screen)
        await _until(pilot, lambda: screen.drawn_at > start)
        render_start = time.perf_counter()
        screen.query_one(CurvesPlot)._render_plot()
        return screen.drawn_at - start + time.perf_counter() - render_start


def _metrics_command(repo: Path, sweep_id: int, cpu_seconds: list[float] | None = None) -> float:
    """`snaptui metrics SWEEP` as a user runs it (its own process), seconds to its end; with bytecode caches,
    as an installed snaptui has them (PYTHONDONTWRITEBYTECODE, set on the test machine, recompiled every
    module in every run: ~0.2 s of CPU, more than the metrics themselves)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PATH"] = f"{Path(sys.executable).parent}:{os.environ['PATH']}"
    start, cpu = time.perf_counter(), _children_cpu()
    subprocess.run([sys.executable, "-m", "snaptui", "metrics", str(sweep_id)], cwd=repo, env=env, check=True,
                   stdout=subprocess.DEVNULL)
    if cpu_seconds is not None:
        cpu_seconds.append(_children_cpu() - cpu)
    return time.perf_counter() - start


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def opening(jobs: int = 100, points: int = 10_000, samples: int = 5) -> list[dict]:
    """The curves view's first frame and `snaptui metrics` on jobs x points against 1 (2) x 100."""
    from snaptui.engine.api import Engine

    with tempfile.TemporaryDirectory(prefix="snaptui-bench-open-") as tmp:
        repo = Path(tmp) / "repo"
        repo.mkdir()
        subprocess.run(["git", "init", "-q", str(repo)], check=True)
        engine = Engine(repo)
        small = _sweep_with_points(engine, "small", 1, 100)
        pair = _sweep_with_points(engine, "pair", 2, 100)
        large = _sweep_with_points(engine, "large", jobs, points)
        base, value = alternating(lambda: asyncio.run(_first_frame(engine, small)),
                                  lambda: asyncio.run(_first_frame(engine, large)), samples=samples)
        rows = [sampled_row("metrics", f"curves view first frame, {jobs} jobs x {points} points vs 1 x 100 "
                            "(target <= 0.3 s)", base, value)]
        base_cpu: list[float] = []
        value_cpu: list[float] = []
        base, value = alternating(lambda: _metrics_command(repo, pair, base_cpu),
                                  lambda: _metrics_command(repo, large, value_cpu), samples=samples)
        rows.append(sampled_row("metrics", f"`snaptui metrics` (whole command), {jobs} jobs x {points} points vs "
                                "2 x 100 (target <= 0.3 s)", base, value))
        # its CPU time (user + system) too: on a loaded machine the wall time is mostly waiting for a core
        rows.append(sampled_row("metrics", f"`snaptui metrics` CPU time, {jobs} jobs x {points} points vs 2 x 100",
                                base_cpu[-samples:], value_cpu[-samples:]))
    return rows


async def _until(pilot, predicate, timeout: float = 120.0) -> None:
    deadline = time.perf_counter() + timeout
    while not predicate():
        if time.perf_counter() > deadline:
            raise TimeoutError("benchmark condition never became true")
        await pilot.pause(0.001)


def _write_log(path: Path, megabytes: float) -> int:
    """Training-like output with one result line per 100 lines; returns the number of result lines."""
    path.parent.mkdir(parents=True, exist_ok=True)
    noise = b"epoch 0001 step 000100 | batch loss 0.123456 | lr 0.001 | some padding to look like a real log\n"
    block = noise * 99
    target = int(megabytes * 1024 * 1024)
    written = results = 0
    with open(path, "wb") as handle:
        while written < target:
            chunk = block + f"SNAPTUI_RESULT step={results} loss={1 / (1 + results):.6f}\n".encode()
            handle.write(chunk)
            written += len(chunk)
            results += 1
    return results


READER = r'''
import json, sys, time, tracemalloc
sys.path.insert(0, {root!r})
from pathlib import Path
kind, repo, log, trace = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3]), sys.argv[5] == "trace"
from snaptui.engine.api import Engine
from snaptui.engine.logs.logtail import LogTailer
from snaptui.engine.metrics import Metrics
engine = Engine(repo)
jobs = engine.jobs(int(sys.argv[4]))
metrics = Metrics(engine)                       # imported and opened in both: only the reading differs
if trace:
    tracemalloc.start()   # the peak of what the reading itself allocates (chunks, lines, points)
start = time.perf_counter()
if kind == "tail":
    tailer = LogTailer(log)
    lines = 0
    while True:
        got = tailer.read_new()
        if not got and not tailer.has_more:
            break
        lines += len(got)
    count = lines
else:
    metrics.update(jobs)
    count = len(metrics.series(jobs[0], "loss"))
elapsed = time.perf_counter() - start
peak = tracemalloc.get_traced_memory()[1] / 1024 / 1024 if trace else None
print(json.dumps({{"peak_mb": peak, "seconds": elapsed, "count": count}}))
'''


def _read_in_child(kind: str, repo: Path, log: Path, sweep_id: int, trace: bool = False) -> dict:
    code = READER.format(root=str(ROOT))
    out = subprocess.run([sys.executable, "-c", code, kind, str(repo), str(log), str(sweep_id),
                          "trace" if trace else "time"],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def run(jobs: int = 100, points: int = 10_000, log_mb: float = 1024.0, samples: int = 3) -> list[dict]:
    from snaptui.engine.api import Engine

    rows: list[dict] = opening(jobs, points, samples)
    with tempfile.TemporaryDirectory(prefix="snaptui-bench-metrics-") as tmp:
        repo = Path(tmp) / "repo"
        repo.mkdir()
        engine = Engine(repo)
        small = _sweep_with_points(engine, "one", 1, 100)
        large = _sweep_with_points(engine, "overlay", jobs, points)
        asyncio.run(_overlay_updates(engine, small, 100, repeat=2))  # warm imports
        base, _ = asyncio.run(_overlay_updates(engine, small, 100))
        value, shown = asyncio.run(_overlay_updates(engine, large, points))
        rows.append(sampled_row("metrics", f"overlay update to screen, {shown} jobs x {points} points vs 1 x 100 "
                                f"(target <= 0.1 s)", base, value))

        from bench.tui import _job_with_log, _log_of

        log = _log_of(repo, "m1")
        print(f"writing a {log_mb:g} MB log ...", file=sys.stderr, flush=True)
        results = _write_log(log, log_mb)
        job_sweep = _job_with_log(engine, repo, "big-log", log)
        metrics_db = engine.store.path.parent / "metrics.db"

        def tail(trace: bool = False) -> dict:
            return _read_in_child("tail", repo, log, job_sweep, trace)

        def read(trace: bool = False) -> dict:
            for path in metrics_db.parent.glob("metrics.db*"):  # read it all again, not only what is new
                path.unlink()
            found = _read_in_child("metrics", repo, log, job_sweep, trace)
            if found["count"] != results:
                raise AssertionError(f"read {found['count']} points of {results}")
            return found

        tails, reads = alternating(tail, read, samples=samples, warmup=False)
        rows.append(sampled_row("metrics", f"time reading metrics of a {log_mb:g} MB log vs tailing it",
                                [t["seconds"] for t in tails], [r["seconds"] for r in reads]))
        traced_tail, traced_read = tail(trace=True), read(trace=True)  # traced runs are slower: not timed
        rows.append(row("metrics", f"peak Python memory reading metrics of a {log_mb:g} MB log vs tailing it",
                        traced_tail["peak_mb"], traced_read["peak_mb"], note=f"{results} points", unit="MB"))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=100)
    parser.add_argument("--points", type=int, default=10_000)
    parser.add_argument("--log-mb", type=float, default=1024.0)
    parser.add_argument("--samples", type=int, default=3)
    parser.add_argument("--opening-only", action="store_true", help="only the first-frame and `snaptui metrics` rows")
    args = parser.parse_args()
    from bench.common import print_table

    if args.opening_only:
        print_table(opening(args.jobs, args.points, max(args.samples, 5)))
    else:
        print_table(run(args.jobs, args.points, args.log_mb, args.samples))


if __name__ == "__main__":
    main()
