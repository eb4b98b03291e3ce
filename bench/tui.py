"""TUI benchmarks: first paint of a 10,000-job sweep, key press to updated screen, memory while
tailing a large log, delay from a line appended to a log to that line on screen, cold start.

Each case is measured against a baseline in the same process (a 1-job sweep, a small log,
`python -c pass`, a 1-line log), so the ratio says what scale costs on this machine:

    python bench/tui.py [--jobs 10000] [--log-mb 200]      # the issue's target is --log-mb 1024

`run()` returns rows {bench, case, baseline_s, value_s, ratio} (memory rows carry unit "MB"
in the same keys) for bench/run_all.py.
"""
from __future__ import annotations

import argparse
import asyncio
import gc
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _store_with(engine, repo: Path, name: str, n_rows: int, n_cols: int) -> int:
    store = engine.store
    grid = {"a": list(range(n_rows)), "b": list(range(n_cols))}
    jobs = [(i, f"a={i // n_cols},b={i % n_cols}", {"a": i // n_cols, "b": i % n_cols},
             ["python", "train.py", f"a={i // n_cols}", f"b={i % n_cols}"]) for i in range(n_rows * n_cols)]
    spec = {"name": name, "command": ["python", "train.py"], "grid": grid, "zip": [], "params": {}}
    sweep_id = store.create_sweep(name=name, executor="local", profile="local", sweep_file=None, spec=spec,
                                  config={"executor": {"executor": "local"}}, snapshot=None, workdir=str(repo),
                                  env={}, jobs=jobs)
    store.set_sweep_status(sweep_id, "active")
    conn = store.conn
    with store.write():
        # fast bulk states for the benchmark (the store API writes one attempt at a time)
        conn.execute("UPDATE attempts SET state = CASE WHEN job_idx % 7 = 0 THEN 'FAILED' WHEN job_idx % 3 = 0"
                     " THEN 'RUNNING' ELSE 'COMPLETED' END, started_at = ?, ended_at = ?, node = 'node01',"
                     " executor_id = job_idx, results_json = '{\"score\": 0.5}' WHERE sweep_id = ?",
                     (time.time() - 100, time.time(), sweep_id))
    return sweep_id


def _log_of(repo: Path, executor_id: str) -> Path:
    """Where the engine reads job `executor_id`'s stdout (its folder is named for it, as submitit's)."""
    from snaptui.engine.joblogs import log_files
    return log_files(repo / ".submitit" / executor_id, executor_id)[0]


def _job_with_log(engine, repo: Path, name: str, log: Path) -> int:
    sweep_id = _store_with(engine, repo, name, 1, 1)
    job = engine.store.job(sweep_id, 0)
    folder = log.parent
    executor_id = folder.name
    engine.store.update_attempt(job.attempt.id, executor_id=executor_id, log_dir=str(folder))
    return sweep_id


def _write_log(path: Path, megabytes: float) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    line = b"epoch 0001 step 000100 loss 0.123456 lr 0.001 some padding to make a realistic log line\n"
    block = line * (1024 * 1024 // len(line) + 1)
    with open(path, "wb") as handle:
        written, target = 0, int(megabytes * 1024 * 1024)
        while written < target:
            lines = max((target - written) // len(line), 1)
            chunk = block[: min(lines * len(line), len(block))]
            handle.write(chunk)
            written += len(chunk)


def _rss_mb() -> float:
    import psutil

    return psutil.Process().memory_info().rss / 1024 / 1024


async def _until(pilot, predicate, timeout: float = 60.0, step: float = 0.002) -> None:
    deadline = time.perf_counter() + timeout
    while not predicate():
        if time.perf_counter() > deadline:
            raise TimeoutError("benchmark condition never became true")
        await pilot.pause(step)


async def _first_paint(engine, sweep_id: int) -> float:
    from snaptui.tui.app import SnaptuiApp
    from snaptui.tui.screens.sweep import SweepScreen

    app = SnaptuiApp(engine, start_sweep=sweep_id, refresh_on_start=False)
    start = time.perf_counter()
    async with app.run_test(size=(160, 48)) as pilot:
        await _until(pilot, lambda: isinstance(app.screen, SweepScreen) and app.screen.model is not None)
        await pilot.pause()   # the frame with the grid is rendered
        return time.perf_counter() - start


async def _key_presses(engine, sweep_id: int, keys: list[str], repeat: int = 10) -> float:
    from snaptui.tui.app import SnaptuiApp
    from snaptui.tui.screens.sweep import SweepScreen
    from snaptui.tui.widgets.logview import LogView

    app = SnaptuiApp(engine, start_sweep=sweep_id, refresh_on_start=False)
    times = []
    async with app.run_test(size=(160, 48)) as pilot:
        await _until(pilot, lambda: isinstance(app.screen, SweepScreen) and app.screen.model is not None)
        await pilot.pause()
        for _ in range(repeat):
            for key in keys:
                start = time.perf_counter()
                await pilot.press(key)
                await pilot.pause()
                times.append(time.perf_counter() - start)
    return statistics.median(times)


async def _tail(engine, sweep_id: int, log: Path, appends: int = 10) -> tuple[float, float, float, float]:
    """(RSS growth in MB with the log open, median append-to-screen delay in s, load time in s,
    RSS in MB with the log open)."""
    from snaptui.tui.app import SnaptuiApp
    from snaptui.tui.screens.job import JobScreen
    from snaptui.tui.widgets.logview import LogView

    gc.collect()
    before = _rss_mb()
    app = SnaptuiApp(engine, start_job=(sweep_id, 0), refresh_on_start=False)
    delays = []
    async with app.run_test(size=(160, 48)) as pilot:
        start = time.perf_counter()
        await _until(pilot, lambda: isinstance(app.screen, JobScreen) and app.screen.query_one(LogView).line_count > 0)
        view = app.screen.query_one(LogView)
        await _until(pilot, lambda: view.indexing is None and view.line_count > 0
                     and view.scroll_y == view.max_scroll_y)
        await pilot.pause(0.5)
        loaded = time.perf_counter() - start
        rss = _rss_mb()
        grown = rss - before
        for n in range(appends):
            marker = f"appended line {n} {time.time()}"
            with open(log, "a") as handle:
                handle.write(marker + "\n")
            start = time.perf_counter()
            await _until(pilot, lambda: view.line_count and view.line(view.line_count - 1) == marker)
            delays.append(time.perf_counter() - start)
            await pilot.pause(0.05)
    return grown, statistics.median(delays), loaded, rss


def _tail_in_fresh_process(repo: Path, sweep_id: int, log: Path) -> tuple[float, float, float, float]:
    """_tail in a new interpreter, so one case's memory is not another's leftovers."""
    import json

    out = subprocess.run([sys.executable, __file__, "--tail-case", str(repo), str(sweep_id), str(log)],
                         check=True, capture_output=True, text=True, cwd=ROOT).stdout
    return tuple(json.loads(out.strip().splitlines()[-1]))


def _tail_case(repo: str, sweep_id: str, log: str) -> None:
    import json

    from snaptui.engine.api import Engine

    asyncio.run(_tail(Engine(Path(repo)), int(sweep_id), Path(log), appends=2))  # warm this process's imports
    print(json.dumps(asyncio.run(_tail(Engine(Path(repo)), int(sweep_id), Path(log)))))


async def _open_log(engine, sweep_id: int, last_line: str, repeat: int = 5) -> float:
    """Median time from opening a job (enter on it) to its log's last line on screen."""
    from snaptui.tui.app import SnaptuiApp
    from snaptui.tui.screens.job import JobScreen
    from snaptui.tui.screens.sweep import SweepScreen
    from snaptui.tui.widgets.logview import LogView

    app = SnaptuiApp(engine, start_sweep=sweep_id, refresh_on_start=False)
    times = []
    async with app.run_test(size=(160, 48)) as pilot:
        await _until(pilot, lambda: isinstance(app.screen, SweepScreen) and app.screen.model is not None)
        sweep_screen = app.screen
        for _ in range(repeat):
            start = time.perf_counter()
            app.push_screen(JobScreen(sweep_id, 0, job=sweep_screen.model.jobs[0]))   # as enter does
            await _until(pilot, lambda: isinstance(app.screen, JobScreen)
                         and any(_at_end(view) for view in app.screen.query(LogView)))
            await pilot.pause()   # the frame showing it (rendering the screen to check would cost more)
            times.append(time.perf_counter() - start)
            assert last_line in _screen_text(app), "the log's last line is not on screen"
            app.pop_screen()
            await _until(pilot, lambda: app.screen is sweep_screen)
    return statistics.median(times)


def _at_end(view) -> bool:
    return view.line_count > 0 and view.indexing is None and view.scroll_y == view.max_scroll_y


def _screen_text(app) -> str:
    return "\n".join("".join(s.text for s in strip) for strip in app.screen._compositor.render_strips())


def _cold_start() -> tuple[float, float]:
    def timed(code: str) -> float:
        best = []
        for _ in range(3):
            start = time.perf_counter()
            subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)
            best.append(time.perf_counter() - start)
        return min(best)
    return timed("pass"), timed("import snaptui.tui.app, snaptui.tui.screens.sweeps")


def run(jobs: int = 10_000, log_mb: float = 200.0) -> list[dict]:
    from snaptui.engine.api import Engine

    rows: list[dict] = []

    def row(bench: str, case: str, baseline: float, value: float, **extra) -> None:
        rows.append({"bench": bench, "case": case, "baseline_s": round(baseline, 4), "value_s": round(value, 4),
                     "ratio": round(value / baseline, 2) if baseline else float("nan"), **extra})

    with tempfile.TemporaryDirectory(prefix="snaptui-bench-") as tmp:
        repo = Path(tmp) / "repo"
        repo.mkdir()
        engine = Engine(repo)
        side = max(int(round(jobs ** 0.5)), 1)
        small = _store_with(engine, repo, "one", 1, 1)
        large = _store_with(engine, repo, "large", side, max(jobs // side, 1))
        n_large = side * max(jobs // side, 1)

        asyncio.run(_first_paint(engine, small))   # warm imports and caches
        base = min(asyncio.run(_first_paint(engine, small)) for _ in range(2))
        value = min(asyncio.run(_first_paint(engine, large)) for _ in range(2))
        row("tui", f"first paint, sweep of {n_large} jobs vs 1 job", base, value)

        base = asyncio.run(_key_presses(engine, small, ["right", "left"]))
        value = asyncio.run(_key_presses(engine, large, ["right", "left"]))
        row("tui", f"key to screen, grid cursor, {n_large} jobs vs 1", base, value)
        base = asyncio.run(_key_presses(engine, small, ["t"], repeat=6))
        value = asyncio.run(_key_presses(engine, large, ["t"], repeat=6))
        row("tui", f"key to screen, grid/table toggle, {n_large} jobs vs 1", base, value)

        small_log = _log_of(repo, "s1")
        big_log = _log_of(repo, "b1")
        _write_log(small_log, 0.1)
        _write_log(big_log, log_mb)
        small_job = _job_with_log(engine, repo, "small-log", small_log)
        big_job = _job_with_log(engine, repo, "big-log", big_log)
        s_mem, s_delay, s_load, s_rss = _tail_in_fresh_process(repo, small_job, small_log)
        b_mem, b_delay, b_load, b_rss = _tail_in_fresh_process(repo, big_job, big_log)
        row("tui", f"open log to last lines shown, {log_mb:g} MB vs 0.1 MB", s_load, b_load)
        row("tui", f"memory with the log open (fresh process each), {log_mb:g} MB vs 0.1 MB log", s_rss, b_rss,
            unit="MB", note=f"growth while opening: {s_mem:+.1f} MB vs {b_mem:+.1f} MB")
        row("tui", f"append to screen delay, {log_mb:g} MB vs 0.1 MB log", s_delay, b_delay)
        big_log.unlink()

        one_line = _log_of(repo, "o1")
        one_line.parent.mkdir(parents=True)
        one_line.write_text("the only line\n")
        one_job = _job_with_log(engine, repo, "one-line-log", one_line)
        last = small_log.read_text().rstrip("\n").rsplit("\n", 1)[-1][:60]
        base = asyncio.run(_open_log(engine, one_job, "the only line"))
        value = asyncio.run(_open_log(engine, small_job, last))
        row("tui", "open a job to its log's last line shown, 0.1 MB vs 1-line log (target <= 0.1 s)", base, value)

    base, value = _cold_start()
    row("tui", "cold start: import the TUI vs python -c pass", base, value)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=10_000)
    parser.add_argument("--log-mb", type=float, default=200.0)
    parser.add_argument("--tail-case", nargs=3, metavar=("REPO", "SWEEP", "LOG"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.tail_case:
        _tail_case(*args.tail_case)
        return
    rows = run(args.jobs, args.log_mb)
    width = max(len(r["case"]) for r in rows)
    print(f"{'case':<{width}}  {'baseline':>10}  {'value':>10}  {'ratio':>7}")
    for r in rows:
        unit = r.get("unit", "s")
        print(f"{r['case']:<{width}}  {r['baseline_s']:>9.4f}{unit[0]}  {r['value_s']:>9.4f}{unit[0]}  "
              f"{r['ratio']:>7.2f}")


if __name__ == "__main__":
    os.environ.setdefault("TEXTUAL", "")
    main()
