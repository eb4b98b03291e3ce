"""Job-table columns are registered once (display/columns.py) and drawn by the TUI's table and by
`snaptui status SWEEP` alike."""
from __future__ import annotations

import time

from snaptui.display.columns import COLUMNS, JobColumn, register_column
from snaptui.engine.api import Engine
from snaptui.widgets.jobtable import JobTable
from tests.conftest import run_cli, wait_sweep_done, write_sweep


def test_status_and_the_tui_table_draw_the_same_registered_columns(git_repo, monkeypatch):
    engine = Engine(git_repo)
    sweep = engine.launch(engine.plan(write_sweep(git_repo, '''
        name = "cols"
        command = ["python", "job.py"]
        [grid]
        result = [1, 2]
    ''')))
    wait_sweep_done(engine, sweep.id)
    jobs = engine.jobs(sweep.id)
    out = run_cli(["status", str(sweep.id)], git_repo).stdout.splitlines()
    header = next(line for line in out if line.startswith("job"))
    assert header.split()[:12] == ["job", "label", "state", "cause", "/", "waits", "att", "executor", "id", "node",
                                   "elapsed", "exit"]
    table = JobTable(clock=time.time)
    for job in jobs:
        row = next(line for line in out if line.startswith(job.ref + " "))
        for key in ("label", "state", "cause", "attempt", "executor_id", "exit"):
            assert table.cell_text(job, key, time.time()) in row   # the same cell, from the same column

    # a column added in one place is a column of the table: its title, cells and order
    monkeypatch.setitem(COLUMNS, "twice", JobColumn("twice", "2x", lambda job, _now: str(2 * job.index),
                                                    lambda job, _now: -job.index, right=True))
    assert table._title("twice") == "2x" and table.cell_text(jobs[1], "twice", 0) == "2"
    table.sort_key = "twice"
    assert sorted(jobs, key=table._sort_value) == list(reversed(jobs))
    register_column(COLUMNS["index"])   # registering again replaces, never duplicates
    assert list(COLUMNS).count("index") == 1
