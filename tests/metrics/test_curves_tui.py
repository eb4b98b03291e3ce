"""The curves screen: SVG snapshots from fixed data, and a live overlay of real running jobs."""
from __future__ import annotations

import math
import textwrap

import pytest

from tests.conftest import wait_sweep_done
from tests.tui.demo_store import NOW, T0, S, _set, _sweep
from tests.conftest import write_sweep
from tests.tui.tuikit import make_app, screen_text, until


def fixed_curves(engine, repo) -> int:
    """A 3x2 lr x batch grid whose logs hold 60 points of loss and acc; one job's loss turns NaN."""
    sweep_id = _sweep(engine.store, repo, "curves", {"lr": [0.3, 0.03, 0.003], "batch": [32, 64]}, {}, T0, None)
    for index in range(6):
        state = S.RUNNING if index == 5 else S.COMPLETED
        _set(engine.store, repo, sweep_id, index, state, T0 + 60, None if index == 5 else 900, 0)
        job = engine.store.job(sweep_id, index)
        lr = job.params["lr"]
        lines = []
        for step in range(60):
            loss = 2.0 * math.exp(-lr * 8 * step / (1 + index % 2)) + 0.05 * (index + 1)
            if index == 3 and step >= 50:
                loss = float("nan")
            lines.append(f"SNAPTUI_RESULT step={step * 10} loss={loss:.5f} acc={1 - loss / 3:.5f}")
        log, _ = engine.log_paths(job)
        log.parent.mkdir(parents=True, exist_ok=True)
        log.write_text("\n".join(lines) + "\n")
    return sweep_id


@pytest.fixture
def fixed(engine, git_repo):
    return engine, fixed_curves(engine, git_repo)


def app_for(engine, sweep_id):
    return make_app(engine, clock=lambda: NOW, refresh_on_start=False, poll_interval=60, start_sweep=sweep_id)


async def open_curves(pilot, *keys) -> None:
    from snaptui.screens.curves import CurvesScreen
    from snaptui.screens.sweep import SweepScreen

    await until(pilot, lambda: isinstance(pilot.app.screen, SweepScreen) and pilot.app.screen.model is not None)
    await pilot.press("p")
    await until(pilot, lambda: isinstance(pilot.app.screen, CurvesScreen) and len(pilot.app.screen.curves) == 6)
    for key in keys:
        before = pilot.app.screen.view.__dict__.copy()
        await pilot.press(key)
        await until(pilot, lambda: not pilot.app.screen.reading("curves") and pilot.app.screen.curves
                    and pilot.app.screen.view.__dict__ != before)
        await until(pilot, lambda: not pilot.app.screen.reading("curves"))
    await pilot.pause()


def test_overlay_of_a_sweep(snap_compare, fixed):
    engine, sweep_id = fixed

    async def run_before(pilot):
        await open_curves(pilot)
    assert snap_compare(app_for(engine, sweep_id), terminal_size=(120, 32), run_before=run_before)


def test_overlay_log_scale_smoothed_coloured_by_batch(snap_compare, fixed):
    engine, sweep_id = fixed

    async def run_before(pilot):
        await open_curves(pilot, "L", "s", "c", "b")
    assert snap_compare(app_for(engine, sweep_id), terminal_size=(120, 32), run_before=run_before)


def test_one_jobs_metrics(snap_compare, fixed):
    engine, sweep_id = fixed

    async def run_before(pilot):
        await open_curves(pilot, "j")
        await until(pilot, lambda: {c.label for c in pilot.app.screen.curves} == {"acc", "loss"})
    assert snap_compare(app_for(engine, sweep_id), terminal_size=(120, 32), run_before=run_before)


LIVE_JOB = textwrap.dedent('''\
    """10 points, then waits until the test creates `gate`, then 10 more (NaN from step 15 when lr > 1)."""
    import os, sys, time
    args = dict(a.split("=", 1) for a in sys.argv[1:])
    lr, gate = float(args["lr"]), args["gate"]
    for step in range(20):
        if step == 10:
            while not os.path.exists(gate):
                time.sleep(0.05)
        value = "nan" if lr > 1 and step >= 15 else 1 / (1 + lr * step)
        print(f"SNAPTUI_RESULT step={step} loss={value}", flush=True)
    ''')


def launch_all_at_once(engine, repo, text: str):
    """Every job waits on the gate at once: more than the host cap (the CPU count) must run together."""
    path = write_sweep(repo, text)
    return engine.launch(engine.plan(path, no_snapshot=True, sets=["local.max_jobs=4"]))


async def test_the_overlay_follows_running_jobs_and_flags_nan(engine, git_repo, tmp_path):
    from snaptui.screens.curves import CurvesScreen

    (git_repo / "live.py").write_text(LIVE_JOB)
    sweep = launch_all_at_once(engine, git_repo, f'''
        name = "live"
        command = ["python", "live.py"]
        [params]
        gate = "{tmp_path / 'go'}"
        [grid]
        lr = [0.1, 0.5, 2.0]
    ''')
    app = make_app(engine, start_sweep=sweep.id)
    async with app.run_test(size=(120, 32)) as pilot:
        await until(pilot, lambda: getattr(app.screen, "model", None) is not None)
        await pilot.press("p")
        await until(pilot, lambda: isinstance(app.screen, CurvesScreen))
        app.screen.interval = 0.2
        app.screen.set_interval(0.2, app.screen._refresh)
        screen = app.screen
        await until(pilot, lambda: len(screen.curves) == 3 and {c.points for c in screen.curves} == {10},
                    timeout=60, message="10 points in each of 3 curves while the jobs wait")
        assert not any(j.state.is_final for j in screen.jobs)
        assert "3 curves" in screen_text(app)
        (tmp_path / "go").touch()
        await until(pilot, lambda: {c.points for c in screen.curves} == {20}, timeout=60,
                    message="the curves to grow to 20 points")
        await until(pilot, lambda: "nan loss@15" in screen_text(app), timeout=30, message="the NaN flag")
        assert "1 flagged" in screen_text(app)
    wait_sweep_done(engine, sweep.id)


async def test_the_grid_flags_nan_and_the_heatmap_shows_metric_summaries(fixed):
    from snaptui.widgets.matrix import Matrix

    engine, sweep_id = fixed
    app = app_for(engine, sweep_id)
    async with app.run_test(size=(120, 32)) as pilot:
        await until(pilot, lambda: getattr(app.screen, "model", None) is not None and app.screen.model.flagged,
                    message="the NaN job flagged")
        model = app.screen.model
        assert set(model.flagged) == {3} and "nan in" in model.flagged[3]
        app.screen.query_one(Matrix).select_job(3)
        await until(pilot, lambda: "! nan in" in screen_text(app), message="the flag on the selected job's line")
        assert {"loss final", "loss best", "loss mean10"} <= set(model.result_names)
        matrix = app.screen.query_one(Matrix)
        while matrix.mode != "loss best":
            await pilot.press("v")
        await pilot.pause()
        text = screen_text(app)
        best = {j.index: model.value(j, "loss best") for j in model.jobs.values()}
        assert best[0] == min(best.values()) and all(f" {best[i]:.4g} " in text for i in (1, 2, 3, 4))
        assert "★0.05 " in text and f"▶{best[5]:.4g} " in text   # the best starred; the running job marked, unranked
        while matrix.mode != "loss final":
            await pilot.press("v")
        await pilot.pause()
        assert "nan" in screen_text(app)  # job 3's last loss


async def test_a_file_that_cannot_be_read_is_named_once(fixed, monkeypatch):
    """Fault injected: the tensorboard package made unimportable, as where the extra is not installed."""
    import sys

    engine, sweep_id = fixed
    job = engine.store.job(sweep_id, 0)
    (engine.log_paths(job)[0].parent / "events.out.tfevents.1.host").write_bytes(b"\0" * 16)
    monkeypatch.setitem(sys.modules, "tensorboard.compat.proto.event_pb2", None)
    app = app_for(engine, sweep_id)
    async with app.run_test(size=(120, 32)) as pilot:
        await open_curves(pilot)
        await until(pilot, lambda: any("snaptui[tensorboard]" in n.message for n in app._notifications),
                    message="the warning")
        screen = app.screen
        before = len(screen._told)
        screen._refresh()
        await until(pilot, lambda: not screen.reading("curves"))
        assert len(screen._told) == before == 1 and len(screen.curves) == 6  # the logs still read


async def test_the_curves_status_line_keeps_every_part_at_80_columns(fixed):
    """A flagged sweep, smoothed, on a log scale, at 80x24: the status wraps between its parts instead of
    running past the edge (it lost 'legend final'); one job's status too."""
    engine, sweep_id = fixed
    app = app_for(engine, sweep_id)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_curves(pilot, "s", "L")
        text = screen_text(app)
        for part in ("6 curves", "1 flagged", "metric loss", "colour lr", "smoothing 0.6", "log", "legend final"):
            assert part in text, (part, text)
        app.screen.selected = 3
        await open_one_job(pilot)
        text = screen_text(app)
        for part in ("job 3", "nan loss@500", "metric all", "smoothing 0.6", "legend final"):
            assert part in text, (part, text)


async def open_one_job(pilot) -> None:
    before = pilot.app.screen.view.__dict__.copy()
    await pilot.press("j")
    await until(pilot, lambda: pilot.app.screen.view.__dict__ != before and not pilot.app.screen.reading("curves")
                and pilot.app.screen.view.job is not None and pilot.app.screen.curves)
    await pilot.pause()


async def test_v_on_the_job_table_keeps_the_table_and_says_why(fixed):
    """v cycles the grid's heatmap; on the table, which it does not colour, it changes nothing and says so."""
    from snaptui.widgets.sweepview import SweepView

    engine, sweep_id = fixed
    app = app_for(engine, sweep_id)
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: getattr(app.screen, "model", None) is not None
                    and "loss final" in app.screen.model.result_names, message="the metrics as heatmap modes")
        view = app.screen.query_one(SweepView)
        await pilot.press("t")
        await until(pilot, lambda: view.on_table)
        await pilot.press("v")
        await until(pilot, lambda: any("t shows the grid" in note.message for note in app._notifications),
                    message="why v does nothing here")
        assert view.on_table and view.mode == "state"
        await pilot.press("t")
        await until(pilot, lambda: not view.on_table)
        await pilot.press("v")
        await until(pilot, lambda: view.mode != "state", message="v cycling the grid's heatmap")
