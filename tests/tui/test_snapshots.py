"""SVG snapshots of every screen at 80x24 and 120x40, from a store with fixed data and a fixed clock.

Update after an intended change with: pytest tests/tui/test_snapshots.py --snapshot-update
"""
from __future__ import annotations

import time

import pytest

from demo_store import NOW, T0, S, _set, _sweep, build
from tuikit import make_app, until

SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((120, 40), id="120x40")]


@pytest.fixture
def demo(engine, git_repo, monkeypatch):
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    ids = build(engine, git_repo)
    yield engine, ids
    monkeypatch.delenv("TZ")
    time.tzset()


def app_for(engine, **kwargs):
    return make_app(engine, clock=lambda: NOW, refresh_on_start=False, poll_interval=60, **kwargs)


async def sweep_loaded(pilot) -> None:
    from snaptui.screens.sweep import SweepScreen

    await until(pilot, lambda: isinstance(pilot.app.screen, SweepScreen) and pilot.app.screen.model is not None,
                timeout=10)
    await pilot.pause()


async def home_loaded(pilot) -> None:
    from textual.widgets import DataTable

    await until(pilot, lambda: pilot.app.screen.query_one(DataTable).row_count == 3, timeout=10)
    await pilot.pause()


async def job_loaded(pilot) -> None:
    """The log's end on screen and the scroll offset at the end too. test_job[80x24] failed once under load:
    the log's lines were read after the view's first layout, the offset stayed at the top (the view still
    drew the end, LogView.top_line) and the scrollbar's thumb was drawn at the top; whether the lines came
    before or after that layout depended on timing. The view now scrolls again once the new size is laid
    out (LogView._changed), and this waits for it."""
    from snaptui.screens.job import JobScreen
    from snaptui.widgets.logview import LogView

    def settled() -> bool:
        if not isinstance(pilot.app.screen, JobScreen):
            return False
        log = pilot.app.screen.query_one(LogView)
        return log.line_count >= 40 and log.max_scroll_y > 0 and log.scroll_y == log.max_scroll_y \
            and log.vertical_scrollbar.position == log.scroll_y

    await until(pilot, settled, timeout=10)
    await pilot.pause()


@pytest.mark.parametrize("size", SIZES)
def test_home(snap_compare, demo, size):
    engine, _ = demo
    assert snap_compare(app_for(engine), terminal_size=size, run_before=home_loaded)


@pytest.mark.parametrize("size", SIZES)
def test_sweep_grid(snap_compare, demo, size):
    engine, ids = demo
    assert snap_compare(app_for(engine, start_sweep=ids["grid"]), terminal_size=size, run_before=sweep_loaded,
                        press=["down", "right", "space", "right"])


@pytest.mark.parametrize("size", SIZES)
def test_sweep_heatmap(snap_compare, demo, size):
    engine, ids = demo
    assert snap_compare(app_for(engine, start_sweep=ids["grid"]), terminal_size=size, run_before=sweep_loaded,
                        press=["v"])


@pytest.mark.parametrize("size", SIZES)
def test_sweep_three_axes(snap_compare, demo, size):
    engine, ids = demo
    assert snap_compare(app_for(engine, start_sweep=ids["cube"]), terminal_size=size, run_before=sweep_loaded,
                        press=["right_square_bracket"])


@pytest.mark.parametrize("size", SIZES)
def test_sweep_table(snap_compare, demo, size):
    engine, ids = demo
    assert snap_compare(app_for(engine, start_sweep=ids["grid"]), terminal_size=size, run_before=table_shown)


async def table_shown(pilot) -> None:
    """The table, sorted by state, once the running jobs' last log lines are read."""
    from snaptui.widgets.jobtable import JobTable

    await sweep_loaded(pilot)
    await pilot.press("t", "s", "s")
    table = pilot.app.screen.query_one(JobTable)
    await until(pilot, lambda: table.last_lines, timeout=10)
    await pilot.pause()


@pytest.mark.parametrize("size", SIZES)
def test_job(snap_compare, demo, size):
    engine, ids = demo
    assert snap_compare(app_for(engine, start_job=(ids["grid"], 6)), terminal_size=size, run_before=job_loaded)


@pytest.mark.parametrize("size", SIZES)
def test_job_search(snap_compare, demo, size):
    engine, ids = demo
    assert snap_compare(app_for(engine, start_job=(ids["grid"], 6)), terminal_size=size, run_before=job_searched)


async def job_searched(pilot) -> None:
    """The search runs in a thread: `n` steps through its matches once they are known."""
    from snaptui.widgets.logview import LogView

    await job_loaded(pilot)
    await pilot.press("slash", *"loss 0.1", "enter")
    log = pilot.app.screen.query_one(LogView)
    await until(pilot, lambda: log.searching is None and log.matches and log.current >= 0, timeout=10)
    await pilot.press("n")
    await pilot.pause()


@pytest.mark.parametrize("size", SIZES)
def test_confirm_cancel(snap_compare, demo, size):
    engine, ids = demo
    assert snap_compare(app_for(engine, start_sweep=ids["grid"]), terminal_size=size, run_before=sweep_loaded,
                        press=["down", "right", "right", "c"])


@pytest.mark.parametrize("size", SIZES)
def test_help(snap_compare, demo, size):
    engine, ids = demo
    assert snap_compare(app_for(engine, start_sweep=ids["grid"]), terminal_size=size, run_before=sweep_loaded,
                        press=["question_mark"])


@pytest.fixture
def fixed_snapshots(monkeypatch):
    from snaptui.engine.snapshot import housekeeping, snapshots as snapshot

    rows = [housekeeping.SnapshotRow("snaptui/20231114-221320-lr", "3f2a9c1d4e5b6a7980716253443526170f1e2d3c",
                                     7325.0, [1], "/worktrees/repo/snaptui-20231114-221320-lr", 5_432_100, True),
            housekeeping.SnapshotRow("snaptui/20231101-090000-old", "0123456789abcdef0123456789abcdef01234567",
                                     14 * 86400.0, [], None, None, False)]
    monkeypatch.setattr(housekeeping, "snapshot_overview", lambda engine, **_: rows)
    monkeypatch.setattr(snapshot, "diff_summary", lambda repo, commit: [("M", "train.py"), ("A", "notes.md")])


async def snapshots_loaded(pilot) -> None:
    from textual.widgets import DataTable

    await pilot.press("s")
    await until(pilot, lambda: pilot.app.screen.query(DataTable)
                and pilot.app.screen.query_one(DataTable).row_count == 2,
                timeout=10)
    await until(pilot, lambda: "train.py" in str(pilot.app.screen.query_one("#snapshot-detail").render()), timeout=10)


@pytest.mark.parametrize("size", SIZES)
def test_snapshots_screen(snap_compare, demo, fixed_snapshots, size):
    engine, _ = demo
    assert snap_compare(app_for(engine), terminal_size=size, run_before=snapshots_loaded)


async def launch_loaded(pilot) -> None:
    await pilot.press("n")
    await until(pilot, lambda: getattr(pilot.app.screen, "plan", None) is not None, timeout=10)
    await pilot.pause()


@pytest.mark.parametrize("size", SIZES)
def test_launch_screen(snap_compare, demo, git_repo, size):
    engine, _ = demo
    (git_repo / "sweeps").mkdir()
    (git_repo / "sweeps" / "train.py").write_text("")   # the command exists: the preview is a plan, not a refusal
    (git_repo / "sweeps" / "lr.toml").write_text('name = "lr"\ncommand = ["python", "train.py"]\n'
                                                  '[params]\nepochs = 10\n[grid]\nlr = [0.1, 0.01, 0.001]\n'
                                                  'batch = [32, 64]\n')
    (git_repo / "sweeps" / "seeds.toml").write_text('name = "seeds"\ncommand = ["python", "train.py"]\n'
                                                     '[grid]\nseed = "range(5)"\n')
    assert snap_compare(app_for(engine), terminal_size=size, run_before=launch_loaded)


# -- a sweep with FAILED, CANCELLED, RUNNING and NaN jobs: heatmap, mean over seeds, curves ----------------
def mixed_sweep(engine, repo) -> int:
    """lr x seed, 3 x 3. lr=0.1 seed=1 FAILED after reporting the best-looking loss; lr=0.1 seed=3 was
    CANCELLED; lr=0.001 seed=2 is RUNNING; lr=0.01 seed=3 COMPLETED with a NaN loss at the end."""
    sweep_id = _sweep(engine.store, repo, "mixed", {"lr": [0.1, 0.01, 0.001], "seed": [1, 2, 3]}, {}, T0, None)
    for index in range(9):
        lr, seed = [0.1, 0.01, 0.001][index // 3], index % 3 + 1
        final = round({0.1: 0.30, 0.01: 0.20, 0.001: 0.45}[lr] + 0.02 * seed, 3)
        state = {0: S.FAILED, 2: S.CANCELLED, 7: S.RUNNING}.get(index, S.COMPLETED)
        if index == 0:
            final = 0.05
        points = 10 if state is S.COMPLETED else 6
        values = [round(final + 0.1 * (points - 1 - step), 3) for step in range(points)]
        if index == 5:
            values[-1] = float("nan")
        results = {"loss": values[-1]} if state is not S.RUNNING else None
        _set(engine.store, repo, sweep_id, index, state, T0 + 60, None if state is S.RUNNING else 600,
             {S.FAILED: 3, S.COMPLETED: 0}.get(state), results,
             reason={S.FAILED: "exit code 3", S.CANCELLED: "cancelled by the user"}.get(state))
        job = engine.store.job(sweep_id, index)
        log, _ = engine.log_paths(job)
        log.parent.mkdir(parents=True, exist_ok=True)
        log.write_text("".join(f"SNAPTUI_RESULT step={step * 100} loss={value}\n" for step, value in enumerate(values)))
    return sweep_id


@pytest.fixture
def mixed(engine, git_repo, monkeypatch):
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield engine, mixed_sweep(engine, git_repo)
    monkeypatch.delenv("TZ")
    time.tzset()


async def mixed_heatmap(pilot, *keys) -> None:
    await sweep_loaded(pilot)
    screen = pilot.app.screen
    await until(pilot, lambda: "loss final" in screen.model.result_names, timeout=10)   # the metrics read
    while screen.view.mode != "loss":
        await pilot.press("v")
    await pilot.press(*keys)
    await pilot.pause()


@pytest.mark.parametrize("size", SIZES)
def test_mixed_heatmap(snap_compare, mixed, size):
    engine, sweep_id = mixed
    assert snap_compare(app_for(engine, start_sweep=sweep_id), terminal_size=size, run_before=mixed_heatmap)


@pytest.mark.parametrize("size", SIZES)
def test_mixed_heatmap_mean_over_seed(snap_compare, mixed, size):
    engine, sweep_id = mixed

    async def run_before(pilot):
        await mixed_heatmap(pilot, "m")
    assert snap_compare(app_for(engine, start_sweep=sweep_id), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_mixed_curves(snap_compare, mixed, size):
    engine, sweep_id = mixed

    async def run_before(pilot):
        from snaptui.screens.curves import CurvesScreen

        await sweep_loaded(pilot)
        await pilot.press("p")
        await until(pilot, lambda: isinstance(pilot.app.screen, CurvesScreen) and len(pilot.app.screen.curves) == 9,
                    timeout=10)
        await pilot.pause()
    assert snap_compare(app_for(engine, start_sweep=sweep_id), terminal_size=size, run_before=run_before)


PATCH = """ train.py | 3 ++-
 1 file changed, 2 insertions(+), 1 deletion(-)

diff --git a/train.py b/train.py
index 1111111..2222222 100644
--- a/train.py
+++ b/train.py
@@ -10,7 +10,8 @@ def main():
     model = build(cfg)
-    lr = cfg.lr
+    lr = cfg.lr * 0.5   # tuned by hand before the launch
+    warmup = 100
     for epoch in range(cfg.epochs):
         train_one(model, lr)
"""


@pytest.mark.parametrize("size", SIZES)
def test_diff_screen(snap_compare, demo, fixed_snapshots, monkeypatch, size):
    from snaptui.engine.snapshot import snapshots as snapshot

    engine, _ = demo
    monkeypatch.setattr(snapshot, "diff_patch", lambda repo, commit, against: (PATCH, False))

    async def run_before(pilot):
        from snaptui.widgets.diffview import DiffView

        await snapshots_loaded(pilot)
        await pilot.press("d")
        await until(pilot, lambda: pilot.app.screen.query(DiffView) and pilot.app.screen.query_one(DiffView).lines,
                    timeout=10)
        await pilot.pause()
    assert snap_compare(app_for(engine), terminal_size=size, run_before=run_before)


# -- the dialogs, one job's curves, a failed job, a refused and a failed launch ------------------------------
@pytest.mark.parametrize("size", SIZES)
def test_columns_dialog(snap_compare, demo, size):
    engine, ids = demo
    assert snap_compare(app_for(engine, start_sweep=ids["grid"]), terminal_size=size, run_before=sweep_loaded,
                        press=["t", "o"])


@pytest.mark.parametrize("size", SIZES)
def test_gc_dialog(snap_compare, demo, fixed_snapshots, size):
    engine, _ = demo

    async def run_before(pilot):
        await snapshots_loaded(pilot)
        await pilot.press("x")
        await until(pilot, lambda: type(pilot.app.screen).__name__ == "GcScreen"
                    and str(pilot.app.screen.query_one("#dialog-body").render()).strip(), timeout=10)
        await pilot.pause()
    assert snap_compare(app_for(engine), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_mixed_one_jobs_curves(snap_compare, mixed, size):
    """The FAILED job's own curves (j in the overlay: the selected job, the first)."""
    engine, sweep_id = mixed

    async def run_before(pilot):
        from snaptui.screens.curves import CurvesScreen

        await sweep_loaded(pilot)
        await pilot.press("p")
        await until(pilot, lambda: isinstance(pilot.app.screen, CurvesScreen) and len(pilot.app.screen.curves) == 9,
                    timeout=10)
        await pilot.press("j")
        await until(pilot, lambda: len(pilot.app.screen.curves) == 1, timeout=10)
        await pilot.pause()
    assert snap_compare(app_for(engine, start_sweep=sweep_id), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_mixed_failed_job(snap_compare, mixed, size):
    engine, sweep_id = mixed

    async def run_before(pilot):
        from snaptui.screens.job import JobScreen
        from snaptui.widgets.logview import LogView

        def settled() -> bool:
            if not isinstance(pilot.app.screen, JobScreen):
                return False
            log = pilot.app.screen.query_one(LogView)
            return log.line_count == 6 and "FAILED" in str(pilot.app.screen.query_one("#title").render()) \
                and "exit" in str(pilot.app.screen.query_one("#manifest-text").render())

        await until(pilot, settled, timeout=10)
        await pilot.pause()
    assert snap_compare(app_for(engine, start_job=(sweep_id, 0)), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_launch_refused(snap_compare, demo, git_repo, size):
    """The preview refuses what --dry-run refuses, naming the cause: a command missing in the workdir."""
    engine, _ = demo
    (git_repo / "sweeps").mkdir()
    (git_repo / "sweeps" / "lr.toml").write_text('name = "lr"\ncommand = ["python", "train.py"]\n'
                                                  '[grid]\nlr = [0.1, 0.01]\n')

    async def run_before(pilot):
        await launch_loaded(pilot)
        await until(pilot, lambda: "cannot launch" in str(pilot.app.screen.query_one("#preview").render()),
                    timeout=10)
        await pilot.pause()
    assert snap_compare(app_for(engine), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_launch_failed_dialog(snap_compare, demo, git_repo, size):
    """A launch that fails after the preview says why in a dialog that waits for a key."""
    from snaptui.screens.confirm import ConfirmScreen

    engine, _ = demo
    (git_repo / "sweeps").mkdir()
    (git_repo / "sweeps" / "train.py").write_text("")
    sweep_file = git_repo / "sweeps" / "lr.toml"
    sweep_file.write_text('name = "lr"\ncommand = ["python", "train.py"]\n[grid]\nlr = [0.1, 0.01]\n')

    async def run_before(pilot):
        await launch_loaded(pilot)
        await pilot.press("ctrl+l")
        await until(pilot, lambda: isinstance(pilot.app.screen, ConfirmScreen), timeout=10)
        sweep_file.write_text('name = "lr2"\ncommand = ["python", "train.py"]\n[grid]\nlr = [0.1]\n')
        await pilot.press("y")
        await until(pilot, lambda: isinstance(pilot.app.screen, ConfirmScreen)
                    and "launch failed" in pilot.app.screen.title_text, timeout=10)
        await pilot.pause()
    assert snap_compare(app_for(engine), terminal_size=size, run_before=run_before)
