"""TUI benchmarks: first paint of a 10,000-job sweep, key press to updated screen (also while a
100,000-job sweep is still being read), memory while tailing a large log, delay from a line appended
to a log to that line on screen, opening a job to its log's end, cold start.

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

from bench.common import alternating, print_table, sampled_row  # noqa: E402
from bench.common import row as common_row  # noqa: E402


def _store_with(engine, repo: Path, name: str, n_rows: int, n_cols: int, grid_spec: bool = True) -> int:
    """A sweep of n_rows x n_cols jobs over parameters a and b; without `grid_spec`, its spec lays out no
    grid (jobs given one by one, as a Hydra sweep's): the grid then comes from the jobs' parameters."""
    store = engine.store
    grid = {"a": list(range(n_rows)), "b": list(range(n_cols))} if grid_spec else {}
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
    from snaptui.engine.jobside.joblogs import log_files
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


def _watch_frames(app, seen) -> None:
    """Call seen(screen) right after each frame the app writes to the terminal: what the rows time."""
    display = app._display

    def timed_display(screen, renderable) -> None:
        display(screen, renderable)
        if renderable is not None:
            seen(screen)

    app._display = timed_display


async def _first_paint(engine, sweep_id: int, every_job: bool = False) -> float:
    """Seconds from starting the app on a sweep to the frame showing its grid (or, with `every_job`,
    to the model holding every job: what the table's sort and filter need)."""
    from snaptui.app import SnaptuiApp
    from snaptui.screens.sweep import SweepScreen

    app = SnaptuiApp(engine, start_sweep=sweep_id, refresh_on_start=False)
    shown: list[float] = []

    def seen(screen) -> None:
        """The first frame written with the sweep's grid (background reading may still go on)."""
        if not shown and isinstance(screen, SweepScreen) and screen.model is not None \
                and (screen.model.complete or not every_job):
            shown.append(time.perf_counter())

    _watch_frames(app, seen)
    start = time.perf_counter()
    async with app.run_test(size=(160, 48)) as pilot:
        await _until(pilot, lambda: shown)
        return shown[0] - start


async def _key_presses(engine, sweep_id: int, keys: list[str], repeat: int = 10) -> float:
    from snaptui.app import SnaptuiApp
    from snaptui.screens.sweep import SweepScreen

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


async def _key_to_frame(engine, sweep_id: int, while_reading: bool, presses: int = 30, spacing: float = 0.1) -> float:
    """The slowest of some grid-cursor moves, each from the key to the first frame written with the
    cursor moved, `spacing` s apart: `while_reading`, pressed from the first screen until every job of
    the sweep is read (a frozen screen shows here, whenever in the read it happens), else `presses`
    keys once every job is read. (pilot.press waits for the process to be idle, which it is not while
    a thread reads, so the key is sent as a terminal would and the frame timed.)"""
    from snaptui.app import SnaptuiApp
    from snaptui.screens.sweep import SweepScreen
    from snaptui.widgets.matrix import Matrix

    app = SnaptuiApp(engine, start_sweep=sweep_id, refresh_on_start=False)
    frames: list[tuple[float, tuple]] = []
    _watch_frames(app, lambda screen: isinstance(screen, SweepScreen)
                  and frames.append((time.perf_counter(), screen.query_one(Matrix).cursor)))
    lags = []
    async with app.run_test(size=(160, 48)) as pilot:
        await _until(pilot, lambda: isinstance(app.screen, SweepScreen) and app.screen.model is not None)
        model, matrix = app.screen.model, app.screen.query_one(Matrix)
        shown = time.perf_counter()
        await _until(pilot, lambda: frames and frames[-1][0] > shown)   # keys once the first screen is drawn
        if not while_reading:
            await _until(pilot, lambda: model.complete)
        n = 0
        while (not model.complete) if while_reading else n < presses:
            row, col = matrix.cursor
            key, target = ("right", (row, col + 1)) if n % 2 == 0 else ("left", (row, col - 1))
            start = time.perf_counter()
            app.simulate_key(key)
            await _until(pilot, lambda: any(t >= start and c == target for t, c in frames))
            lags.append(next(t for t, c in frames if t >= start and c == target) - start)
            n += 1
            await asyncio.sleep(spacing)
        assert lags, "every job was read before a key could be pressed"
    return max(lags)


async def _table_key_to_frame(engine, sweep_id: int, sort_keys: list[str], spacing: float = 0.1) -> float:
    """The slowest of the table-cursor moves pressed `spacing` s apart from the first screen until every
    job is read, each from the key to the first frame with another job under the cursor, with the
    table sorted by `sort_keys` (pressed first) while the pages are merged into it."""
    from snaptui.app import SnaptuiApp
    from snaptui.screens.sweep import SweepScreen
    from snaptui.widgets.jobtable import JobTable

    app = SnaptuiApp(engine, start_sweep=sweep_id, refresh_on_start=False)
    frames: list[tuple[float, int | None]] = []
    _watch_frames(app, lambda screen: isinstance(screen, SweepScreen)
                  and frames.append((time.perf_counter(), screen.query_one(JobTable).selected)))
    lags = []
    async with app.run_test(size=(160, 48)) as pilot:
        await _until(pilot, lambda: isinstance(app.screen, SweepScreen) and app.screen.model is not None)
        model, table = app.screen.model, app.screen.query_one(JobTable)
        for key in ["t", *sort_keys]:
            app.simulate_key(key)
        await _until(pilot, lambda: table.has_focus and table.sort_key == ("state" if sort_keys else "index")
                     and len(table.rows) > 2)   # sorted, the table has the jobs read: one, until the first page
        n = 0
        while not model.complete:
            before = table.selected
            start = time.perf_counter()
            app.simulate_key("down" if n % 2 == 0 else "up")
            await _until(pilot, lambda: any(t >= start and c != before for t, c in frames))
            lags.append(next(t for t, c in frames if t >= start and c != before) - start)
            n += 1
            await asyncio.sleep(spacing)
        assert lags, "every job was read before a key could be pressed"
    return max(lags)


async def _tail(engine, sweep_id: int, log: Path, appends: int = 10) -> tuple[float, float, float, float]:
    """(RSS growth in MB with the log open, median append-to-screen delay in s, load time in s,
    RSS in MB with the log open)."""
    from snaptui.app import SnaptuiApp
    from snaptui.screens.job import JobScreen
    from snaptui.widgets.logview import LogView

    gc.collect()
    before = _rss_mb()
    app = SnaptuiApp(engine, start_job=(sweep_id, 0), refresh_on_start=False)
    delays = []
    start = time.perf_counter()   # from the app's start: the log may be on screen by the time run_test returns
    async with app.run_test(size=(160, 48)) as pilot:
        await _until(pilot, lambda: isinstance(app.screen, JobScreen) and app.screen.query_one(LogView).line_count > 0)
        view = app.screen.query_one(LogView)
        await _until(pilot, lambda: _at_end(view))
        loaded = time.perf_counter() - start
        await pilot.pause(0.5)   # memory once the view has settled (not part of the load time)
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
    from snaptui.app import SnaptuiApp
    from snaptui.screens.job import JobScreen
    from snaptui.screens.sweep import SweepScreen
    from snaptui.widgets.logview import LogView

    app = SnaptuiApp(engine, start_sweep=sweep_id, refresh_on_start=False)
    shown: list[float] = []
    # frames written while the job screen shows its log's end
    _watch_frames(app, lambda screen: isinstance(screen, JobScreen) and any(_at_end(v) for v in screen.query(LogView))
                  and shown.append(time.perf_counter()))
    times = []
    async with app.run_test(size=(160, 48)) as pilot:
        await _until(pilot, lambda: isinstance(app.screen, SweepScreen) and app.screen.model is not None)
        sweep_screen = app.screen
        for _ in range(repeat):
            shown.clear()
            start = time.perf_counter()
            app.push_screen(JobScreen(sweep_id, 0, job=sweep_screen.model.jobs[0]))   # as enter does
            await _until(pilot, lambda: shown)
            times.append(shown[0] - start)
            assert last_line in _screen_text(app), "the log's last line is not on screen"
            app.pop_screen()
            await _until(pilot, lambda: app.screen is sweep_screen)
    return statistics.median(times)


def _at_end(view) -> bool:
    """Whether the view shows its log's last line (the top line shown: scroll_y before LogView.top_line)."""
    top = getattr(view, "top_line", int(view.scroll_y))
    return view.line_count > 0 and view.indexing is None \
        and top + view.scrollable_content_region.height >= view.line_count


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
    return timed("pass"), timed("import snaptui.app, snaptui.screens.sweeps")


def run(jobs: int = 10_000, log_mb: float = 200.0) -> list[dict]:
    from snaptui.engine.api import Engine

    rows: list[dict] = []

    def row(bench: str, case: str, baseline: float, value: float, **extra) -> None:
        rows.append(common_row(bench, case, baseline, value, **extra))

    with tempfile.TemporaryDirectory(prefix="snaptui-bench-") as tmp:
        repo = Path(tmp) / "repo"
        repo.mkdir()
        engine = Engine(repo)
        side = max(int(round(jobs ** 0.5)), 1)
        small = _store_with(engine, repo, "one", 1, 1)
        large = _store_with(engine, repo, "large", side, max(jobs // side, 1))
        n_large = side * max(jobs // side, 1)

        def paired(case: str, measure, samples: int = 5) -> None:
            """Alternating samples of the 1-job sweep and the large one (common.alternating), medians."""
            base, val = alternating(lambda: asyncio.run(measure(small)), lambda: asyncio.run(measure(large)), samples)
            rows.append(sampled_row("tui", case, base, val))

        paired(f"first paint, sweep of {n_large} jobs vs 1 job", lambda s: _first_paint(engine, s))
        plain = _store_with(engine, repo, "large-plain", side, max(jobs // side, 1), grid_spec=False)
        base, val = alternating(lambda: asyncio.run(_first_paint(engine, small)),
                                lambda: asyncio.run(_first_paint(engine, plain)), 5)
        rows.append(sampled_row("tui", f"first paint, sweep of {n_large} jobs without a grid spec vs 1 job", base, val))
        paired(f"first paint to every job read, sweep of {n_large} jobs vs 1 job",
               lambda s: _first_paint(engine, s, every_job=True), samples=3)
        paired(f"key to screen, grid cursor, {n_large} jobs vs 1",
               lambda s: _key_presses(engine, s, ["right", "left"]), samples=3)
        paired(f"key to screen, grid/table toggle, {n_large} jobs vs 1",
               lambda s: _key_presses(engine, s, ["t"], repeat=6), samples=3)
        huge = _store_with(engine, repo, "huge", 1000, 100)
        base, val = alternating(lambda: asyncio.run(_key_to_frame(engine, large, while_reading=False)),
                                lambda: asyncio.run(_key_to_frame(engine, huge, while_reading=True)), 3)
        rows.append(sampled_row("tui", f"key to frame while a 100000-job sweep is read vs {n_large} jobs all read",
                                base, val, note="slowest key per sample: 30 / one each 0.1 s of the read"))
        base, val = alternating(lambda: asyncio.run(_table_key_to_frame(engine, huge, [])),
                                lambda: asyncio.run(_table_key_to_frame(engine, huge, ["s", "s"])), 3)
        rows.append(sampled_row("tui", "key to frame while a 100000-job sweep is read, table sorted by state vs "
                                "by index", base, val, note="slowest key per sample, one each 0.1 s of the read"))

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
        base, val = alternating(lambda: asyncio.run(_open_log(engine, one_job, "the only line")),
                                lambda: asyncio.run(_open_log(engine, small_job, last)), 3)
        rows.append(sampled_row("tui", "open a job to its log's last line shown, 0.1 MB vs 1-line log "
                                "(target <= 0.1 s)", base, val, note="each sample the median of 5 opens"))

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
    print_table(run(args.jobs, args.log_mb))

if __name__ == "__main__":
    os.environ.setdefault("TEXTUAL", "")
    main()
