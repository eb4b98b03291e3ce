"""SVG snapshots of every screen at 80x24 and 160x48, from a store with fixed data and a fixed clock.

Update after an intended change with: pytest tests/tui/test_snapshots.py --snapshot-update
"""
from __future__ import annotations

import time

import pytest

from demo_store import NOW, build
from tuikit import make_app, until

SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((160, 48), id="160x48")]


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
    from snaptui.screens.job import JobScreen
    from snaptui.widgets.logview import LogView

    await until(pilot, lambda: isinstance(pilot.app.screen, JobScreen)
                and pilot.app.screen.query_one(LogView).line_count >= 40, timeout=10)
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
    await until(pilot, lambda: pilot.app.screen.query(DataTable) and pilot.app.screen.query_one(DataTable).row_count == 2,
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
