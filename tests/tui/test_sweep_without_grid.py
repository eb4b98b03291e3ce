"""A 30,000-job sweep without a grid spec (the parameters of each job given one by one, as a Hydra
sweep's): it opens on the table's first rows while the rest is read, the table is usable meanwhile,
and the grid is laid out from the jobs' parameters once every job is read."""
from __future__ import annotations

from snaptui.engine.states import JobState
from tuikit import make_app, screen_text, until, until_text

N = 30_000


def plain_sweep(engine, git_repo) -> int:
    """N jobs over a=0..299 x b=0..99, tag x for the first half and y for the rest: the product of the
    values (60,000) is not the sweep, so its spec lays out no grid (made with the store API)."""
    jobs = [(i, f"a={i // 100},b={i % 100}", {"a": i // 100, "b": i % 100, "tag": "x" if i < N // 2 else "y"},
             ["python", "train.py", f"a={i // 100}", f"b={i % 100}"]) for i in range(N)]
    spec = {"name": "plain", "command": ["python", "train.py"], "zip": [], "params": {},
            "grid": {"a": list(range(300)), "b": list(range(100)), "tag": ["x", "y"]}}
    sweep_id = engine.store.create_sweep(name="plain", executor="local", profile="local", sweep_file=None, spec=spec,
                                         config={}, snapshot=None, workdir=str(git_repo), env={}, jobs=jobs)
    engine.store.set_sweep_status(sweep_id, "active")
    job = engine.store.job(sweep_id, 1)
    engine.store.update_attempt(job.attempt.id, JobState.RUNNING)
    engine.store.update_attempt(job.attempt.id, JobState.COMPLETED, exit_code=0)
    return sweep_id


async def test_a_30000_job_sweep_without_a_grid_spec_opens_on_its_first_rows_and_every_job_is_reachable(
        engine, git_repo):
    from test_big_sweep import hold_pages
    from snaptui.screens.sweep import SweepScreen
    from snaptui.widgets.jobtable import JobTable
    from snaptui.widgets.matrix import Matrix

    sweep_id = plain_sweep(engine, git_repo)
    gate = hold_pages(engine)
    app = make_app(engine, refresh_on_start=False, start_sweep=sweep_id)
    async with app.run_test(size=(120, 30)) as pilot:
        try:
            await until(pilot, lambda: isinstance(app.screen, SweepScreen) and app.screen.model is not None)
            screen = app.screen
            model, table = screen.model, screen.query_one(JobTable)
            assert not model.laid_out and not model.complete and len(model.jobs) <= 30, "the first screen's rows"
            await until_text(pilot, f"reading {len(model.jobs):,}/30,000 jobs")
            text = screen_text(app)
            assert "1/30000 done" in text and "29999 pending" in text   # the store's counts
            # the table's first rows: drawn in a frame of their own, maybe after the status line
            await until_text(pilot, "a=0,b=1")
            assert "COMPLETED" in screen_text(app)
            assert table.has_focus and table.selected == 0
            await pilot.press("down", "down")
            assert table.selected == 2 and screen.selected_job().label == "a=0,b=2"
            await pilot.press("t")   # the grid: not before every job is read, and says so
            await until_text(pilot, "laid out from the jobs' parameters once every job is read")
            await pilot.press("t", "slash")
            for key in "a=250,b=7":
                await pilot.press(key)
            await pilot.press("enter")
            assert table.rows == [], "job 25007 is not read yet"
        finally:
            gate.set()
        await until(pilot, lambda: table.selected == 250 * 100 + 7, message="the filter finds job 25007 once read")
        await until(pilot, lambda: model.complete and model.laid_out, message="every job read, the grid laid out")
        await until(pilot, lambda: len(table.rows) == 11, message="a=250,b=7 and a=250,b=70..79")
        await until(pilot, lambda: "reading" not in screen_text(app), message="the status line without 'reading'")

        await pilot.press("slash", "escape")   # the filter cleared: End on the last job
        await until(pilot, lambda: not table.filtering and len(table.rows) == N)
        await pilot.press("end")
        await until(pilot, lambda: table.selected == N - 1, message="End on the last job")
        await until_text(pilot, "a=299,b=99")

        await pilot.press("t")   # the grid, from the jobs' parameters: a x b, sliced by tag
        await until_text(pilot, "slice tag=y")
        matrix = screen.query_one(Matrix)
        assert screen.selected_job().index == N - 1 and matrix.cursor == (299, 99)
        assert "rows a" in screen_text(app) and "cols b" in screen_text(app)
