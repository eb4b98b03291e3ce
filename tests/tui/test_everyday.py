"""Issue 13, the TUI for everyday use: each item a new user met, as a Pilot test on a real engine."""
from __future__ import annotations

import textwrap

import pytest

from snaptui.display import actions
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
        # the example is another widget than the notice: it may come a frame later (brackets eaten: never)
        await until(pilot, lambda: "[grid]" in screen_text(app) and 'lr = [0.1, 0.01]' in screen_text(app),
                    message="the example's [grid] line")


# -- 3 and 10: r asks first; R names the states it retries ---------------------------------------
@pytest.mark.slow
async def test_r_on_one_job_asks_first_and_no_means_no(engine, git_repo):
    from snaptui.screens.confirm import ConfirmScreen
    from snaptui.screens.resubmit import ResubmitScreen
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
        await until_text(pilot, f"Resubmit job {sweep.id}/0?")   # pushed, then drawn
        assert app.focused.id == "no"
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
        await until(pilot, lambda: isinstance(app.screen, ResubmitScreen))
        await until_text(pilot, "1 exit 3: ")
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
        await until_text(pilot, "3 jobs")
        path.write_text(two)                                          # edited while the dialog is open
        await pilot.press("y")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen)
                    and "changed since its preview" in app.screen.body,
                    message="the stale launch refused, in a dialog that waits")
        assert not engine.sweeps()                                    # nothing was launched
        await pilot.press("enter")
        await until_text(pilot, "edit: 2 jobs on local")
        await pilot.press("ctrl+l")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await until(pilot, lambda: isinstance(app.screen, SweepScreen) and app.screen.model is not None, timeout=60)
        assert len(app.screen.model.jobs) == 2


@pytest.mark.slow
async def test_launch_asked_for_while_the_dry_run_runs_opens_the_dialog_when_it_is_done(engine, git_repo):
    """ctrl+l during a dry run (a slow filesystem, a big grid) must not answer "pick a valid sweep file"."""
    import threading
    from snaptui.screens.confirm import ConfirmScreen
    from snaptui.screens.launch import LaunchScreen
    from tests.conftest import write_sweep

    write_sweep(git_repo, 'name = "slow"\ncommand = ["python", "job.py"]\n[grid]\nsleep = [0, 0.1]\n', "slow.toml")
    gate, real_plan = threading.Event(), engine.plan
    engine.plan = lambda *args, **kwargs: gate.wait(60) and real_plan(*args, **kwargs)  # the dry run is held
    app = make_app(engine, start="launch")
    async with app.run_test(size=(120, 30)) as pilot:
        await until(pilot, lambda: isinstance(app.screen, LaunchScreen) and app.screen._planning)
        await pilot.press("ctrl+l")
        await until(pilot, lambda: any("opens when its jobs are known" in n.message for n in app._notifications))
        assert not isinstance(app.screen, ConfirmScreen)
        gate.set()
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await until(pilot, lambda: "2 jobs on local" in screen_text(app))   # pushed, then drawn


@pytest.mark.slow
async def test_a_tui_launch_shows_the_notes_the_cli_prints(git_repo):
    """What `snaptui launch` prints as `note:` lines (here: the push going on in the background) is not lost
    on the TUI: each becomes a notification."""
    from snaptui.engine.api import Engine
    from snaptui.screens.confirm import ConfirmScreen
    from snaptui.screens.sweep import SweepScreen
    from tests.conftest import stop_everything, write_sweep

    config = git_repo / "snaptui.toml"
    config.write_text(config.read_text().replace("[snapshot]\n",
                                                 '[snapshot]\npush_to_remote = true\nremote = "nowhere"\n'))
    write_sweep(git_repo, 'name = "noted"\ncommand = ["python", "job.py"]\n', "noted.toml")
    engine = Engine(git_repo)
    try:
        app = make_app(engine, start="launch")
        async with app.run_test(size=(120, 30)) as pilot:
            await until_text(pilot, "noted: 1 job on local")
            await pilot.press("ctrl+l")
            await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
            await pilot.press("y")
            await until(pilot, lambda: isinstance(app.screen, SweepScreen), timeout=60)
            await until(pilot, lambda: any("in the background" in n.message and "nowhere" in n.message
                                           for n in app._notifications), message="the push note")
    finally:
        stop_everything(git_repo)


# -- 7: the job table ----------------------------------------------------------------------------
def test_labels_sort_by_their_numbers():
    from snaptui.widgets.jobtable import natural_key

    labels = ["lr=49", "lr=9", "lr=0.01", "lr=1e-3", "run-10", "run-2", "lr=10,seed=10", "lr=10,seed=2"]
    assert sorted(labels, key=natural_key) == ["lr=1e-3", "lr=0.01", "lr=9", "lr=10,seed=2", "lr=10,seed=10",
                                               "lr=49", "run-2", "run-10"]


def many_jobs(engine, git_repo, n: int = 60) -> int:
    jobs = [(i, f"lr={i}", {"lr": i}, ["python", "train.py", f"lr={i}"]) for i in range(n)]
    sweep_id = engine.store.create_sweep(name="many", executor="local", profile="local", sweep_file=None,
                                         spec={"grid": {"lr": list(range(n))}}, config={}, snapshot=None,
                                         workdir=str(git_repo), env={}, jobs=jobs)
    engine.store.set_sweep_status(sweep_id, "active")
    job = engine.store.job(sweep_id, 7)
    engine.store.update_attempt(job.attempt.id, JobState.RUNNING)
    engine.store.update_attempt(job.attempt.id, JobState.FAILED, exit_code=1)
    job = engine.store.job(sweep_id, min(42, n - 1))
    engine.store.update_attempt(job.attempt.id, JobState.RUNNING)
    engine.store.update_attempt(job.attempt.id, JobState.TIMEOUT)
    return sweep_id


async def test_table_sort_keeps_the_cursor_in_view_in_header_order_and_says_so(engine, git_repo):
    from snaptui.screens.sweep import SweepScreen
    from snaptui.widgets.jobtable import JobTable

    sweep_id = many_jobs(engine, git_repo)
    app = make_app(engine, refresh_on_start=False, start_sweep=sweep_id)
    async with app.run_test(size=(100, 24)) as pilot:
        await until(pilot, lambda: isinstance(app.screen, SweepScreen) and app.screen.model is not None)
        await pilot.press("t")
        table = app.screen.query_one(JobTable)
        await pilot.press("G")                                        # vim: last row
        await until(pilot, lambda: table.selected == 59)
        await pilot.press("S")                                        # reverse: job 59 is now first
        await until(pilot, lambda: table.cursor == 0 and table.scroll_y == 0, message="the cursor in view")
        assert "lr=59" in screen_text(app)
        order = []
        for _ in range(4):
            await pilot.press("s")
            order.append(table.sort_key)
        assert order == ["label", "state", "cause", "attempt"]   # left to right, as the header
        assert "sorted by att" in screen_text(app)
        await pilot.click(JobTable, offset=(3, 0))                    # the "#" header
        await until(pilot, lambda: table.sort_key == "index")
        await until_text(pilot, "sorted by #")
        await pilot.press("g", "j", "j")
        assert table.selected == 2
        await pilot.press("F")                                        # the next failed job
        await until(pilot, lambda: table.selected == 7)
        await pilot.press("F")
        await until(pilot, lambda: table.selected == 42)


async def test_next_failed_from_the_grid(engine, git_repo):
    from snaptui.screens.sweep import SweepScreen

    sweep_id = many_jobs(engine, git_repo, 12)
    app = make_app(engine, refresh_on_start=False, start_sweep=sweep_id)
    async with app.run_test(size=(100, 30)) as pilot:
        await until(pilot, lambda: isinstance(app.screen, SweepScreen) and app.screen.model is not None)
        await pilot.press("F")
        await until(pilot, lambda: app.screen.selected_job() is not None and app.screen.selected_job().index == 7)
        await until_text(pilot, "✘ FAILED")


async def test_f_filters_the_table_by_state_and_the_caption_says_which(engine, git_repo):
    from snaptui.screens.sweep import SweepScreen
    from snaptui.widgets.jobtable import JobTable
    from snaptui.widgets.matrix import Matrix

    sweep_id = many_jobs(engine, git_repo, 12)                        # 7 failed, 11 timed out, the rest pending
    for index, state in ((3, JobState.COMPLETED), (4, JobState.CANCELLED), (5, JobState.RUNNING)):
        attempt = engine.store.job(sweep_id, index).attempt
        if state is not JobState.CANCELLED:
            engine.store.update_attempt(attempt.id, JobState.RUNNING)
        if state is not JobState.RUNNING:
            engine.store.update_attempt(attempt.id, state)
    app = make_app(engine, refresh_on_start=False, start_sweep=sweep_id)
    async with app.run_test(size=(120, 30)) as pilot:
        await until(pilot, lambda: isinstance(app.screen, SweepScreen) and app.screen.model is not None)
        table = app.screen.query_one(JobTable)
        await pilot.press("t")
        await until_text(pilot, "table: 12 jobs")
        assert len(table.rows) == 12 and "only" not in screen_text(app)
        shown = {}
        for _ in range(5):
            await pilot.press("f")
            shown[table.state_filter] = sorted(table.rows)
            assert f"only {table.state_filter}" in screen_text(app)
            assert f"table: {len(table.rows)} of 12 jobs" in screen_text(app)
        assert shown == {"running": [5], "failed": [7, 11], "pending": [0, 1, 2, 6, 8, 9, 10],
                         "completed": [3], "cancelled": [4]}
        assert "lr=4" in screen_text(app) and "lr=3" not in screen_text(app)   # the cancelled job alone
        await pilot.press("f")                                        # round to all
        await until_text(pilot, "table: 12 jobs")
        assert table.state_filter == "all" and len(table.rows) == 12 and "only" not in screen_text(app)

        await pilot.press("f", "f")                                   # failed, combined with the `/` text
        await pilot.press("slash", *"lr=1", "enter")
        await until(pilot, lambda: table.rows == [11], message="failed jobs whose label holds lr=1")
        await pilot.press("slash", "escape")                          # the text goes, the state filter stays
        await until(pilot, lambda: sorted(table.rows) == [7, 11])

        await pilot.press("f", "f", "f", "f", "f")                    # running, on a live sweep
        assert table.state_filter == "running" and table.rows == [5]
        attempt = engine.store.job(sweep_id, 5).attempt
        engine.store.update_attempt(attempt.id, JobState.COMPLETED)   # it finishes: it leaves the view
        await until(pilot, lambda: table.rows == [], message="the finished job leaves the running filter")
        await until_text(pilot, "table: 0 of 12 jobs")
        await pilot.press("t")                                        # the grid dims what the filter hides
        assert app.screen.query_one(Matrix).matches == set()
        assert "only running" in screen_text(app)


# -- 8: 80 columns --------------------------------------------------------------------------------
@pytest.mark.parametrize("start", [None, "sweep", "job"])
async def test_help_stays_in_the_footer_at_80_columns(engine, git_repo, start):
    sweep_id = build(engine, git_repo)["grid"]
    kwargs = {"sweep": {"start_sweep": sweep_id}, "job": {"start_job": (sweep_id, 6)}}.get(start, {})
    app = make_app(engine, refresh_on_start=False, **kwargs)
    async with app.run_test(size=(80, 24)) as pilot:
        await until_text(pilot, "? Help")
        if start is None:
            await until_text(pilot, "⏎ Open")                          # enter, in the footer of home


@pytest.mark.parametrize("size", [(160, 48), (80, 24)])
async def test_a_click_on_a_footer_key_does_what_the_key_does(engine, git_repo, size):
    from snaptui.screens.help import HelpScreen
    from snaptui.widgets.footer import SnaptuiFooter

    sweep_id = build(engine, git_repo)["grid"]
    app = make_app(engine, refresh_on_start=False, start_sweep=sweep_id)
    async with app.run_test(size=size) as pilot:
        await until_text(pilot, "t Table")
        footer = screen_text(app).splitlines()[-1]
        await pilot.click(SnaptuiFooter, offset=(footer.index("t Table") + 3, 0))   # on "Table"
        await until_text(pilot, "table: 12 jobs")
        await pilot.click(SnaptuiFooter, offset=(footer.index("? Help"), 0))
        await until(pilot, lambda: isinstance(app.screen, HelpScreen), message="the help screen")


async def test_the_footer_key_under_the_mouse_is_highlighted_and_offers_its_help(engine, git_repo):
    from snaptui.display import actions
    from snaptui.widgets.footer import SnaptuiFooter

    sweep_id = build(engine, git_repo)["grid"]
    app = make_app(engine, refresh_on_start=False, start_sweep=sweep_id)
    async with app.run_test(size=(160, 48)) as pilot:
        await until_text(pilot, "t Table")
        footer = app.screen.query_one(SnaptuiFooter)
        text = screen_text(app).splitlines()[-1]
        table_at, help_at = text.index("t Table") + 3, text.index("? Help")

        def background(x: int):
            strip = app.screen._compositor.render_strips()[-1]
            for segment in strip:
                if x < segment.cell_length:
                    return segment.style.bgcolor if segment.style else None
                x -= segment.cell_length

        plain = background(table_at)
        assert footer.tooltip is None
        await pilot.hover(SnaptuiFooter, offset=(table_at, 0))
        await until(pilot, lambda: background(table_at) != plain, message="the hovered key highlighted")
        assert background(help_at) == plain
        assert footer.tooltip == next(a.help for a in actions.ACTIONS if a.id == "sweep.toggle_table")
        await pilot.hover(SnaptuiFooter, offset=(help_at, 0))
        await until(pilot, lambda: background(help_at) != plain and background(table_at) == plain,
                    message="the highlight follows the mouse")
        assert footer.tooltip == "List the keys of this screen"


async def test_help_entries_fit_one_line_at_80_columns_and_list_enter(engine, git_repo):
    from snaptui.screens.help import HelpScreen

    build(engine, git_repo)
    app = make_app(engine, refresh_on_start=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await until_text(pilot, "lr-grid")
        await pilot.press("question_mark")
        await until(pilot, lambda: isinstance(app.screen, HelpScreen))
        await until_text(pilot, "sweeps.open")
        lines = screen_text(app).splitlines()
        row = next(n for n, line in enumerate(lines) if "sweeps.open" in line)
        assert "Open" in lines[row] and "sweeps.filter" in lines[row + 1]   # one line per entry


# -- 10: one ETA, not optimistic --------------------------------------------------------------------
def _job(index, state, started=None, ended=None):
    from types import SimpleNamespace

    return SimpleNamespace(index=index, state=state, params={},
                           attempt=SimpleNamespace(started_at=started, ended_at=ended, state=state, results={},
                                                   expected_start=None, reason=None, cause=None, exit_code=None,
                                                   detail=None, cause_label=""))


def test_eta_counts_waves_and_jobs_running_longer_than_the_finished_ones():
    from snaptui.engine.sweep.eta import eta_seconds, slots_of

    now = 100.0
    # one 10 s job done, five waiting, two slots: waves of 2, 2, 1 -> 30 s (the mean over slots said 25)
    jobs = [_job(0, JobState.COMPLETED, 0, 10)] + [_job(i, JobState.PENDING) for i in range(1, 6)]
    assert eta_seconds(jobs, now, slots=2) == pytest.approx(30)
    # a 2 s job finished first; two have run 9 s already: the rest will not take 2 s each
    jobs = [_job(0, JobState.COMPLETED, 0, 2), _job(1, JobState.RUNNING, now - 9), _job(2, JobState.RUNNING, now - 9),
            _job(3, JobState.PENDING), _job(4, JobState.PENDING)]
    assert eta_seconds(jobs, now, slots=2) > 6.0
    assert slots_of({"executor": {"max_parallel_jobs": 4}}) == 4 and slots_of({}) is None
    assert eta_seconds([_job(0, JobState.RUNNING, now - 1)], now) is None   # nothing finished: no guess


def test_eta_follows_the_rate_jobs_end_at_when_the_cluster_gives_fewer_slots_than_allowed():
    """1,500 one-second tasks allowed 256 at a time, on a cluster that ran about 1.5 per second: after 60 s
    and 90 ended, the slot model alone says under a second; the rate says the 1,410 left need ~940 s."""
    from snaptui.engine.sweep.eta import eta_seconds

    now = 1000.0
    done = [_job(i, JobState.COMPLETED, now - 60 + i * 60 / 90, now - 60 + i * 60 / 90 + 0.05) for i in range(90)]
    jobs = done + [_job(90 + i, JobState.PENDING) for i in range(1410)]
    assert eta_seconds(jobs, now, slots=256) == pytest.approx(1410 / (90 / (done[-1].attempt.ended_at - (now - 60))))
    assert eta_seconds(done[:5] + jobs[90:], now, slots=256) < 60   # five ended: too few to trust their rate


def test_batch_and_tui_share_the_estimate_and_its_text():
    """One ETA text (issue 16): batch mode printed 'eta 10s' and nothing before an estimate; it now shows
    the TUI's 'ETA 10s', and 'ETA -' until a job has finished."""
    from types import SimpleNamespace

    import snaptui.cli.batch as batch
    import snaptui.format as fmt
    from snaptui.display.model import SweepModel

    assert batch.eta_text is fmt.eta_text
    now = 100.0
    sweep = SimpleNamespace(config={"executor": {"max_parallel_jobs": 1}}, spec={})
    jobs = [_job(0, JobState.COMPLETED, now - 30, now - 20), _job(1, JobState.PENDING)]
    assert fmt.eta_text(sweep, jobs, now) == "ETA 10s" == SweepModel(sweep, jobs).eta_text(now)   # the TUI's
    assert fmt.eta_text(sweep, jobs[1:], now) == "ETA -" == SweepModel(sweep, jobs[1:]).eta_text(now)


# -- 10: what snaptui writes into the repository stays out of git status ---------------------------
@pytest.mark.slow
def test_a_launch_leaves_git_status_clean_of_submitit_and_state(engine, git_repo):
    from tests.conftest import git, wait_sweep_done, write_sweep

    (git_repo / ".gitignore").write_text("")                # a repository that ignores nothing of snaptui's
    git(git_repo, "commit", "-qam", "ignore nothing")
    path = write_sweep(git_repo, 'name = "clean"\ncommand = ["python", "job.py"]\n[grid]\nsleep = [0, 0]\n')
    git(git_repo, "add", path.name)
    git(git_repo, "commit", "-qm", "sweep")
    sweep = engine.launch(engine.plan(path))
    wait_sweep_done(engine, sweep.id)
    assert list((git_repo / ".submitit").iterdir())         # the logs are there...
    assert git(git_repo, "status", "--porcelain") == ""     # ...and git status does not list them


# -- extras: copy a job's log path and command line -----------------------------------------------
async def test_copy_log_path_and_command(engine, git_repo):
    from snaptui.screens.job import JobScreen

    sweep_id = build(engine, git_repo)["grid"]
    app = make_app(engine, refresh_on_start=False, start_job=(sweep_id, 6))
    async with app.run_test(size=(120, 30)) as pilot:
        await until(pilot, lambda: isinstance(app.screen, JobScreen) and app.screen.job is not None)
        await pilot.press("p")
        await until(pilot, lambda: app.clipboard.endswith("_0_log.out"))
        await pilot.press("y")
        await until(pilot, lambda: app.clipboard.startswith("python train.py") and "lr=0.01" in app.clipboard)


# -- extras: a bell and a desktop notification when a sweep ends ----------------------------------
@pytest.mark.slow
async def test_a_sweep_ending_rings_and_says_how_it_ended(engine, git_repo):
    (git_repo / "gated.py").write_text(
        "import os, sys, time\nwhile not os.path.exists('release'):\n    time.sleep(0.05)\n"
        "sys.exit(int(sys.argv[1].split('=')[1]))\n")
    sweep = launch(engine, git_repo, '''
        name = "ends"
        command = ["python", "gated.py"]
        [grid]
        code = [0, 1]
    ''')
    app = make_app(engine)
    bells = []
    app.bell = lambda: bells.append(1)
    async with app.run_test(size=(120, 30)) as pilot:
        await until_text(pilot, "ends")                             # seen while it runs...
        (git_repo / "release").write_text("")                       # ...then it ends
        await until(pilot, lambda: any(n.message.startswith(f"sweep {sweep.id} ends ended")
                                       for n in app._notifications), message="the announcement")
        message = next(n.message for n in app._notifications if "ended" in n.message)
        assert "1 completed" in message and "1 failed" in message and bells


# -- extras: each running job's last log line in the table -----------------------------------------
@pytest.mark.slow
async def test_the_table_shows_each_running_jobs_last_line(engine, git_repo):
    from snaptui.screens.sweep import SweepScreen

    (git_repo / "bar.py").write_text(
        "import os, sys, time\nprint('warming up', flush=True)\n"
        "sys.stdout.write(' 40%|####      | 4/10'); sys.stdout.flush()\n"
        "while not os.path.exists('release'):\n    time.sleep(0.05)\n")
    sweep = launch(engine, git_repo, 'name = "bars"\ncommand = ["python", "bar.py"]\n')
    app = make_app(engine, start_sweep=sweep.id)
    try:
        async with app.run_test(size=(140, 30)) as pilot:
            await until(pilot, lambda: isinstance(app.screen, SweepScreen) and app.screen.model is not None)
            await pilot.press("t")
            await until_text(pilot, "last line")
            await until_text(pilot, " 40%|####      | 4/10")
    finally:
        (git_repo / "release").write_text("")


def test_relative_times():
    from snaptui.display.text import ago

    assert [ago(1000 - s, 1000) for s in (5, 300, 3 * 3600 + 720, 3 * 86400)] == \
        ["just now", "5m ago", "3h12m ago", "3d ago"]


# -- 3: an earlier attempt's log is reachable -------------------------------------------------------
@pytest.mark.slow
async def test_a_picks_the_earlier_attempts_log(engine, git_repo):
    from snaptui.screens.job import JobScreen
    from tests.conftest import wait_sweep_done, wait_until

    (git_repo / "attempt.py").write_text("import os\nprint('this is attempt', os.environ['SNAPTUI_ATTEMPT'])\n")
    sweep = launch(engine, git_repo, 'name = "twice"\ncommand = ["python", "attempt.py"]\n')
    wait_sweep_done(engine, sweep.id)
    engine.resubmit(engine.jobs(sweep.id))
    wait_until(lambda: engine.jobs(sweep.id)[0].attempt.number == 2 and engine.jobs(sweep.id)[0].state.is_final,
               60, message="the second attempt to end")
    app = make_app(engine, start_job=(sweep.id, 0))
    async with app.run_test(size=(120, 30)) as pilot:
        await until(pilot, lambda: isinstance(app.screen, JobScreen) and len(app.screen.attempts) == 2)
        await until_text(pilot, "this is attempt 2")
        await until_text(pilot, "attempt 2/2 (a)")   # the header: another widget
        await pilot.press("a")
        await until_text(pilot, "this is attempt 1")
        await until_text(pilot, "attempt 1/2 (a)")
        assert "this is attempt 2" not in screen_text(app)
        await pilot.press("a")
        await until_text(pilot, "this is attempt 2")


# -- extras: the heatmap over seeds -------------------------------------------------------------------
def test_cell_stats_mean_and_spread_over_seeds_and_the_best_cell():
    from types import SimpleNamespace

    from snaptui.display.aggregate import Aggregation, choices, goal_for
    from snaptui.display.model import SweepModel

    grid = {"lr": [0.1, 0.01], "batch": [16, 32], "seed": [1, 2, 3]}
    jobs, index = [], 0
    for lr in grid["lr"]:
        for batch in grid["batch"]:
            for seed in grid["seed"]:
                loss = (1.0 if lr == 0.1 else 0.5) + (0.1 if batch == 32 else 0.0) + 0.01 * seed
                attempt = SimpleNamespace(results={"loss": loss}, state=JobState.COMPLETED, started_at=0, ended_at=1)
                jobs.append(SimpleNamespace(index=index, params={"lr": lr, "batch": batch, "seed": seed},
                                            attempt=attempt, state=JobState.COMPLETED, label=""))
                index += 1
    sweep = SimpleNamespace(spec={"grid": grid}, config={})
    model = SweepModel(sweep, jobs)
    assert choices(model)[0] == 2   # seed first
    stats = Aggregation(model, "loss", 2)
    assert len(stats.cells) == 4 and all(c.n == 3 for c in stats.cells.values())
    cell = stats.cell(1, 0)                       # lr=0.01, batch=16
    assert cell.mean == pytest.approx(0.52) and cell.spread == pytest.approx(0.01)
    assert goal_for("loss") == "min" and goal_for("accuracy") == "max"
    assert stats.best("min") == (1, 0) and stats.best("max") == (0, 1)


async def test_m_shows_mean_over_seeds_with_the_best_cell_marked(engine, git_repo):
    from snaptui.screens.sweep import SweepScreen

    sweep_id = build(engine, git_repo)["cube"]   # model x lr x seed, no results yet: give it some
    for job in engine.jobs(sweep_id):
        seed, lr = job.params["seed"], job.params["lr"]
        engine.store.update_attempt(job.attempt.id, JobState.RUNNING)
        engine.store.update_attempt(job.attempt.id, JobState.COMPLETED,
                                    results={"loss": round(lr * 10 + 0.01 * seed, 3)})
    app = make_app(engine, refresh_on_start=False, start_sweep=sweep_id)
    async with app.run_test(size=(120, 30)) as pilot:
        await until(pilot, lambda: isinstance(app.screen, SweepScreen) and app.screen.model is not None)
        await pilot.press("m")
        await until_text(pilot, "mean±sd over seed")
        text = screen_text(app)
        assert "★0.12±0.01" in text and "★ lowest" in text
        await pilot.press("b")
        await until_text(pilot, "★ highest")
        assert "★1.02±0.01" in screen_text(app)
