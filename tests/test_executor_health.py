"""Executor.health: what keeps a scheduler's states from being read, as Engine.health reports it."""
from __future__ import annotations

import os
import shutil
import stat

import pytest

from snaptui.engine.executors import executor_for


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
