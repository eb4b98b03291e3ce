"""The entry point a Slurm task starts (submitit_task.py): submitit's own job runner, minus the
numpy import submitit does before unpickling. Run here through submitit's local executor with the
Slurm executor's own command, so the pickles, result file and job environment are submitit's."""
from __future__ import annotations

import shutil

import pytest
import submitit

from snaptui.engine.executors.slurm.submission import CleanEnvSlurmExecutor

# A builtin pickles by reference, so the task needs nothing of the tests to unpickle it.
NUMPY_LOADED = "__import__('sys').modules.get('numpy') is not None"


class SnaptuiEntryLocalExecutor(submitit.LocalExecutor):
    """submitit's local executor starting its task with the command snaptui's Slurm executor writes."""

    _submitit_command_str = CleanEnvSlurmExecutor._submitit_command_str


def _run(executor_class, folder) -> object:
    executor = executor_class(folder=folder)
    executor.update_parameters(timeout_min=5)
    return executor.submit(eval, NUMPY_LOADED).result()


def test_the_task_runs_submitits_job_without_importing_numpy(tmp_path):
    assert _run(SnaptuiEntryLocalExecutor, tmp_path / "snaptui") is False
    # what it saves: submitit's own entry does import it (numpy is installed with snaptui)
    assert _run(submitit.LocalExecutor, tmp_path / "submitit") is True


@pytest.mark.skipif(shutil.which("srun") is None, reason="submitit's Slurm executor needs srun on PATH")
def test_the_sbatch_script_starts_snaptuis_entry(tmp_path):
    executor = CleanEnvSlurmExecutor(folder=tmp_path / "%j")
    script = executor._make_submission_file_text(executor._submitit_command_str, "uid")
    assert "-m snaptui.engine.jobside.submitit_task " in script
    assert "submitit.core._submit" not in script
