"""What a sweep screen reads in the background must not stall keys or outlive the screen: the metrics
read when the sweep is left mid-read, a key pressed while a large sweep's pages are read."""
from __future__ import annotations

import threading

from snaptui.engine.states import JobState
from tuikit import make_app, until


async def test_leaving_a_sweep_while_its_metrics_are_read_shows_no_error(engine, git_repo):
    """The metrics read went on in its thread after the screen was gone and asked it for the time:
    'NoActiveAppError' popped up as an error on the screen the user had gone back to."""
    from demo_store import build
    from snaptui.screens.sweep import SweepScreen
    from snaptui.screens.sweeps import SweepsScreen

    sweep_id = build(engine, git_repo)["grid"]   # has running jobs: its metrics are read
    entered, release = threading.Event(), threading.Event()
    real_metrics = engine.metrics

    def held_metrics():
        metrics, real_update = real_metrics(), None
        real_update = metrics.update

        def update(*args, **kwargs):
            entered.set()
            release.wait(30)
            return real_update(*args, **kwargs)
        metrics.update = update
        return metrics
    engine.metrics = held_metrics
    app = make_app(engine, refresh_on_start=False)
    async with app.run_test(size=(120, 30)) as pilot:
        try:
            await until(pilot, lambda: isinstance(app.screen, SweepsScreen), message="the sweeps list")
            app.push_screen(SweepScreen(sweep_id))
            await until(pilot, lambda: entered.is_set(), message="the metrics read under way")
            screen = app.screen
            app.pop_screen()
            await until(pilot, lambda: isinstance(app.screen, SweepsScreen) and not screen.is_attached,
                        message="back on the sweeps list")
        finally:
            release.set()
        await until(pilot, lambda: not any(w.group == "metrics" and not w.is_finished for w in app.workers),
                    message="the metrics read to end")
        await pilot.pause()
        errors = [n.message for n in app._notifications if n.severity == "error"]
        assert not errors, errors


async def test_keys_are_answered_while_a_large_sweep_is_read_and_its_jobs_are_freed_when_left(engine, git_repo):
    """Pages held after the second: the cursor moves and the frame shows it while the read is under way,
    pages read meanwhile are drawn; the jobs read are kept out of full garbage collections (gc.freeze)
    only while the sweep is shown."""
    import gc

    from test_big_sweep import COLS, ROWS, big_sweep, hold_pages
    from snaptui.screens.sweep import SweepScreen
    from snaptui.screens.sweeps import SweepsScreen
    from snaptui.widgets.matrix import Matrix

    sweep_id = big_sweep(engine, git_repo)
    pages_given: list[int] = []
    gate = hold_pages(engine, after=2, given=pages_given)
    app = make_app(engine, refresh_on_start=False)
    async with app.run_test(size=(120, 30)) as pilot:
        try:
            await until(pilot, lambda: isinstance(app.screen, SweepsScreen), message="the sweeps list")
            app.push_screen(SweepScreen(sweep_id))
            await until(pilot, lambda: isinstance(app.screen, SweepScreen) and app.screen.model is not None)
            screen = app.screen
            model, matrix = screen.model, screen.query_one(Matrix)
            await until(pilot, lambda: len(pages_given) == 2 and len(model.jobs) >= sum(pages_given),
                        message="two pages filed")
            await pilot.press("down", "right")
            assert matrix.cursor == (1, 1) and not model.complete
            assert screen.selected_job().index == COLS + 1
            assert "reading" in str(screen.query_one("#status").render())
            assert gc.get_freeze_count() > 0, "the jobs read are kept out of full collections"
        finally:
            gate.set()
        await until(pilot, lambda: model.complete, message="every job read")
        assert len(model.jobs) == ROWS * COLS
        app.pop_screen()
        await until(pilot, lambda: isinstance(app.screen, SweepsScreen) and not screen.is_attached)
        assert gc.get_freeze_count() == 0, "the sweep left, its jobs can be collected"


async def test_a_table_sorted_while_the_sweep_is_read_takes_each_page_in_order(engine, git_repo):
    """Sorted by state, the rows of pages read later are merged in where the sort puts them: once every
    job is read the table is what sorting it whole gives, and the cursor stayed on its job."""
    from test_big_sweep import big_sweep, hold_pages
    from snaptui.screens.sweep import SweepScreen
    from snaptui.widgets.jobtable import JobTable

    sweep_id = big_sweep(engine, git_repo)
    for index in (5, 12_345, 29_999):   # some states to sort by, in pages read late
        job = engine.store.job(sweep_id, index)
        engine.store.update_attempt(job.attempt.id, JobState.RUNNING)
        engine.store.update_attempt(job.attempt.id, JobState.FAILED, exit_code=1)
    gate = hold_pages(engine)
    app = make_app(engine, refresh_on_start=False, start_sweep=sweep_id)
    async with app.run_test(size=(120, 30)) as pilot:
        try:
            await until(pilot, lambda: isinstance(app.screen, SweepScreen) and app.screen.model is not None)
            screen, table = app.screen, app.screen.query_one(JobTable)
            await pilot.press("t", "s", "s")
            await until(pilot, lambda: table.sort_key == "state", message="sorted by state")
            await pilot.press("down")
            chosen = table.selected
        finally:
            gate.set()
        await until(pilot, lambda: screen.model.complete, message="every job read")
        await until(pilot, lambda: len(table.rows) == 30_000, message="every row in the table")
        merged = list(table.rows)
        assert table.selected == chosen, "the cursor stayed on its job"
        table.rebuild()
        assert merged == table.rows, "the merged rows are in the order a whole sort gives"
        assert [table.rows.index(i) for i in (5, 12_345, 29_999)] == [29_997, 29_998, 29_999]   # failed: last


async def test_end_on_the_table_while_the_sweep_is_read_shows_the_last_job_and_enter_opens_it(engine, git_repo):
    """The pages held after the first screen: the table has a row for every job of the sweep, End goes to
    job 29,999 (not the last job read), its row is read from the store by position and drawn, and Enter
    opens it; PageUp and Home go back through rows read the same way."""
    from test_big_sweep import big_sweep, hold_pages
    from tuikit import screen_text
    from snaptui.screens.job import JobScreen
    from snaptui.screens.sweep import SweepScreen
    from snaptui.widgets.jobtable import JobTable

    sweep_id = big_sweep(engine, git_repo)
    gate = hold_pages(engine)
    app = make_app(engine, refresh_on_start=False, start_sweep=sweep_id)
    async with app.run_test(size=(120, 30)) as pilot:
        try:
            await until(pilot, lambda: isinstance(app.screen, SweepScreen) and app.screen.model is not None)
            screen, table = app.screen, app.screen.query_one(JobTable)
            await pilot.press("t")
            await until(pilot, lambda: table.has_focus and len(table.rows) == 30_000, message="a row for every job")
            await pilot.press("end")
            await until(pilot, lambda: table.selected == 29_999, message="the cursor on the sweep's last job")
            await until(pilot, lambda: "a=299,b=99" in screen_text(app), message="the last job's row drawn")
            assert not screen.model.complete and len(screen.model.jobs) < 100, "read by position, not by the pages"
            assert screen.selected_job().index == 29_999
            await pilot.press("pageup")
            await until(pilot, lambda: table.selected < 29_999 and table.selected in screen.model.jobs
                        and screen.model.jobs[table.selected].label in screen_text(app), message="a page up drawn")
            await pilot.press("end", "enter")
            await until(pilot, lambda: isinstance(app.screen, JobScreen) and app.screen.index == 29_999,
                        message="the last job opened")
            await until(pilot, lambda: "299,b=99" in screen_text(app), message="its screen shows it")
            await pilot.press("escape")
            await until(pilot, lambda: app.screen is screen, message="back on the sweep")
            await pilot.press("home")
            await until(pilot, lambda: table.selected == 0 and "a=0,b=0" in screen_text(app), message="home")
            assert not screen.model.complete
        finally:
            gate.set()
        await until(pilot, lambda: screen.model.complete, message="every job read")
        await until(pilot, lambda: isinstance(table.rows, list) and table.rows == list(range(30_000)),
                    message="the rows of every job read")
