"""The executor interface on real executors: health, and what hand_over and submit do with attempts."""
from __future__ import annotations

import os
import shutil
import stat

import pytest

from snaptui.engine.executors import executor_for
from snaptui.engine.states import JobState
from tests.conftest import write_sweep


def _path_with_only(tmp_path, commands: list[str]) -> str:
    """A PATH holding real executables named like these commands, and nothing else."""
    folder = tmp_path / "bin"
    folder.mkdir()
    for name in commands:
        tool = folder / name
        tool.write_text("#!/bin/sh\nexit 0\n")
        tool.chmod(tool.stat().st_mode | stat.S_IXUSR)
    return str(folder)


@pytest.mark.parametrize("name, commands", [("slurm", ["sbatch", "sacct", "squeue", "scancel"]),
                                            ("allocation", ["srun", "scancel"])])
def test_a_scheduler_command_missing_from_path_is_named(engine, tmp_path, monkeypatch, name, commands):
    executor = executor_for(name, engine.store, engine.repo_root)
    monkeypatch.setenv("PATH", _path_with_only(tmp_path, commands[1:]))
    problems = executor.health()
    assert len(problems) == 1 and problems[0].startswith(f"{commands[0]} not found on PATH")
    assert f"{name} jobs" in problems[0]
    (tmp_path / "bin" / commands[0]).write_text("#!/bin/sh\n")
    (tmp_path / "bin" / commands[0]).chmod(0o700)
    assert executor.health() == []


def test_local_jobs_need_no_scheduler_command(engine, monkeypatch):
    monkeypatch.setenv("PATH", os.devnull)
    assert executor_for("local", engine.store, engine.repo_root).health() == []
    assert shutil.which("sacct") is None  # the PATH above really hides everything


def _recorded_sweep(engine, executor: str, profile_extra: dict):
    """A sweep recorded as a launch records it (from a real plan), handed to no executor yet."""
    plan = engine.plan(write_sweep(engine.repo_root, '''
        name = "two"
        command = ["python", "-c", "pass"]
        [grid]
        i = [0, 1]
    '''), no_snapshot=True)
    config = plan.config.to_dict()
    kind = "slurm" if executor == "allocation" else executor   # a Slurm profile with an allocation runs steps
    config["executor"] = {**config["executor"], "executor": kind, **profile_extra}
    sweep_id = engine.store.create_sweep(
        name="two", executor=executor, profile="test", sweep_file=None, spec=plan.spec.to_dict(), config=config,
        snapshot=None, workdir=str(engine.repo_root), env={}, jobs=[(j.index, j.label, j.params, j.argv)
                                                                    for j in plan.jobs])
    engine.store.set_sweep_status(sweep_id, "active")
    return engine.store.sweep(sweep_id)


def test_executors_that_queue_leave_handed_over_attempts_to_the_agent(engine):
    sweep = _recorded_sweep(engine, "allocation", {"allocation": "999999", "allocation_cpus": 1})
    executor = executor_for("allocation", engine.store, engine.repo_root)
    assert executor.hand_over(sweep) is False
    attempts = engine.store.active_attempts(sweep_id=sweep.id)
    assert [(a.state, a.executor_id, a.claimed) for a in attempts] == [(JobState.PENDING, None, False)] * 2


def test_a_step_that_cannot_start_fails_its_job_with_the_reason(engine, tmp_path, monkeypatch):
    sweep = _recorded_sweep(engine, "allocation", {"allocation": "999999", "max_parallel_jobs": 1})
    executor = executor_for("allocation", engine.store, engine.repo_root)
    monkeypatch.setenv("PATH", _path_with_only(tmp_path, []))      # no srun to start
    executor.dispatch_queued()                                       # what the agent does on a tick
    first, second = [job.attempt for job in engine.jobs(sweep.id)]
    assert first.state == JobState.FAILED and first.reason.startswith("could not start srun: ")
    assert "srun" in first.reason and first.ended_at is not None
    assert second.state == JobState.PENDING                          # one slot: the second waits its turn
