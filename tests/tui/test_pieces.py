"""Fast tests of the TUI's pieces: the sweep model, the log view, the registry, keymap, help, palette, hygiene."""
from __future__ import annotations

import os
import textwrap
from types import SimpleNamespace

import pytest

from snaptui.display import actions
from snaptui.engine.models import Attempt, Job
from snaptui.engine.states import JobState
from snaptui.widgets.logview import clean_line
from snaptui.display.model import SweepModel
from snaptui.engine.sweep.eta import eta_seconds
from snaptui.display.text import count_bar
from tuikit import make_app, until


def job(index: int, params: dict, state=JobState.PENDING, **attempt) -> Job:
    return Job(1, index, ",".join(f"{k}={v}" for k, v in params.items()), params, ["x"],
               Attempt(index + 1, 1, index, 1, state, **attempt))


def sweep(spec: dict) -> SimpleNamespace:
    return SimpleNamespace(id=1, spec=spec, config={}, name="s", total=0)


def grid_jobs(grid: dict, zips: list | None = None) -> list[Job]:
    import itertools
    factors = [[dict(zip(grid, c)) for c in itertools.product(*grid.values())]]
    for group in zips or []:
        factors.append([dict(zip(group, c)) for c in zip(*group.values())])
    out = []
    for index, parts in enumerate(itertools.product(*factors)):
        params = {}
        for part in parts:
            params.update(part)
        out.append(job(index, params))
    return out


def test_model_two_axes_with_repeated_values_keeps_every_job():
    grid = {"lr": [0.1, 0.01], "code": [0, 0, 1]}
    model = SweepModel(sweep({"grid": grid}), grid_jobs(grid))
    assert (model.n_rows, model.n_cols) == (2, 3)
    assert sorted(model.cell(r, c) for r in range(2) for c in range(3)) == list(range(6))
    assert model.position(4) == (1, 1)


def test_model_three_axes_slices_and_cycling():
    grid = {"a": [1, 2], "b": [1, 2, 3], "c": ["x", "y"]}
    model = SweepModel(sweep({"grid": grid}), grid_jobs(grid))
    assert [a.name for a in model.axes] == ["a", "b", "c"]
    assert model.slice_count() == 2 and model.slice_label() == "c=x"
    assert model.cell(1, 2) == 1 * 6 + 2 * 2 + 0
    assert model.step_slice(1) and model.slice_label() == "c=y"
    assert model.cell(1, 2) == 1 * 6 + 2 * 2 + 1
    assert model.row_cells(1, 0, 3) == [model.cell(1, col) for col in range(3)] == [7, 9, 11]
    assert model.position(0) is None          # job 0 has c=x: another slice
    model.show_slice_of(0)
    assert model.position(0) == (0, 0)
    model.cycle_axis("col")                   # columns: b -> c
    assert (model.row_axis, model.col_axis) == (0, 2) and model.other_axes == [1]
    model.cycle_axis("row")                   # rows: a -> b
    assert (model.row_axis, model.col_axis) == (1, 2)


def test_model_zip_group_is_one_axis_and_one_param_is_one_row():
    grid = {"seed": [1, 2, 3]}
    zips = [{"lr": [0.1, 0.2], "wd": [0, 1]}]
    model = SweepModel(sweep({"grid": grid, "zip": zips}), grid_jobs(grid, zips))
    assert [a.name for a in model.axes] == ["seed", "lr+wd"]
    assert model.col_label(1) == "0.2,1"
    one = SweepModel(sweep({"grid": {"seed": [1, 2, 3]}}), grid_jobs({"seed": [1, 2, 3]}))
    assert (one.n_rows, one.n_cols, one.row_axis) == (1, 3, None)


def test_model_without_a_spec_derives_axes_from_the_jobs():
    jobs = [job(i, {"x": i % 2, "y": i // 2, "fixed": 1}) for i in range(4)]
    model = SweepModel(sweep({}), jobs)
    assert [a.name for a in model.axes] == ["x", "y"]
    assert model.row_cells(1, 0, 2) == [model.cell(1, col) for col in range(2)] == [1, 3]


def test_model_update_reports_changes_and_results():
    grid = {"a": [1, 2]}
    jobs = grid_jobs(grid)
    model = SweepModel(sweep({"grid": grid}), jobs)
    done = job(1, {"a": 2}, JobState.COMPLETED, results={"score": 0.9})
    assert model.update([jobs[0], done]) == {1}
    assert model.results == {"score": (0.9, 0.9)}
    assert model.counts() == {JobState.PENDING: 1, JobState.COMPLETED: 1}


def test_a_large_sweeps_eta_counts_down_between_estimates_and_its_counts_follow_changes(monkeypatch):
    import snaptui.display.model as model_module

    monkeypatch.setattr(model_module, "ETA_JOBS_PER_SECOND", 1)   # 12 jobs: estimated every 12 s
    grid = {"a": list(range(12))}
    jobs = [job(i, {"a": i}, JobState.COMPLETED, started_at=0, ended_at=100) for i in range(6)]
    jobs += [job(i, {"a": i}) for i in range(6, 12)]
    model = SweepModel(sweep({"grid": grid}), jobs)
    assert model.eta_text(1000.0) == "ETA 10m00s"                     # 6 pending x 100 s on one slot
    model.update([job(6, {"a": 6}, JobState.RUNNING, started_at=1000.0),
                  job(7, {"a": 7}, JobState.COMPLETED, started_at=999.0, ended_at=1000.0)])   # a 1 s job
    assert model.counts() == {JobState.COMPLETED: 8 - 1, JobState.RUNNING: 1, JobState.PENDING: 4}
    assert model.eta_text(1005.0) == "ETA 9m55s"                      # not estimated again: counted down
    assert model.eta_text(1013.0) == "ETA 6m56s"                      # estimated again after 12 s


def test_count_bar_and_eta():
    bar = count_bar({JobState.COMPLETED: 3, JobState.RUNNING: 1}, 4, width=8)
    assert bar.plain == "✔✔✔✔✔✔▶▶ 3/4"
    now = 1000.0
    jobs = [job(0, {}, JobState.COMPLETED, started_at=0, ended_at=100),
            job(1, {}, JobState.RUNNING, started_at=now - 40), job(2, {}, JobState.PENDING)]
    assert eta_seconds(jobs, now) == pytest.approx(60 + 100)


def test_clean_line_keeps_the_last_carriage_return_frame():
    assert clean_line("10%\r50%\r100%") == "100%"
    assert clean_line("") == " "
    assert clean_line("a\x0cb") == "a b"


def test_registry_ids_are_unique_and_keymap_short_names_expand():
    ids = [a.id for a in actions.ACTIONS]
    assert len(ids) == len(set(ids))
    expanded = actions.expand_keymap({"cancel": "x", "job.wrap": "W"})
    assert expanded == {"sweep.cancel": "x", "job.cancel": "x", "job.wrap": "W"}
    assert actions.unknown_keymap_entries({"cancel": "x", "nope": "y"}) == ["nope"]


def test_every_action_of_a_screen_is_run_by_the_screen_or_the_widget_that_holds_its_state():
    """The registry feeds the sweep screen's keys to two nodes: each action is one node's, never none."""
    from snaptui.screens.sweep import SweepScreen
    from snaptui.widgets.sweepview import VIEW_ACTIONS, SweepView

    for action in actions.actions_for("sweep"):
        runners = [cls for cls in (SweepScreen, SweepView) if hasattr(cls, f"action_{action.name}")]
        assert len(runners) == 1, (action.id, runners)
        bound = [b.action for b in (SweepView if action.name in VIEW_ACTIONS else SweepScreen).BINDINGS]
        assert action.name in bound, action.id


async def test_keymap_from_snaptui_toml_remaps_and_help_shows_it(git_repo):
    from snaptui.engine.api import Engine
    from snaptui.screens.help import HelpScreen
    from snaptui.screens.sweeps import SweepsScreen

    config = git_repo / "snaptui.toml"
    config.write_text(config.read_text() + textwrap.dedent('''
        [keymap]
        launch = "N"
        "sweeps.snapshots" = "S"
    '''))
    app = make_app(Engine(git_repo), refresh_on_start=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await until(pilot, lambda: isinstance(app.screen, SweepsScreen))
        await pilot.press("question_mark")
        await until(pilot, lambda: isinstance(app.screen, HelpScreen))
        rows = {description: keys for keys, description, _, _ in app.screen.rows}
        assert rows["Launch"] == "N" and rows["Snapshots"] == "S"
        ids = {description: binding_id for _, description, _, binding_id in app.screen.rows}
        assert ids["Launch"] == "sweeps.launch"  # what [keymap] remaps
        await pilot.press("escape")
        await pilot.press("n")                      # the old key does nothing now
        await pilot.pause(0.2)
        assert isinstance(app.screen, SweepsScreen)
        await pilot.press("N")
        from snaptui.screens.launch import LaunchScreen
        await until(pilot, lambda: isinstance(app.screen, LaunchScreen))


async def test_palette_offers_the_registry_actions_and_sweeps(engine, git_repo):
    from snaptui.screens.sweep import SweepScreen

    sweep_id = engine.store.create_sweep(name="pal", executor="local", profile="local", sweep_file=None,
                                         spec={"grid": {"a": [1, 2]}}, config={}, snapshot=None,
                                         workdir=str(git_repo), env={},
                                         jobs=[(0, "a=1", {"a": 1}, ["x"]), (1, "a=2", {"a": 2}, ["x"])])
    engine.store.set_sweep_status(sweep_id, "active")
    app = make_app(engine, refresh_on_start=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await until(pilot, lambda: app.sweep_names)
        titles = [c.title for c in app.get_system_commands(app.screen)]
        assert "Launch" in titles and f"Open sweep {sweep_id} pal" in titles
        assert "Launch with profile local" in titles and "Snapshots" in titles
        app.open_sweep(sweep_id)
        await until(pilot, lambda: isinstance(app.screen, SweepScreen))
        titles = [c.title for c in app.get_system_commands(app.screen)]
        assert {"Cancel", "Resubmit failed", "Table", "Cancel sweep"} <= set(titles)


async def test_engine_errors_are_notifications_not_crashes(engine, git_repo):
    app = make_app(engine, refresh_on_start=False)
    async with app.run_test(size=(100, 30)) as pilot:
        app.open_sweep(999)                      # no such sweep: the engine raises SnaptuiError
        await until(pilot, lambda: any("no sweep 999" in n.message for n in app._notifications))
        assert app.is_running


async def test_exits_when_stdin_is_gone(engine, monkeypatch):
    """A dropped ssh connection without SIGHUP: stdin at EOF (here: a closed pipe) ends the app."""
    import sys

    read, write = os.pipe()
    os.close(write)
    monkeypatch.setattr(sys, "__stdin__", os.fdopen(read))
    app = make_app(engine, refresh_on_start=False)
    async with app.run_test(size=(80, 24)) as pilot:
        app._check_terminal()
        await until(pilot, lambda: app.hangup_reason is not None)
    assert app.hangup_reason == "stdin is no longer a terminal"


async def test_exits_when_the_terminal_hangs_up(engine, monkeypatch):
    import pty
    import sys

    master, slave = pty.openpty()
    monkeypatch.setattr(sys, "__stdin__", os.fdopen(slave))
    app = make_app(engine, refresh_on_start=False)
    async with app.run_test(size=(80, 24)) as pilot:
        app._check_terminal()
        await pilot.pause(0.1)
        assert app.hangup_reason is None        # a live terminal: stay
        os.close(master)                        # what sshd does when the connection drops
        app._check_terminal()
        await until(pilot, lambda: app.hangup_reason is not None)
    assert app.hangup_reason in ("stdin is no longer a terminal", "the terminal hung up", "stdin reached end of file")


def test_import_of_the_cli_does_not_import_textual():
    import subprocess
    import sys

    code = "import sys, snaptui.cli.main; print('textual' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_an_engine_error_shown_in_the_tui_keeps_what_the_rollback_noted():
    from snaptui.engine.errors import SnaptuiError
    from snaptui.screens.base import describe_error

    exc = SnaptuiError("sbatch refused the sweep")
    exc.add_note("kept worktree /w/x: a job wrote outputs/a.txt there")
    assert describe_error(exc) == "sbatch refused the sweep\nnote: kept worktree /w/x: a job wrote outputs/a.txt there"
    assert describe_error(ValueError("bad")) == "ValueError: bad"


def test_the_pager_gets_colours_and_the_end_and_a_progress_bar_as_its_last_frame(tmp_path, monkeypatch):
    from snaptui.screens.external import cleaned_copy, pager_command

    log = tmp_path / "x_log.out"
    log.write_bytes(b"\x1b[33mwarning\x1b[0m\n 10%|#  |\r 50%|##  |\r100%|####|\ndone\n")
    monkeypatch.setenv("PAGER", "less")
    monkeypatch.delenv("LESS", raising=False)
    assert pager_command(log) == ["less", "+G", "-R", str(log)]
    monkeypatch.setenv("PAGER", "less -S +F")
    monkeypatch.setenv("LESS", "-iR")
    assert pager_command(log) == ["less", "-S", "+F", str(log)]        # what the user asked for stands
    monkeypatch.setenv("PAGER", "most")
    assert pager_command(log) == ["most", str(log)]
    copy = cleaned_copy(log)
    assert copy.read_bytes() == b"\x1b[33mwarning\x1b[0m\n100%|####|\ndone\n"
    (tmp_path / "plain.log").write_text("no bar\n")
    assert cleaned_copy(tmp_path / "plain.log") is None
