"""Launch from the TUI (file picker, profile, dry run, confirm) and the snapshots screen with gc."""
from __future__ import annotations

from pathlib import Path

import pytest

from snaptui.engine.states import JobState
from tuikit import make_app, screen_text, until, until_text
from tests.conftest import wait_sweep_done, write_sweep
from tests.test_slurm import slurm_cluster  # noqa: F401 - fixture

pytestmark = pytest.mark.slow


async def open_launch(pilot, app):
    """`n` on the list of sweeps: the launch screen, once it is shown."""
    from snaptui.screens.launch import LaunchScreen

    await pilot.press("n")
    await until(pilot, lambda: isinstance(app.screen, LaunchScreen))
    return app.screen


async def test_launch_a_sweep_file_with_a_snapshot(engine, git_repo):
    write_sweep(git_repo, '''
        name = "from-tui"
        command = ["python", "job.py"]
        [grid]
        sleep = [0, 1]
    ''', "from_tui.toml")
    write_sweep(git_repo, 'name = "broken"\ncommand = 3\n', "broken.toml")
    (git_repo / ".gitignore").write_text((git_repo / ".gitignore").read_text() + "*.bin\n")
    (git_repo / "train.bin").write_bytes(b"x" * 2048)  # gitignored data: linked, and the preview says so
    from snaptui.screens.confirm import ConfirmScreen
    from snaptui.screens.sweep import SweepScreen

    app = make_app(engine)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_launch(pilot, app)
        await until_text(pilot, "from_tui.toml")
        # the first file (broken.toml) shows its problem instead of a plan
        await until_text(pilot, "command")
        assert screen.plan is None
        await pilot.press("down")
        await until(pilot, lambda: screen.plan is not None, message="the dry run")
        await until_text(pilot, "from-tui: 2 jobs on local")
        assert "python job.py sleep=1" in screen_text(app)
        await until_text(pilot, "linked from the repository: train.bin (ignored, 2.0 KB)")
        await pilot.press("ctrl+l")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await until_text(pilot, "with a snapshot of your code")
        await pilot.press("y")
        await until(pilot, lambda: isinstance(app.screen, SweepScreen) and app.screen.model is not None,
                    timeout=60, message="the new sweep's screen")
        sweep_id = app.screen.sweep_id
        await until_text(pilot, "2/2 done", timeout=60)
    sweep = engine.sweep(sweep_id)
    assert sweep.snapshot and sweep.snapshot["branch"].startswith("snaptui/")
    assert sweep.counts == {JobState.COMPLETED: 2}


async def test_snapshots_screen_shows_what_went_in_and_gc_asks_first(engine, git_repo):
    (git_repo / "job.py").write_text((git_repo / "job.py").read_text() + "\n# an uncommitted edit\n")
    path = write_sweep(git_repo, '''
        name = "snap"
        command = ["python", "job.py"]
        [grid]
        sleep = [0]
    ''')
    sweep = engine.launch(engine.plan(path))
    wait_sweep_done(engine, sweep.id)
    branch = sweep.snapshot["branch"]
    from snaptui.screens.snapshots import GcScreen, SnapshotsScreen

    app = make_app(engine)
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.press("s")
        await until(pilot, lambda: isinstance(app.screen, SnapshotsScreen))
        await until_text(pilot, branch)
        await until_text(pilot, "M job.py")
        assert "taken from" in screen_text(app)
        await pilot.press("x")
        await until(pilot, lambda: isinstance(app.screen, GcScreen))
        assert app.focused.id == "no"
        await until_text(pilot, "Nothing is that old")      # 14d by default
        gc = app.screen
        gc.query_one("#older").value = "0m"
        await until_text(pilot, "Would remove")
        await pilot.press("escape")                          # refusal removes nothing
        await until(pilot, lambda: isinstance(app.screen, SnapshotsScreen))
        assert (engine.repo_root / ".git").exists() and Path(sweep.snapshot["worktree"]).exists()
        await pilot.press("x")
        await until(pilot, lambda: isinstance(app.screen, GcScreen))
        app.screen.query_one("#older").value = "0m"
        await until_text(pilot, "Would remove")
        await pilot.click("#yes")
        await until(pilot, lambda: isinstance(app.screen, SnapshotsScreen), timeout=30)
        await until(pilot, lambda: not Path(sweep.snapshot["worktree"]).exists(),
                    message="the worktree removed")


async def test_the_preview_refuses_what_a_dry_run_refuses(engine, git_repo):
    """The launch screen's preview is the engine's checked plan: a command missing from the code is
    shown as the refusal --dry-run gives, and launch stays off (it previewed as valid and asked to launch)."""
    write_sweep(git_repo, 'name = "typo"\ncommand = ["python", "jb.py"]\n', "typo.toml")
    from textual.widgets import Button
    from snaptui.screens.launch import LaunchScreen

    app = make_app(engine)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_launch(pilot, app)
        await until(pilot, lambda: screen.plan is not None, message="the dry run")
        await until_text(pilot, "cannot launch")
        assert "'jb.py' does not exist" in screen_text(app)
        assert screen.query_one("#launch", Button).disabled
        await pilot.press("ctrl+l")
        await pilot.pause()
        assert isinstance(app.screen, LaunchScreen)
    assert engine.sweeps() == []


@pytest.mark.slurm
async def test_the_preview_shows_the_sbatch_script_a_launch_would_submit(slurm_cluster, git_repo):
    """Issue 27 item 5: ctrl+t turns the preview into the exact sbatch script of the sweep's first array (what
    --dry-run --script prints), and back to the jobs; a local profile says it has none. Nothing is submitted."""
    from textual.widgets import Static

    from snaptui.engine.api import Engine
    from tests.conftest import add_slurm_profile

    add_slurm_profile(git_repo)
    engine = Engine(git_repo)
    write_sweep(git_repo, 'name = "show"\nprofile = "slurm"\ncommand = ["python", "job.py"]\n[grid]\ni = [1, 2, 3]\n',
                "show.toml")
    write_sweep(git_repo, 'name = "here"\nprofile = "local"\ncommand = ["python", "job.py"]\n', "here.toml")
    app = make_app(engine)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_launch(pilot, app)

        def preview() -> str:
            return str(screen.query_one("#preview", Static).content)

        await until_text(pilot, "show.toml")
        await until(pilot, lambda: screen.plan is not None and screen.plan.spec.name == "here", message="dry run")
        await pilot.press("ctrl+t")
        await until(pilot, lambda: "as processes: no sbatch script" in preview(), message="no script for local")
        await pilot.press("down")   # show.toml, on the Slurm profile: the script follows the new plan
        await until_text(pilot, "#SBATCH --array=0-2", timeout=60)
        script = engine.submission_script(screen.plan)
        assert script.startswith("#!/bin/bash") and preview().endswith(script)
        assert "#SBATCH --partition=debug" in screen_text(app)
        await pilot.press("ctrl+t")
        await until_text(pilot, "python job.py i=3")
        assert "#SBATCH" not in screen_text(app)
    assert engine.sweeps() == []
