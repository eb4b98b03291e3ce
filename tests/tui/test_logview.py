"""The log view over a line index: every line of a big log, search of the whole file, partial lines,
files truncated, replaced or deleted under it, and follow surviving a resize."""
from __future__ import annotations

import os

import pytest

from demo_store import NOW, build
from snaptui.engine.logs.logindex import CHUNK, LineIndex
from tuikit import make_app, screen_text, until, until_text


# -- the index ---------------------------------------------------------------------------------
def test_index_reads_any_line_and_the_partial_last_one(tmp_path):
    path = tmp_path / "log"
    index = LineIndex(path)
    assert index.update().state == "missing" and index.line_count == 0
    path.write_bytes(b"first\nsecond\n  10%|#   |\r  50%|#####|")
    update = index.update()
    assert update.grew and index.line_count == 3
    assert [index.line(n) for n in range(3)] == ["first", "second", "  10%|#   |\r  50%|#####|"]
    with open(path, "ab") as handle:
        handle.write(b"\r 100%|##########|\nafter\n")
    index.update()
    assert index.line(2).endswith("100%|##########|") and index.line(3) == "after" and index.line_count == 4


def test_index_starts_over_when_truncated_or_replaced_and_keeps_a_deleted_file_readable(tmp_path):
    path = tmp_path / "log"
    path.write_text("a\nb\nc\n")
    index = LineIndex(path)
    index.update()
    path.write_text("x\n")                       # truncated in place
    update = index.update()
    assert update.reset and index.line_count == 1 and index.line(0) == "x"
    replacement = tmp_path / "new"
    replacement.write_text("rotated 1\nrotated 2\n")
    os.replace(replacement, path)                # rotated: another inode at the same path
    update = index.update()
    assert update.reset and [index.line(0), index.line(1)] == ["rotated 1", "rotated 2"]
    path.unlink()
    assert index.update().state == "deleted" and index.line(1) == "rotated 2"


def test_search_covers_the_whole_file_and_matches_across_chunk_borders(tmp_path):
    path = tmp_path / "log"
    head = b"Needle at the start\n"
    path.write_bytes(head + b"x" * (CHUNK - len(head) - 3) + b"needle\n" + b"tail\n")  # spans the 1st border
    index = LineIndex(path)
    while index.update(budget=CHUNK).more:
        pass
    assert index.search("needle", case_sensitive=False) == [0, 1]
    assert index.search("Needle", case_sensitive=True) == [0]
    assert index.search("absent", case_sensitive=False) == []


# -- the view ----------------------------------------------------------------------------------
def big_log(repo, sweep_id: int, lines: int) -> None:
    executor_id = str(4000 + sweep_id * 100 + 6)
    path = repo / ".submitit" / executor_id / f"{executor_id}_0_log.out"
    with open(path, "w") as handle:
        for n in range(1, lines + 1):
            handle.write(f"line {n} of the big log\n")


@pytest.fixture
def demo(engine, git_repo):
    return engine, build(engine, git_repo)


def app_for(engine, **kwargs):
    return make_app(engine, clock=lambda: NOW, refresh_on_start=False, poll_interval=60, **kwargs)


async def test_a_200000_line_log_home_shows_line_1_and_search_finds_an_early_line(demo, git_repo):
    from snaptui.widgets.logview import LogView

    engine, ids = demo
    big_log(git_repo, ids["grid"], 200_000)
    app = app_for(engine, start_job=(ids["grid"], 6))
    async with app.run_test(size=(100, 30)) as pilot:
        await until(pilot, lambda: app.screen.query_one(LogView).line_count == 200_000, message="every line")
        await until_text(pilot, "line 200000 of the big log")
        await pilot.press("home")
        await until_text(pilot, "line 1 of the big log")
        await until_text(pilot, "PAUSED")   # the status line: another widget
        await pilot.press("end")
        await until_text(pilot, "line 200000 of the big log")
        await pilot.press("slash", *"line 17 of", "enter")
        await until_text(pilot, "/line 17 of  1/1")
        assert "line 17 of the big log" in screen_text(app)


async def test_home_pressed_while_a_resize_is_pending_is_not_undone_by_follow(demo, git_repo):
    """A resize while following (the indexing line going away when a big log is read) scrolls to the end
    after the next refresh; home pressed before that refresh stopped following and must stay at line 1."""
    from snaptui.widgets.logview import LogView

    engine, ids = demo
    big_log(git_repo, ids["grid"], 2_000)
    app = app_for(engine, start_job=(ids["grid"], 6))
    async with app.run_test(size=(100, 30)) as pilot:
        view = app.screen.query_one(LogView)
        await until(pilot, lambda: view.line_count == 2_000 and view.follow, message="every line, following")
        view.on_resize()              # what a Resize event runs: the end, after the next refresh
        view.action_scroll_home()     # home, before that refresh
        await pilot.pause()
        await until_text(pilot, "line 1 of the big log")
        await pilot.pause()
        assert view.scroll_y == 0 and not view.follow


async def test_a_log_opens_on_its_last_line_in_the_first_frame_that_shows_it(demo, git_repo):
    """Not on its first lines for a frame or two while the scroll offset catches up with the layout."""
    from snaptui.screens.job import JobScreen

    engine, ids = demo
    big_log(git_repo, ids["grid"], 500)
    app = app_for(engine, start_job=(ids["grid"], 6))
    frames: list[str] = []
    display = app._display

    def recording(screen, renderable) -> None:
        display(screen, renderable)
        if renderable is not None and isinstance(screen, JobScreen):
            frames.append(screen_text(app))

    app._display = recording
    async with app.run_test(size=(100, 30)) as pilot:
        await until_text(pilot, "line 500 of the big log")
    with_log = [frame for frame in frames if "of the big log" in frame]
    assert "line 500 of the big log" in with_log[0] and "line 1 of the big log" not in with_log[0]
    assert "line 1/500" not in with_log[0] and "FOLLOW" in with_log[0]   # the status line says where it is


async def test_a_progress_bar_without_newline_is_shown_as_it_grows(demo, git_repo):
    from snaptui.widgets.logview import LogView

    engine, ids = demo
    executor_id = str(4000 + ids["grid"] * 100 + 6)
    path = git_repo / ".submitit" / executor_id / f"{executor_id}_0_log.out"
    path.write_text("submitit INFO starting\n 10%|#         | 1/10")
    app = make_app(engine, clock=lambda: NOW, refresh_on_start=False, poll_interval=0.1,
                   start_job=(ids["grid"], 6))
    async with app.run_test(size=(100, 30)) as pilot:
        app.screen.query_one(LogView)
        await until_text(pilot, " 10%|#         | 1/10")
        with open(path, "a") as handle:
            handle.write("\r 60%|######    | 6/10")
        await until_text(pilot, " 60%|######    | 6/10")
        assert " 10%|" not in screen_text(app)                # one bar, redrawn in place


async def test_follow_survives_a_smaller_terminal_and_a_deleted_log_says_so(demo, git_repo):
    from snaptui.widgets.logview import LogView

    engine, ids = demo
    big_log(git_repo, ids["grid"], 500)
    app = make_app(engine, clock=lambda: NOW, refresh_on_start=False, poll_interval=0.1,
                   start_job=(ids["grid"], 6))
    async with app.run_test(size=(100, 40)) as pilot:
        log = app.screen.query_one(LogView)
        await until_text(pilot, "line 500 of the big log")
        await pilot.resize_terminal(100, 20)
        await until(pilot, lambda: log.scroll_y == log.max_scroll_y and "line 500 of" in screen_text(app),
                    message="still at the end after the resize")
        await until_text(pilot, "FOLLOW")   # the status line: another widget, maybe a frame later
        executor_id = str(4000 + ids["grid"] * 100 + 6)
        (git_repo / ".submitit" / executor_id / f"{executor_id}_0_log.out").unlink()
        await until_text(pilot, "deleted")
        assert "line 500 of the big log" in screen_text(app)  # what was read stays readable


async def test_a_failed_job_opens_on_stderr(demo, git_repo):
    engine, ids = demo
    executor_id = str(4000 + ids["grid"] * 100 + 3)
    folder = git_repo / ".submitit" / executor_id
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{executor_id}_0_log.out").write_text("epoch 1\n")
    (folder / f"{executor_id}_0_log.err").write_text("Traceback (most recent call last):\nValueError: bad lr\n")
    app = app_for(engine, start_job=(ids["grid"], 3))
    async with app.run_test(size=(100, 30)) as pilot:
        await until_text(pilot, "ValueError: bad lr")
        await until_text(pilot, " stderr ")   # the header: another widget, maybe a frame later


async def test_both_streams_merge_in_the_order_lines_arrive(demo, git_repo):
    from snaptui.widgets.logview import LogView

    engine, ids = demo
    executor_id = str(4000 + ids["grid"] * 100 + 6)
    folder = git_repo / ".submitit" / executor_id
    out, err = folder / f"{executor_id}_0_log.out", folder / f"{executor_id}_0_log.err"
    err.write_text("err 1\n")
    out.write_text("out 1\n")     # written last: the running job opens on stdout
    app = make_app(engine, clock=lambda: NOW, refresh_on_start=False, poll_interval=0.05,
                   start_job=(ids["grid"], 6))
    async with app.run_test(size=(100, 30)) as pilot:
        log = app.screen.query_one(LogView)
        await until_text(pilot, "out 1")
        await pilot.press("e", "e")                                  # stdout, stderr, both
        await until_text(pilot, "stdout+stderr")
        await until(pilot, lambda: log.line_count == 2)
        with open(err, "a") as handle:
            handle.write("err 2\n")
        await until(pilot, lambda: log.line_count == 3)
        with open(out, "a") as handle:
            handle.write("out 2\n")
        await until(pilot, lambda: log.line_count == 4)
        assert [log.line(n) for n in range(4)] == ["out 1", "err 1", "err 2", "out 2"]


async def test_t_steps_through_the_tasks_of_a_multi_task_job_and_is_offered_only_there(demo, git_repo):
    from demo_store import S, T0, _set, _sweep
    from snaptui.screens.help import binding_rows

    engine, ids = demo
    sweep_id = _sweep(engine.store, git_repo, "ranks", {"seed": [1]}, {}, T0 + 7000, None, profile="slurm",
                      executor="slurm", executor_options={"tasks_per_node": 2})
    _set(engine.store, git_repo, sweep_id, 0, S.RUNNING, T0 + 7100)
    executor_id = str(4000 + sweep_id * 100)
    folder = git_repo / ".submitit" / executor_id
    folder.mkdir(parents=True, exist_ok=True)
    for rank in (0, 1):     # named as the multi-task runner names them: <job id>_<rank>_log.out
        (folder / f"{executor_id}_{rank}_log.out").write_text(f"rank {rank} says hello\n")
    app = app_for(engine, start_job=(sweep_id, 0))
    async with app.run_test(size=(120, 30)) as pilot:
        await until_text(pilot, "rank 0 says hello")
        await until_text(pilot, "task 0/2 (t)")
        assert "job.task" in [row[3] for row in binding_rows(app.screen)]
        assert "Task" in [c.title for c in app.get_system_commands(app.screen)]
        await pilot.press("t")
        await until_text(pilot, "rank 1 says hello")
        await until_text(pilot, "task 1/2 (t)")   # the header: another widget, maybe a frame later
        assert "rank 0 says hello" not in screen_text(app)
        await pilot.press("t")                                    # round to task 0
        await until_text(pilot, "rank 0 says hello")
        await until_text(pilot, "task 0/2")

    app = app_for(engine, start_job=(ids["grid"], 6))           # one task: no `t`, no "task" in the header
    async with app.run_test(size=(120, 30)) as pilot:
        await until_text(pilot, "epoch 39")
        assert "job.task" not in [row[3] for row in binding_rows(app.screen)]
        assert "Task" not in [c.title for c in app.get_system_commands(app.screen)]   # nor in the palette
        assert "task 0/" not in screen_text(app)
