"""The TUI's flows against a real engine running real local jobs in a temp git repository."""
from __future__ import annotations

import pytest

from snaptui.engine.states import JobState
from tuikit import TICKER, launch, make_app, screen_text, until, until_text

pytestmark = pytest.mark.slow


async def test_sweep_job_goes_running_then_completed(engine, git_repo):
    sweep = launch(engine, git_repo, '''
        name = "one"
        command = ["python", "job.py"]
        [grid]
        sleep = [2]
    ''')
    app = make_app(engine)
    async with app.run_test(size=(100, 30)) as pilot:
        await until_text(pilot, "one")
        await pilot.press("enter")
        from snaptui.screens.sweep import SweepScreen
        await until(pilot, lambda: isinstance(app.screen, SweepScreen) and app.screen.model is not None)
        screen = app.screen
        await until(pilot, lambda: screen.model.jobs[0].state is JobState.RUNNING, message="RUNNING in the model")
        await until_text(pilot, "▶ RUNNING")
        await until(pilot, lambda: screen.model.jobs[0].state is JobState.COMPLETED, message="COMPLETED")
        await until_text(pilot, "1/1 done")
        await until_text(pilot, "✔ COMPLETED")
        # the home screen followed the same events
        await pilot.press("escape")
        await until_text(pilot, "✔ 1/1")
    assert engine.sweep(sweep.id).counts == {JobState.COMPLETED: 1}


async def test_cancel_asks_first_and_no_means_no(engine, git_repo):
    sweep = launch(engine, git_repo, '''
        name = "slow"
        command = ["python", "job.py"]
        [grid]
        sleep = [60]
    ''')
    from snaptui.screens.confirm import ConfirmScreen
    from snaptui.screens.sweep import SweepScreen

    app = make_app(engine, start_sweep=sweep.id)
    async with app.run_test(size=(100, 30)) as pilot:
        await until(pilot, lambda: isinstance(app.screen, SweepScreen) and app.screen.model is not None)
        screen = app.screen
        await until(pilot, lambda: screen.model.jobs[0].state is JobState.RUNNING, message="RUNNING")
        # refusal by escape
        await pilot.press("c")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        assert app.focused.id == "no"
        assert f"{sweep.id}/0" in screen_text(app) and "sleep=60" in screen_text(app)
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is screen)
        # refusal by enter on the focused No
        await pilot.press("c")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        earlier = set(app.workers)
        await pilot.press("enter")
        await until(pilot, lambda: app.screen is screen)
        await pilot.pause()  # let the answer's handler run: a cancel would start an engine call
        started = [w for w in app.workers if w not in earlier and w.group == "engine"]
        await until(pilot, lambda: all(w.is_finished for w in started), message="the answer's engine calls")
        job = engine.jobs(sweep.id)[0]
        assert job.state is JobState.RUNNING and not job.attempt.cancel_requested
        # confirmation
        await pilot.press("c")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await until(pilot, lambda: screen.model.jobs[0].state is JobState.CANCELLED, message="CANCELLED")
        await until_text(pilot, "⊘ CANCELLED")
    assert engine.jobs(sweep.id)[0].state is JobState.CANCELLED


async def test_resubmit_failed(engine, git_repo):
    sweep = launch(engine, git_repo, '''
        name = "bad"
        command = ["python", "job.py"]
        [grid]
        code = [1, 2]
    ''')
    from snaptui.screens.resubmit import ResubmitScreen
    from snaptui.screens.sweep import SweepScreen

    app = make_app(engine, start_sweep=sweep.id)
    async with app.run_test(size=(100, 30)) as pilot:
        await until(pilot, lambda: isinstance(app.screen, SweepScreen) and app.screen.model is not None)
        screen = app.screen
        await until(pilot, lambda: all(j.state is JobState.FAILED for j in screen.model.jobs.values()),
                    message="both jobs FAILED")
        await pilot.press("R")
        await until(pilot, lambda: isinstance(app.screen, ResubmitScreen))
        await until_text(pilot, "Resubmit jobs of sweep")
        assert "1 exit 1: " in screen_text(app) and "1 exit 2: " in screen_text(app)
        dialog = app.screen   # an exit code is not ticked at first: the same code fails the same way
        assert [dialog.query_one(f"#group-{n}").value for n in (0, 1)] == [False, False]
        await pilot.click("#group-0")
        await pilot.click("#group-1")
        await pilot.press("y")
        await until(pilot, lambda: all(j.attempt.number == 2 for j in screen.model.jobs.values()),
                    message="second attempts")
        await until_text(pilot, "attempt 2")
    assert [j.attempt.number for j in engine.jobs(sweep.id)] == [2, 2]


async def test_follow_a_growing_log_then_pause_and_resume(engine, git_repo):
    (git_repo / "ticker.py").write_text(TICKER)
    sweep = launch(engine, git_repo, '''
        name = "ticks"
        command = ["python", "ticker.py"]
        [grid]
        n = [160]
    ''')
    from snaptui.screens.job import JobScreen
    from snaptui.widgets.logview import LogView

    app = make_app(engine, start_job=(sweep.id, 0))
    async with app.run_test(size=(100, 30)) as pilot:
        await until(pilot, lambda: isinstance(app.screen, JobScreen))
        log = app.screen.query_one(LogView)
        await until(pilot, lambda: any("tick 5" in log.line(n) for n in range(log.line_count)),
                    message="tick 5 in the log")
        await until_text(pilot, "FOLLOW")            # the status line: another widget, maybe a frame later
        await until_text(pilot, "tick 45")          # the view follows the end
        await pilot.press("up")                     # scrolling up pauses
        await until_text(pilot, "PAUSED")
        await until_text(pilot, "new lines")
        frozen, top = screen_text(app).split("\n")[3:10], log.scroll_y
        await until(pilot, lambda: log.new_lines >= 5, message="lines arriving while paused")
        assert log.scroll_y == top and screen_text(app).split("\n")[3:10] == frozen  # paused: the view stays
        await pilot.press("f")
        await until_text(pilot, "FOLLOW")
        await until(pilot, lambda: log.scroll_y > top, message="the view moved to the end")
        await until_text(pilot, "needle in the haystack")


async def test_search_a_log(engine, git_repo):
    (git_repo / "ticker.py").write_text(TICKER)
    sweep = launch(engine, git_repo, '''
        name = "ticks"
        command = ["python", "ticker.py"]
        [grid]
        n = [30]
    ''')
    from snaptui.screens.job import JobScreen
    from snaptui.widgets.logview import LogView

    app = make_app(engine, start_job=(sweep.id, 0))
    async with app.run_test(size=(100, 30)) as pilot:
        await until(pilot, lambda: isinstance(app.screen, JobScreen))
        log = app.screen.query_one(LogView)
        await until(pilot, lambda: any("needle" in log.line(n) for n in range(log.line_count)),
                    message="the whole log")
        await pilot.press("slash")
        await pilot.press(*"tick 2")
        await pilot.press("enter")
        await until_text(pilot, "/11")
        # "tick 2" and "tick 20".."tick 29": 11 matches, the view left FOLLOW
        assert len(log.matches) == 11
        assert "PAUSED" in screen_text(app)
        first = log.current
        await pilot.press("n")
        assert log.current == (first + 1) % 11
        await pilot.press("N", "N")
        assert log.current == (first - 1) % 11
        assert f"{log.current + 1}/11" in screen_text(app)
        await pilot.press("slash", *"nothing-like-this", "enter")
        await until_text(pilot, "no match")


async def test_quit_and_reopen_while_a_job_runs(engine, git_repo, tmp_path):
    gate = tmp_path / "end-now"   # the job runs until the test says: a 4 s job ended before the reopen under load
    sweep = launch(engine, git_repo, f'''
        name = "survivor"
        command = ["python", "job.py"]
        [grid]
        gate = ["{gate}"]
    ''')
    app = make_app(engine)
    async with app.run_test(size=(100, 30)) as pilot:
        await until(pilot, lambda: engine.jobs(sweep.id)[0].state is JobState.RUNNING, message="RUNNING")
        await until_text(pilot, "▶")
        await pilot.press("q")
        await until(pilot, lambda: not app.is_running, message="the app to quit")
    assert engine.jobs(sweep.id)[0].state is JobState.RUNNING   # quitting cancelled nothing
    again = make_app(engine, start_sweep=sweep.id)
    async with again.run_test(size=(140, 30)) as pilot:   # the job's line holds the gate's path: xdist's is longer
        await until_text(pilot, "▶ RUNNING")
        gate.touch()
        await until_text(pilot, "✔ COMPLETED", timeout=30)
    assert engine.jobs(sweep.id)[0].state is JobState.COMPLETED
