"""submitit's SlurmExecutor, with sbatch started on a clean environment and a leaner task entry.

sbatch exports its own environment to the job (--export=ALL), so a launch from inside an
`salloc` or a batch job would hand that allocation's SLURM_* (SLURM_JOB_ID, SLURM_NTASKS,
SRUN_CPUS_PER_TASK, ...) and its GPU binding to the job's srun and tasks: srun then refuses to
start ("More processors requested than permitted") or the job sees the wrong GPUs. `env -u`
removes them for sbatch alone; the launching process keeps its environment.
"""
from __future__ import annotations

import os
import shlex
from pathlib import Path

import submitit
import submitit.slurm.slurm as submitit_slurm

from snaptui.engine.jobside.jobenv import submission_unset


class CleanEnvSlurmExecutor(submitit.SlurmExecutor):
    @property
    def _submitit_command_str(self) -> str:
        # submitit's runner through snaptui's entry point, which skips its numpy preload (submitit_task.py)
        return " ".join([self.python, "-u -m snaptui.engine.jobside.submitit_task", shlex.quote(str(self.folder))])

    def _make_submission_command(self, submission_file_path: Path) -> list[str]:
        command = super()._make_submission_command(submission_file_path)
        unset = [arg for name in submission_unset(os.environ) for arg in ("-u", name)]
        return ["env", *unset, *command] if unset else command

    def _internal_process_submissions(self, delayed_submissions):
        # submitit submits an array through a fresh `SlurmExecutor(...)` looked up in its module:
        # for the duration of this call that name is this class, so arrays get the clean sbatch too.
        original = submitit_slurm.SlurmExecutor
        submitit_slurm.SlurmExecutor = CleanEnvSlurmExecutor
        try:
            return super()._internal_process_submissions(delayed_submissions)
        finally:
            submitit_slurm.SlurmExecutor = original
