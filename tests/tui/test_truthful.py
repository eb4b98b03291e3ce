"""Issue 23: what the TUI shows is true. A failed job's partial values are shown marked and never ranked;
the heatmap averages over any parameter (also the second of two) and its colours follow the goal."""
from __future__ import annotations

from demo_store import T0, S, _set, _sweep
from tuikit import make_app, screen_text, until, until_text


def lr_seed_sweep(engine, repo) -> int:
    """lr x seed: lr=0.1 exits 3 after reporting the best-looking values of all; the others complete."""
    sweep_id = _sweep(engine.store, repo, "lr-seed", {"lr": [0.1, 0.01, 0.001], "seed": [1, 2, 3]}, {}, T0, None)
    for index in range(9):
        lr, seed = [0.1, 0.01, 0.001][index // 3], [1, 2, 3][index % 3]
        if lr == 0.1:
            _set(engine.store, repo, sweep_id, index, S.FAILED, T0 + 10, 30, 3,
                 {"acc": 0.99, "loss": 0.01}, reason="exit code 3")
        else:
            acc = (0.7 if lr == 0.01 else 0.5) + 0.01 * seed
            _set(engine.store, repo, sweep_id, index, S.COMPLETED, T0 + 10, 60, 0,
                 {"acc": round(acc, 3), "loss": round(1 - acc, 3)})
    return sweep_id


async def _heatmap(pilot, app, mode: str) -> None:
    from snaptui.screens.sweep import SweepScreen

    await until(pilot, lambda: isinstance(app.screen, SweepScreen) and app.screen.model is not None)
    while app.screen.view.mode != mode:
        await pilot.press("v")
    await pilot.pause()


def _row(text: str, label: str) -> str:
    return next(line for line in text.splitlines() if line.startswith(label + " "))


async def test_a_failed_jobs_values_are_marked_and_never_the_best(engine, git_repo):
    sweep_id = lr_seed_sweep(engine, git_repo)
    app = make_app(engine, refresh_on_start=False, start_sweep=sweep_id)
    async with app.run_test(size=(100, 30)) as pilot:
        await _heatmap(pilot, app, "acc")
        text = screen_text(app)
        failed_row = _row(text, "0.1")
        assert "★" not in failed_row and failed_row.count("✘0.99") == 3, failed_row
        assert "★0.73" in _row(text, "0.01"), text          # the best COMPLETED job
        assert "bright 0.73 … dark 0.51" in text            # the scale leaves the failed values out
        await pilot.press("m")                               # mean over seed: one row per lr
        await until_text(pilot, "mean±sd over seed")
        text = screen_text(app)
        assert "✘3" in _row(text, "0.1") and "★" not in _row(text, "0.1"), text
        assert "★0.72±0.01" in _row(text, "0.01"), text


async def test_mean_over_either_of_two_parameters_and_colours_follow_the_goal(engine, git_repo):
    from snaptui.widgets.matrix import Matrix

    sweep_id = lr_seed_sweep(engine, git_repo)
    app = make_app(engine, refresh_on_start=False, start_sweep=sweep_id)
    async with app.run_test(size=(100, 30)) as pilot:
        await _heatmap(pilot, app, "loss")
        await pilot.press("m")
        await until_text(pilot, "mean±sd over seed")
        text = screen_text(app)
        assert "★0.28±0.01" in _row(text, "0.01") and "0.48±0.01" in _row(text, "0.001"), text
        assert "★ lowest" in text                            # a loss: lower is better
        matrix = app.screen.query_one(Matrix)
        best, worst = matrix._heat_style(0.28, (0.28, 0.48)), matrix._heat_style(0.48, (0.28, 0.48))
        assert best.bgcolor == matrix.style("matrix--heat-high").bgcolor        # the best is the brightest
        assert worst.bgcolor == matrix.style("matrix--heat-low").bgcolor
        await pilot.press("m")                               # the other parameter: one row per seed
        await until_text(pilot, "mean±sd over lr")
        text = screen_text(app)
        assert "seed ↓" in text and _row(text, "1").count("±") == 1, text
        assert "0.39±0.1✘" in _row(text, "1"), text          # lr=0.1 failed: not in the mean, and said so
        await pilot.press("m")
        await until(pilot, lambda: "mean±sd" not in screen_text(app), message="back to every job")


def test_the_cli_results_mark_the_failed_values_and_star_the_best_completed(engine, git_repo):
    from tests.conftest import run_cli

    sweep_id = lr_seed_sweep(engine, git_repo)
    lines = run_cli(["results", str(sweep_id)], cwd=git_repo).stdout.splitlines()
    failed = [line for line in lines if "FAILED" in line]
    assert len(failed) == 3 and all("✘0.99" in line and "✘0.01" in line and "★" not in line for line in failed)
    best = [line for line in lines if "★" in line and line.startswith(f"{sweep_id}/")]
    assert len(best) == 1 and "★0.73" in best[0] and "★0.27" in best[0], lines   # acc highest, loss lowest
    assert any("never ranked" in line for line in lines)


async def test_the_curves_legend_ranks_completed_jobs_and_marks_the_failed_after_them(engine, git_repo):
    from snaptui.screens.curves import CurvesScreen

    sweep_id = lr_seed_sweep(engine, git_repo)
    for job in engine.jobs(sweep_id):
        final = job.attempt.results["loss"]
        log, _ = engine.log_paths(job)
        log.parent.mkdir(parents=True, exist_ok=True)
        log.write_text("".join(f"SNAPTUI_RESULT step={s} loss={final + (9 - s) * 0.1:.3f}\n" for s in range(10)))
    app = make_app(engine, refresh_on_start=False, start_sweep=sweep_id)
    async with app.run_test(size=(120, 30)) as pilot:
        await until(pilot, lambda: getattr(app.screen, "model", None) is not None)
        await pilot.press("p")
        await until(pilot, lambda: isinstance(app.screen, CurvesScreen) and len(app.screen.curves) == 9)
        await pilot.pause()
        legend = str(app.screen.query_one("#legend-text").render()).splitlines()
        values = [line.split()[-1] for line in legend[1:]]
        assert values[:6] == ["0.27", "0.28", "0.29", "0.47", "0.48", "0.49"], legend   # completed, best first
        assert values[6:] == ["✘0.01"] * 3, legend                                       # failed: after, marked


# -- the launch screen says what --dry-run says, with the settings as they are now -------------------------
async def _launch_screen(pilot, app, name: str):
    from textual.widgets import OptionList

    await pilot.press("n")
    files = await until(pilot, lambda: app.screen.query("#files") and app.screen.query_one("#files", OptionList))
    await until(pilot, lambda: any(files.get_option_at_index(i).id == name for i in range(files.option_count)))
    files.highlighted = next(i for i in range(files.option_count) if files.get_option_at_index(i).id == name)
    await until(pilot, lambda: not app.screen._planning and app.screen._planned_stamp is not None)


def _preview(app) -> str:
    return str(app.screen.query_one("#preview").render())


async def test_an_edit_of_snaptui_toml_reaches_the_open_preview_and_the_launch(engine, git_repo):
    (git_repo / "t.toml").write_text('name = "t"\ncommand = ["python", "job.py"]\n')
    app = make_app(engine, refresh_on_start=False)
    async with app.run_test(size=(120, 30)) as pilot:
        await _launch_screen(pilot, app, "t.toml")
        await until(pilot, lambda: "timeout_min=5" in _preview(app), message="the setting as written at start")
        config = git_repo / "snaptui.toml"
        config.write_text(config.read_text().replace("timeout_min = 5", "timeout_min = 7"))
        await until(pilot, lambda: "timeout_min=7" in _preview(app), message="the preview after the edit")
        assert app.screen.plan.config.profile.timeout_min == 7   # what a launch would run with


async def test_a_command_outside_the_default_workdir_is_refused_in_the_preview_naming_workdir(engine, git_repo):
    (git_repo / "sweeps").mkdir()
    (git_repo / "sweeps" / "s.toml").write_text('name = "s"\ncommand = ["python", "job.py"]\n')
    app = make_app(engine, refresh_on_start=False)
    async with app.run_test(size=(140, 30)) as pilot:
        await _launch_screen(pilot, app, "sweeps/s.toml")
        await until(pilot, lambda: "cannot launch" in _preview(app))
        text = " ".join(_preview(app).split())
        assert "'job.py' does not exist" in text and "workdir 'sweeps'" in text and 'set workdir = "."' in text, text
        assert app.screen.query_one("#launch").disabled


async def test_a_failed_launch_says_why_in_a_dialog_that_stays(engine, git_repo):
    from snaptui.screens.confirm import ConfirmScreen
    from snaptui.screens.launch import LaunchScreen

    sweep_file = git_repo / "t.toml"
    sweep_file.write_text('name = "t"\ncommand = ["python", "job.py"]\n')
    app = make_app(engine, refresh_on_start=False)
    async with app.run_test(size=(120, 30)) as pilot:
        await _launch_screen(pilot, app, "t.toml")
        await pilot.press("ctrl+l")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        sweep_file.write_text('name = "t2"\ncommand = ["python", "job.py"]\n')   # edited while asked
        await pilot.press("y")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen) and "launch failed" in app.screen.title_text)
        assert "changed since its preview" in app.screen.body   # a dialog, not a toast: it waits for a key
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, LaunchScreen))
        assert engine.sweeps() == []


async def test_a_stopped_agent_is_said_to_be_stopped_and_back(engine, git_repo, monkeypatch):
    """Issue 24: while the agent is stopped, states the TUI shows stop changing; it says so, and says when the
    agent follows jobs again."""
    import os
    import signal

    import snaptui.app
    from snaptui.engine import agent
    from tuikit import launch

    monkeypatch.setattr(agent, "STALE_AFTER_S", 1.0)
    monkeypatch.setattr(snaptui.app, "AGENT_CHECK_S", 0.3, raising=False)
    sweep = launch(engine, git_repo, 'name = "long"\ncommand = ["python", "job.py", "sleep=60"]\n')
    ident = agent.agent_identity(git_repo)
    app = make_app(engine)
    said = lambda text: any(text in n.message for n in app._notifications)
    async with app.run_test(size=(100, 30)) as pilot:
        os.kill(ident["pid"], signal.SIGSTOP)
        try:
            await until(pilot, lambda: said(f"the snaptui agent (pid {ident['pid']}) has not looked at jobs"),
                        message="the stale-agent warning")
        finally:
            os.kill(ident["pid"], signal.SIGCONT)
        await until(pilot, lambda: said("the snaptui agent is following jobs again"), message="the all-clear")
    engine.cancel(engine.jobs(sweep.id))


# -- logs: stdout and stderr in the order they were written; a running job opens on the stream it writes ----
ORDERED_JOB = '''\
import os, sys, time
def pause():   # the runner orders what reaches it; writes to the two streams microseconds apart may swap
    time.sleep(0.1)
print("warning: printed first, on stderr", file=sys.stderr, flush=True)
pause()
for n in range(3):
    print(f"out {n}", flush=True)
pause()
print("err after the outs", file=sys.stderr, flush=True)
pause()
print("out last", flush=True)
pause()
sys.stderr.write("progress 10%")
sys.stderr.flush()
while not os.path.exists("release"):
    time.sleep(0.05)
'''


async def test_stdout_and_stderr_together_are_in_the_order_the_job_wrote_them(engine, git_repo):
    from snaptui.screens.job import JobScreen
    from snaptui.widgets.logview import LogView
    from tests.conftest import wait_until
    from tuikit import launch

    (git_repo / "ordered.py").write_text(ORDERED_JOB)
    sweep = launch(engine, git_repo, 'name = "ordered"\ncommand = ["python", "ordered.py"]\n')
    try:
        wait_until(lambda: "progress 10%" in _log_text(engine, sweep.id, 1)
                   and engine.jobs(sweep.id)[0].state.value == "RUNNING", 60,
                   message="the job running, at its progress line")
        app = make_app(engine, refresh_on_start=False, start_job=(sweep.id, 0))
        async with app.run_test(size=(120, 30)) as pilot:
            await until(pilot, lambda: isinstance(app.screen, JobScreen) and app.screen.stream is not None)
            assert app.screen.stream == "err"      # running, and stderr written last: the progress bar
            await pilot.press("e")                  # err -> both
            view = app.screen.query_one(LogView)
            await until(pilot, lambda: app.screen.stream == "both" and view.line_count >= 7)
            lines = [view.line(n).strip() for n in range(view.line_count)]
            shown = [line for line in lines if not line.startswith(("snaptui", "submitit"))]
            assert shown == ["warning: printed first, on stderr", "out 0", "out 1", "out 2", "err after the outs",
                             "out last", "progress 10%"], lines
    finally:
        (git_repo / "release").touch()


def _log_text(engine, sweep_id: int, stream: int) -> str:
    path = engine.log_paths(engine.jobs(sweep_id)[0])[stream]
    return path.read_text() if path is not None and path.exists() else ""


# -- the job table's result and metric columns ------------------------------------------------------------
async def test_the_table_shows_results_live_hides_empty_columns_and_keeps_its_labels_in_view(engine, git_repo):
    from snaptui.widgets.jobtable import JobTable
    from test_snapshots import mixed_sweep

    sweep_id = mixed_sweep(engine, git_repo)
    app = make_app(engine, refresh_on_start=False, start_sweep=sweep_id)
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: getattr(app.screen, "model", None) is not None
                    and "loss final" in app.screen.model.metric_values)
        await pilot.press("t")
        table = app.screen.query_one(JobTable)
        await until(pilot, lambda: "r:loss" in table.columns)
        assert not [c for c in table.columns if c.startswith("m:") or c == "r:loss final"]   # no column of '-'
        running = next(job for job in app.screen.model.jobs.values() if job.state.value == "RUNNING")
        assert table.cell_text(running, "r:loss", 0) == "▶0.49"   # its last value so far, marked running
        await pilot.press("o")                                    # choose: + loss best
        await until(pilot, lambda: app.screen.query("SelectionList"))
        app.screen.query_one("SelectionList").select("loss best")
        await pilot.press("enter")
        await until(pilot, lambda: "m:loss best" in table.columns)
        failed = next(job for job in app.screen.model.jobs.values() if job.state.value == "FAILED")
        assert table.cell_text(failed, "m:loss best", 0) == "✘0.05"
        while table.sort_key != "m:loss best":
            await pilot.press("s")
        completed = [app.screen.model.jobs[i] for i in list(table.rows)[:6]]
        assert all(job.state.value == "COMPLETED" for job in completed)   # ranked first, best first
        values = [float(table.cell_text(job, "m:loss best", 0)) for job in completed]
        assert values == sorted(values)
        for _ in range(30):
            await pilot.press("l")                                 # scroll right: the labels stay
        assert table.scroll_x > 0
        assert "lr=0.1,seed=1" in screen_text(app) or "lr=0.01,seed=1" in screen_text(app)


def test_snaptui_status_shows_a_running_jobs_results_so_far(engine, git_repo):
    from test_snapshots import mixed_sweep

    from tests.conftest import run_cli

    sweep_id = mixed_sweep(engine, git_repo)
    lines = run_cli(["status", str(sweep_id)], cwd=git_repo).stdout.splitlines()
    running = [line for line in lines if "RUNNING" in line]
    assert len(running) == 1 and "loss=0.49 (so far)" in running[0], lines


async def test_pending_jobs_held_by_the_hosts_cap_say_so(engine, git_repo):
    from tests.conftest import write_sweep

    path = write_sweep(git_repo, 'name = "capped"\ncommand = ["python", "job.py"]\n[grid]\nsleep = [30, 31]\n')
    sweep = engine.launch(engine.plan(path, no_snapshot=True, sets=["local.max_jobs=1"]))
    app = make_app(engine, refresh_on_start=False, start_sweep=sweep.id)
    async with app.run_test(size=(120, 30)) as pilot:
        await until(pilot, lambda: all(part in screen_text(app) for part in ("[local] max_jobs = 1", "1 running",
                                                                              "1 pending")),
                    message="the host's cap, 1 running, 1 pending")   # the host's load may be read before the event
        await pilot.resize_terminal(80, 24)
        await until_text(pilot, "the host is full ([local] max_jobs = 1)")   # whole at 80 columns (was cut)
    engine.cancel(engine.jobs(sweep.id))


async def test_a_sweep_whose_launch_ends_without_an_event_is_listed(engine, git_repo):
    """A launch from another terminal records its jobs, then marks its sweep active: no job event says so, and
    a Slurm sweep's jobs can stay PENDING for hours; the list showed the sweep only at the next job event."""
    from textual.widgets import DataTable

    sweep_id = _sweep(engine.store, git_repo, "late", {"seed": [1]}, {}, T0, None)
    engine.store.set_sweep_status(sweep_id, "launching")      # as a launch from another terminal leaves it
    app = make_app(engine, refresh_on_start=False, poll_interval=60)
    async with app.run_test(size=(100, 30)) as pilot:
        table = app.screen.query_one(DataTable)
        for _ in range(2):  # settled: no read running, none asked for (a read's end may ask for one more)
            await until(pilot, lambda: app.screen.sweeps == {} and not app.screen.reading("sweeps"))
            await pilot.pause()
        engine.store.set_sweep_status(sweep_id, "active")     # the launch ends: no job event
        await until(pilot, lambda: table.row_count == 1, message="the sweep listed")


async def test_one_file_that_went_in_a_snapshot_is_one_file(engine, git_repo, monkeypatch):
    from snaptui.engine.snapshot import housekeeping, snapshots as snapshot

    row = housekeeping.SnapshotRow("snaptui/20231114-221320-lr", "3f2a9c1d4e5b6a7980716253443526170f1e2d3c",
                                   60.0, [], None, None, False)
    monkeypatch.setattr(housekeeping, "snapshot_overview", lambda engine, **_: [row])
    monkeypatch.setattr(snapshot, "diff_summary", lambda repo, commit: [("M", "train.py")])
    app = make_app(engine, refresh_on_start=False, poll_interval=60, start="snapshots")
    async with app.run_test(size=(100, 30)) as pilot:
        await until_text(pilot, "M train.py")
        assert "1 file with uncommitted edits went in" in screen_text(app)


async def test_the_table_does_not_show_the_heatmaps_legend(engine, git_repo):
    """The table is not coloured by the heatmap: 'heatmap loss: ★ lowest  bright … dark' over it said it was."""
    sweep_id = lr_seed_sweep(engine, git_repo)
    app = make_app(engine, refresh_on_start=False, start_sweep=sweep_id)
    async with app.run_test(size=(100, 30)) as pilot:
        await _heatmap(pilot, app, "loss")
        assert "heatmap loss" in screen_text(app)
        await pilot.press("t")
        await until_text(pilot, "table: 9 jobs")
        assert "heatmap" not in screen_text(app) and "bright" not in screen_text(app)
        await pilot.press("t")
        await until_text(pilot, "heatmap loss")
