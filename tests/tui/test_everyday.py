"""Issue 13, the TUI for everyday use: each item a new user met, as a Pilot test on a real engine."""
from __future__ import annotations

import textwrap

import pytest

from snaptui import actions
from snaptui.engine.states import JobState
from demo_store import build
from tuikit import launch, make_app, screen_text, until, until_text


# -- 9: a remap that collides is refused, naming both actions ---------------------------------
def test_colliding_remap_is_refused_naming_both_actions():
    applied, warnings = actions.safe_keymap(actions.expand_keymap({"sweep.cancel": "x", "resubmit": "ctrl+r"}))
    assert "sweep.cancel" not in applied and applied["sweep.resubmit"] == "ctrl+r"
    assert len(warnings) == 1 and "'sweep.cancel'" in warnings[0] and "'sweep.row_axis'" in warnings[0]
    # freeing the key by remapping its owner too is accepted
    applied, warnings = actions.safe_keymap({"sweep.cancel": "x", "sweep.row_axis": "X"})
    assert applied == {"sweep.cancel": "x", "sweep.row_axis": "X"} and not warnings
    # an app-wide key collides on every screen
    assert actions.keymap_conflicts({"job.wrap": "question_mark"}) == [("job.wrap", "question_mark", "app.help")]


async def test_readme_keymap_example_warns_and_x_still_picks_rows(engine, git_repo):
    from snaptui.engine.api import Engine
    from snaptui.screens.sweep import SweepScreen

    sweep = build(engine, git_repo)["grid"]
    config = git_repo / "snaptui.toml"
    config.write_text(config.read_text() + textwrap.dedent('''
        [keymap]
        "sweep.cancel" = "x"
    '''))
    app = make_app(Engine(git_repo), refresh_on_start=False, start_sweep=sweep)
    async with app.run_test(size=(120, 30)) as pilot:
        await until(pilot, lambda: isinstance(app.screen, SweepScreen) and app.screen.model is not None)
        warned = [n for n in app._notifications if "[keymap] 'sweep.cancel' = 'x' not applied" in n.message]
        assert len(warned) == 1 and "sweep.row_axis" in warned[0].message
        assert not warned[0].markup                                   # shown literally, not eaten as markup
        before = app.screen.model.row_axis
        await pilot.press("x")
        await until(pilot, lambda: app.screen.model.row_axis != before, message="x still cycles the rows")


# -- 6: square brackets are text ----------------------------------------------------------------
async def test_launch_example_keeps_its_grid_line(tmp_path, monkeypatch):
    from snaptui.engine.api import Engine
    from snaptui.screens.launch import LaunchScreen
    from tests.conftest import git

    repo = tmp_path / "empty"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    app = make_app(Engine(repo), refresh_on_start=False, start="launch")
    async with app.run_test(size=(120, 30)) as pilot:
        await until(pilot, lambda: isinstance(app.screen, LaunchScreen))
        await until_text(pilot, "No sweep file")
        text = screen_text(app)
        assert "[grid]" in text and 'lr = [0.1, 0.01]' in text


# -- 3 and 10: r asks first; R names the states it retries ---------------------------------------
@pytest.mark.slow
async def test_r_on_one_job_asks_first_and_no_means_no(engine, git_repo):
    from snaptui.screens.confirm import ConfirmScreen
    from snaptui.screens.job import JobScreen
    from snaptui.screens.sweep import SweepScreen

    sweep = launch(engine, git_repo, '''
        name = "one"
        command = ["python", "job.py"]
        [grid]
        code = [0, 3]
    ''')
    app = make_app(engine, start_sweep=sweep.id)
    async with app.run_test(size=(120, 30)) as pilot:
        await until(pilot, lambda: isinstance(app.screen, SweepScreen) and app.screen.model is not None)
        screen = app.screen
        await until(pilot, lambda: all(j.state.is_final for j in screen.model.jobs.values()), message="both end")
        await pilot.press("r")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        assert app.focused.id == "no" and f"Resubmit job {sweep.id}/0?" in screen_text(app)
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is screen)
        await pilot.press("enter")                                   # the log view asks too
        await until(pilot, lambda: isinstance(app.screen, JobScreen) and app.screen.job is not None)
        await pilot.press("r")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("n")
        await until(pilot, lambda: isinstance(app.screen, JobScreen))
        await pilot.press("escape")
        assert engine.jobs(sweep.id)[1].state is JobState.FAILED
        await pilot.press("R")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        assert "(1 failed)" in screen_text(app)
        await pilot.press("n")
    assert [j.attempt.number for j in engine.jobs(sweep.id)] == [1, 1]   # nothing was resubmitted


# -- 1: the launch screen never launches a job list that differs from the file --------------------
@pytest.mark.slow
async def test_launch_preview_follows_edits_and_new_files_and_a_stale_plan_is_refused(engine, git_repo):
    from snaptui.screens.confirm import ConfirmScreen
    from snaptui.screens.launch import LaunchScreen
    from snaptui.screens.sweep import SweepScreen
    from tests.conftest import write_sweep

    two = 'name = "edit"\ncommand = ["python", "job.py"]\n[grid]\nsleep = [0, 0.1]\n'
    three = 'name = "edit"\ncommand = ["python", "job.py"]\n[grid]\nsleep = [0, 0.1, 0.2]\n'
    path = write_sweep(git_repo, two, "edit.toml")
    app = make_app(engine, start="launch")
    async with app.run_test(size=(120, 30)) as pilot:
        await until(pilot, lambda: isinstance(app.screen, LaunchScreen))
        screen = app.screen
        await until_text(pilot, "edit: 2 jobs on local")
        path.write_text(three)                                        # edited elsewhere
        await until_text(pilot, "edit: 3 jobs on local")
        write_sweep(git_repo, 'name = "late"\ncommand = ["python", "job.py"]\n', "late.toml")
        await until_text(pilot, "late.toml")                          # a new file is listed
        assert screen.file == "edit.toml"                             # the choice stays
        await pilot.press("ctrl+l")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        assert "3 jobs" in screen_text(app)
        path.write_text(two)                                          # edited while the dialog is open
        await pilot.press("y")
        await until(pilot, lambda: any("changed since its preview" in n.message for n in app._notifications),
                    message="the stale launch refused")
        assert not engine.sweeps()                                    # nothing was launched
        await until_text(pilot, "edit: 2 jobs on local")
        await pilot.press("ctrl+l")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await until(pilot, lambda: isinstance(app.screen, SweepScreen) and app.screen.model is not None, timeout=60)
        assert len(app.screen.model.jobs) == 2
