"""Issue 23, item 8: h/j/k/l, g/G and Home/End mean the same in every list, table and grid; Esc clears a
filter before it leaves."""
from __future__ import annotations

import pytest

from demo_store import build
from test_snapshots import fixed_snapshots  # noqa: F401 - the snapshot list the snapshot tests show
from tuikit import make_app, screen_text, until


@pytest.fixture
def demo(engine, git_repo):
    return engine, build(engine, git_repo)


async def test_the_grid_and_the_table_move_as_vim_and_home_end_go_to_the_first_and_last_row(demo):
    from snaptui.screens.sweep import SweepScreen
    from snaptui.widgets.jobtable import JobTable
    from snaptui.widgets.matrix import Matrix

    engine, ids = demo
    app = make_app(engine, refresh_on_start=False, poll_interval=60, start_sweep=ids["grid"])   # lr 3 x batch 4
    async with app.run_test(size=(100, 30)) as pilot:
        await until(pilot, lambda: isinstance(app.screen, SweepScreen) and app.screen.model is not None)
        matrix = app.screen.query_one(Matrix)
        await pilot.press("l", "l", "j")
        assert matrix.cursor == (1, 2) and isinstance(app.screen, SweepScreen)   # l moves, it opens no job
        await pilot.press("h", "k")
        assert matrix.cursor == (0, 1)
        await pilot.press("G")
        assert matrix.cursor == (2, 1)
        await pilot.press("g")
        assert matrix.cursor == (0, 1)
        await pilot.press("end")
        assert matrix.cursor == (2, 1)
        await pilot.press("home", "dollar_sign")
        assert matrix.cursor == (0, 3)
        await pilot.press("0")
        assert matrix.cursor == (0, 0)
        await pilot.press("t")
        table = app.screen.query_one(JobTable)
        await pilot.press("G")
        assert table.cursor == 11
        await pilot.press("g", "j", "j", "k")
        assert table.cursor == 1
        await pilot.press("end")
        assert table.cursor == 11
        await pilot.press("home")
        assert table.cursor == 0


async def test_the_lists_move_as_vim(demo, git_repo):
    from textual.widgets import DataTable, OptionList

    engine, _ = demo
    (git_repo / "a.toml").write_text('name = "a"\ncommand = ["python", "train.py"]\n')
    (git_repo / "b.toml").write_text('name = "b"\ncommand = ["python", "train.py"]\n')
    (git_repo / "c.toml").write_text('name = "c"\ncommand = ["python", "train.py"]\n')
    app = make_app(engine, refresh_on_start=False, poll_interval=60)
    async with app.run_test(size=(100, 30)) as pilot:
        sweeps = app.screen.query_one(DataTable)
        await until(pilot, lambda: sweeps.row_count == 3)
        await pilot.press("G")
        assert sweeps.cursor_row == 2
        await pilot.press("k")
        assert sweeps.cursor_row == 1
        await pilot.press("home")
        assert sweeps.cursor_row == 0
        await pilot.press("end")
        assert sweeps.cursor_row == 2
        await pilot.press("g", "j")
        assert sweeps.cursor_row == 1
        await pilot.press("n")
        files = await until(pilot, lambda: app.screen.query("#files") and app.screen.query_one("#files", OptionList))
        await until(pilot, lambda: files.option_count >= 3)
        await pilot.press("G")
        assert files.highlighted == files.option_count - 1
        await pilot.press("g", "j")
        assert files.highlighted == 1
        await pilot.press("k")
        assert files.highlighted == 0


async def test_escape_clears_a_filter_before_it_leaves_the_sweep(demo):
    from snaptui.screens.sweep import SweepScreen
    from snaptui.screens.sweeps import SweepsScreen

    engine, ids = demo
    app = make_app(engine, refresh_on_start=False, poll_interval=60, start_sweep=ids["grid"])
    async with app.run_test(size=(100, 30)) as pilot:
        await until(pilot, lambda: isinstance(app.screen, SweepScreen) and app.screen.model is not None)
        await pilot.press("f", "f")   # only failed jobs
        await until(pilot, lambda: "only failed" in screen_text(app))
        await pilot.press("escape")
        await until(pilot, lambda: "only failed" not in screen_text(app), message="the filter cleared")
        assert isinstance(app.screen, SweepScreen)
        await pilot.press("slash", *"0.1", "enter")
        await until(pilot, lambda: len(app.screen.view.table.rows) == 4)
        await pilot.press("escape")
        await until(pilot, lambda: len(app.screen.view.table.rows) == 12, message="the text filter cleared")
        assert isinstance(app.screen, SweepScreen)
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, SweepsScreen), message="then it leaves")


async def test_question_mark_lists_the_keys_of_every_screen_and_dialog(demo, fixed_snapshots, monkeypatch):
    """A dialog (a modal screen) passes no key on to the app: ? did nothing in the columns, confirmation and
    gc dialogs; the diff screen's keys were declared outside the registry."""
    from snaptui.engine.snapshot import snapshots as snapshot
    from snaptui.screens.help import HelpScreen

    monkeypatch.setattr(snapshot, "diff_patch", lambda repo, commit, against: ("", False))
    engine, ids = demo
    app = make_app(engine, refresh_on_start=False, poll_interval=60, start_sweep=ids["grid"])
    async with app.run_test(size=(100, 30)) as pilot:
        async def help_lists(screen_name: str, key: str, closes: int = 1) -> None:
            await until(pilot, lambda: type(app.screen).__name__ == screen_name, message=screen_name)
            await pilot.press("question_mark")
            await until(pilot, lambda: isinstance(app.screen, HelpScreen), message=f"help on {screen_name}")
            assert key in [row[1] for row in app.screen.rows], (screen_name, app.screen.rows)
            await pilot.press("escape")
            await until(pilot, lambda: type(app.screen).__name__ == screen_name)
            await pilot.press(*["escape"] * closes)

        await until(pilot, lambda: getattr(app.screen, "model", None) is not None)
        await help_lists("SweepScreen", "Table", closes=0)
        await pilot.press("o")
        await help_lists("ColumnsScreen", "Cancel")
        await pilot.press("down", "right", "right", "c")
        await help_lists("ConfirmScreen", "Yes")
        await pilot.press("p")
        await help_lists("CurvesScreen", "Smooth")
        await pilot.press("enter")
        await help_lists("JobScreen", "Follow")
        await help_lists("SweepScreen", "Table")
        await help_lists("SweepsScreen", "Launch", closes=0)
        await pilot.press("s")
        await help_lists("SnapshotsScreen", "GC", closes=0)
        await pilot.press("x")
        await help_lists("GcScreen", "Cancel")
        await until(pilot, lambda: type(app.screen).__name__ == "SnapshotsScreen")
        await pilot.press("d")
        await help_lists("DiffScreen", "Back")
        await help_lists("SnapshotsScreen", "GC")
        await pilot.press("n")
        await help_lists("LaunchScreen", "Profile")
