"""Several tasks reporting into one manifest at once: no report is lost, the last one decides."""
from __future__ import annotations

import multiprocessing
import time

import pytest

from snaptui.engine.jobside.manifest import read_manifest
from snaptui.engine.jobside.taskreport import Reporter, job_outcome

NTASKS = 8


def _task(folder: str, rank: int, start) -> None:
    report = Reporter(folder, {"sweep_id": 1, "job_index": 0, "attempt": 1}, rank, NTASKS)
    start.wait()
    report.update(host="h", state="RUNNING", started_at=time.time())
    code = 5 if rank == 6 else 0
    report.update(state="COMPLETED" if code == 0 else "FAILED", exit_code=code, ended_at=time.time(),
                  reason=None if code == 0 else f"exit code {code}", results={"rank": rank})


def run_tasks_at_once(folder) -> None:
    context = multiprocessing.get_context("fork")
    start = context.Event()
    procs = [context.Process(target=_task, args=(str(folder), r, start)) for r in range(NTASKS)]
    for proc in procs:
        proc.start()
    start.set()
    for proc in procs:
        proc.join(60)


@pytest.mark.parametrize("round_", range(5))  # a lost update shows in some rounds, not all
def test_concurrent_task_reports_all_land_in_one_manifest(tmp_path, round_):
    run_tasks_at_once(tmp_path)
    manifest = read_manifest(tmp_path)
    assert sorted(manifest["tasks"]) == sorted(str(r) for r in range(NTASKS))
    assert {r: t["exit_code"] for r, t in manifest["tasks"].items()} == {str(r): 5 if r == 6 else 0
                                                                         for r in range(NTASKS)}
    assert (manifest["state"], manifest["exit_code"]) == ("FAILED", 5)
    assert manifest["reason"] == "task 6 of 8: exit code 5"
    assert manifest["results"] == {"rank": 0}  # task 0 speaks for the job


def test_a_job_is_final_only_when_every_task_ended():
    tasks = {0: {"rank": 0, "state": "COMPLETED", "exit_code": 0, "ended_at": 2.0}}
    assert job_outcome(tasks, 2)["state"] == "RUNNING"
    tasks[1] = {"rank": 1, "state": "COMPLETED", "exit_code": 0, "ended_at": 3.0}
    assert job_outcome(tasks, 2) == {"state": "COMPLETED", "exit_code": 0, "reason": None, "ended_at": 3.0}
