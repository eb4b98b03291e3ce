"""A sweep of 30,000 jobs: the first screen is drawn from the cells it shows while the rest is read
in the background, and every job stays reachable (End, a filter, a change to a job not read yet)."""
from __future__ import annotations

import itertools
import threading

from snaptui.engine.states import JobState
from tuikit import make_app, screen_text, until, until_text

ROWS, COLS = 300, 100


def big_sweep(engine, git_repo) -> int:
    """ROWS x COLS jobs made with the store API (launching 30,000 would take minutes)."""
    jobs = [(i, f"a={i // COLS},b={i % COLS}", {"a": i // COLS, "b": i % COLS},
             ["python", "train.py", f"a={i // COLS}", f"b={i % COLS}"]) for i in range(ROWS * COLS)]
    spec = {"name": "big", "command": ["python", "train.py"], "grid": {"a": list(range(ROWS)), "b": list(range(COLS))},
            "zip": [], "params": {}}
    sweep_id = engine.store.create_sweep(name="big", executor="local", profile="local", sweep_file=None, spec=spec,
                                         config={}, snapshot=None, workdir=str(git_repo), env={}, jobs=jobs)
    engine.store.set_sweep_status(sweep_id, "active")
    first, second = engine.store.jobs_by_index(sweep_id, [0, 1])
    engine.store.update_attempt(first.attempt.id, JobState.RUNNING)
    engine.store.update_attempt(second.attempt.id, JobState.RUNNING)
    engine.store.update_attempt(second.attempt.id, JobState.COMPLETED, exit_code=0)
    return sweep_id


def hold_pages(engine, after: int = 0, given: list | None = None) -> threading.Event:
    """Reading the sweep page by page waits for the returned event once `after` pages were given (the
    first screen's read does not); the size of each page given is appended to `given`."""
    gate, real_pages = threading.Event(), engine.jobs_in_pages

    def held_pages(sweep, size):
        pages = real_pages(sweep, size)
        for n in itertools.count():
            if n == after:
                gate.wait(60)
            page = next(pages, None)
            if page is None:
                return
            if given is not None:
                given.append(len(page))
            yield page
    engine.jobs_in_pages = held_pages
    return gate


async def test_a_30000_job_sweep_is_drawn_before_its_jobs_are_read_and_every_job_is_reachable(engine, git_repo):
    sweep_id = big_sweep(engine, git_repo)
    gate = hold_pages(engine)
    app = make_app(engine, refresh_on_start=False, start_sweep=sweep_id)
    async with app.run_test(size=(120, 30)) as pilot:
        try:
            await first_screen_then_all(pilot, app, engine, sweep_id, gate)
        finally:
            gate.set()   # a failed assertion must not leave the reading thread waiting


async def first_screen_then_all(pilot, app, engine, sweep_id: int, gate: threading.Event) -> None:
    """The grid with the first screen's jobs and the store's counts while the pages are held; a change
    to a job not read yet; then, every job read, End and a filter reach jobs far beyond the first page."""
    from snaptui.screens.sweep import SweepScreen
    from snaptui.widgets.jobtable import JobTable
    from snaptui.widgets.matrix import Matrix

    await until(pilot, lambda: isinstance(app.screen, SweepScreen) and app.screen.model is not None)
    screen = app.screen
    model = screen.model
    assert not model.complete and list(model.jobs) == [0] and 500 < len(model.early_states) < 5000, \
        "the first screen reads its cells' states and the job under the cursor, not the jobs"
    await until_text(pilot, f"reading {len(model.jobs):,}/30,000 jobs")
    text = screen_text(app)
    assert "1/30000 done" in text and "▶ 1 running" in text and "29998 pending" in text   # the store's counts
    grid = text.splitlines()[4:-2]
    assert grid[0].split()[:3] == ["0", "▶", "✔"] and not any("…" in line for line in grid), \
        "every cell of the first screen shows its state"
    assert screen.query_one(Matrix).selected == 0 and screen.selected_job().state is JobState.RUNNING

    # a job the screen has not read changes meanwhile: the change is shown, not lost
    late = engine.store.job(sweep_id, 29_000)
    engine.store.update_attempt(late.attempt.id, JobState.RUNNING)
    await until(pilot, lambda: 29_000 in model.jobs and model.jobs[29_000].state is JobState.RUNNING,
                message="the change to a job not read yet")
    assert model.counts()[JobState.RUNNING] == 2
    await until_text(pilot, "▶ 2 running")
    await pilot.press("C")   # cancelling the whole sweep does not wait for the read: counted from the store
    await until_text(pilot, "29,999 unfinished jobs will be cancelled")
    await pilot.press("escape")   # no
    await until(pilot, lambda: app.screen is screen, message="back on the sweep, nothing cancelled")
    assert not any(job.attempt.cancel_requested for job in engine.jobs(sweep_id)[:10])
    await pilot.press("R")   # resubmitting lists the jobs it takes: refused until every one is read
    await until(pilot, lambda: any("still reading this sweep's jobs" in n.message for n in app._notifications),
                message="the refusal")

    gate.set()
    await until(pilot, lambda: model.complete, message="every job read")
    await until(pilot, lambda: "reading" not in screen_text(app), message="the status line without 'reading'")
    await until(pilot, lambda: "1/30000 done" in screen_text(app) and "▶ 2 running" in screen_text(app),
                message="the counts once every job is read")
    assert model.jobs[29_000].state is JobState.RUNNING   # the page read later did not undo it

    await pilot.press("t")
    table = screen.query_one(JobTable)
    await pilot.press("end")
    await until(pilot, lambda: table.selected == ROWS * COLS - 1, message="End on the last job")
    await until_text(pilot, f"a={ROWS - 1},b={COLS - 1}")

    await pilot.press("home", "slash")
    for key in "a=250,b=7":
        await pilot.press(key)
    await until(pilot, lambda: table.selected == 250 * COLS + 7, message="the filter finds job 25007")
    assert len(table.rows) == 11   # a=250,b=7 and a=250,b=70..79


def test_a_model_started_from_the_first_screen_takes_the_rest_without_undoing_newer_changes():
    from types import SimpleNamespace

    from snaptui.engine.models import Attempt, Job
    from snaptui.display.model import SweepModel

    def job(index: int, state=JobState.PENDING) -> Job:
        return Job(1, index, f"a={index // 4},b={index % 4}", {"a": index // 4, "b": index % 4}, ["x"],
                   Attempt(index + 1, 1, index, 1, state))

    sweep = SimpleNamespace(id=1, spec={"grid": {"a": [0, 1, 2], "b": [0, 1, 2, 3]}}, config={},
                            counts={JobState.PENDING: 12}, total=12)
    assert SweepModel.laid_out_by_spec(sweep)
    model = SweepModel(sweep, [], total=12)
    assert model.cells(2, 2) == [0, 1, 4, 5] and model.position(11) == (2, 3)   # from the spec alone
    model.add([job(i) for i in model.cells(2, 2)])
    assert not model.complete and model.counts() == {JobState.PENDING: 12}      # the store's count
    assert model.update([job(11, JobState.RUNNING)]) == {11}                     # a change to a job not read
    model.set_counts({JobState.PENDING: 11, JobState.RUNNING: 1})
    assert model.add([job(i) for i in range(12)]) == [2, 3, 6, 7, 8, 9, 10]      # the page read before it
    assert model.complete and model.jobs[11].state is JobState.RUNNING
    assert model.counts() == {JobState.PENDING: 11, JobState.RUNNING: 1} and model.order == list(range(12))
    assert model.running == {11}   # what the once-a-second tick goes over, instead of every job
    assert model.update([job(11, JobState.COMPLETED), job(3, JobState.RUNNING)]) == {3, 11}
    assert model.running == {3} and model.counts() == {JobState.PENDING: 10, JobState.RUNNING: 1,
                                                       JobState.COMPLETED: 1}   # kept, not counted again
    paged = SweepModel(sweep, [], total=12)
    for page in ([job(i) for i in paged.cells(2, 2)], [job(i) for i in range(6)], [job(i) for i in range(6, 12)]):
        paged.add(page)   # the first screen's cells, then pages in index order
    assert paged.order == list(range(12)) and paged.complete


async def test_a_cursor_move_draws_what_a_full_redraw_would(engine, git_repo):
    """A cursor key redraws only the lines it changed (the header, the old row and the new one): what is
    on screen after each move must equal the view drawn again from scratch."""
    from demo_store import build
    from snaptui.screens.sweep import SweepScreen
    from snaptui.widgets.jobtable import JobTable
    from snaptui.widgets.matrix import Matrix

    def shown(app) -> list:
        return [[(segment.text, segment.style) for segment in strip]
                for strip in app.screen._compositor.render_strips()]

    sweep_id = build(engine, git_repo)["grid"]
    app = make_app(engine, refresh_on_start=False, start_sweep=sweep_id)
    async with app.run_test(size=(100, 30)) as pilot:
        await until(pilot, lambda: isinstance(app.screen, SweepScreen) and app.screen.model is not None)
        for keys, view in ((["right", "down", "right", "left", "up", "down"], Matrix),
                           (["t", "down", "down", "up", "down"], JobTable)):
            for key in keys:
                await pilot.press(key)
                await pilot.pause()
                drawn = shown(app)
                app.screen.query_one(view).refresh()
                await pilot.pause()
                assert shown(app) == drawn, f"after {key!r} the {view.__name__} differs from a full redraw"
