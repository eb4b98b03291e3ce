"""submitit's SlurmExecutor, with sbatch started on a clean environment and a leaner task entry.

sbatch exports its own environment to the job (--export=ALL), so a launch from inside an
`salloc` or a batch job would hand that allocation's SLURM_* (SLURM_JOB_ID, SLURM_NTASKS,
SRUN_CPUS_PER_TASK, ...) and its GPU binding to the job's srun and tasks: srun then refuses to
start ("More processors requested than permitted") or the job sees the wrong GPUs. `env -u`
removes them for sbatch alone; the launching process keeps its environment.
"""
from __future__ import annotations

import contextlib
import io
import os
import shlex
import uuid
from pathlib import Path
from typing import Any

import submitit
import submitit.core.utils as submitit_utils
import submitit.slurm.slurm as submitit_slurm

from snaptui.engine.jobside.jobenv import submission_unset


class SbatchRefused(Exception):
    """sbatch refused the submission; the message is its own (limits.refusal names the setting)."""


class CleanEnvSlurmExecutor(submitit.SlurmExecutor):
    @property
    def _submitit_command_str(self) -> str:
        # submitit's runner through snaptui's entry point, which skips its numpy preload (submitit_task.py)
        return " ".join([self.python, "-u -m snaptui.engine.jobside.submitit_task", shlex.quote(str(self.folder))])

    def _make_submission_command(self, submission_file_path: Path) -> list[str]:
        command = super()._make_submission_command(submission_file_path)
        unset = [arg for name in submission_unset(os.environ) for arg in ("-u", name)]
        return ["env", *unset, *command] if unset else command

    def _submit_command(self, command: str) -> submitit.Job[Any]:
        """submitit's, except that a refused sbatch leaves nothing behind and prints nothing: submitit
        prints sbatch's stderr itself and keeps its submission file; SbatchRefused carries the message."""
        folder = submitit_utils.JobPaths.get_first_id_independent_folder(self.folder)
        before = set(folder.glob(".submission_file_*.sh"))
        quiet = io.StringIO()
        try:
            with contextlib.redirect_stderr(quiet):
                return super()._submit_command(command)
        except submitit_utils.FailedJobError as exc:
            for path in set(folder.glob(".submission_file_*.sh")) - before:
                path.unlink(missing_ok=True)
            raise SbatchRefused(str(exc).strip() or quiet.getvalue().strip()) from None

    def _internal_process_submissions(self, delayed_submissions: list[submitit_utils.DelayedSubmission]
                                      ) -> list[submitit.Job[Any]]:
        """submitit's own, with one change: the copy of the executor that submits an array is this class
        (submitit makes a plain SlurmExecutor, whose sbatch would keep the caller's SLURM_* variables).
        Written out rather than swapping submitit's module global for the call, which other threads
        submitting at the same time would see."""
        if len(delayed_submissions) == 1:
            folder = submitit_utils.JobPaths.get_first_id_independent_folder(self.folder)
            before = set(folder.glob("*.pkl"))
            try:
                return super()._internal_process_submissions(delayed_submissions)
            except SbatchRefused:
                for path in set(folder.glob("*.pkl")) - before:   # the job's pickle, never submitted
                    path.unlink(missing_ok=True)
                raise
        folder = submitit_utils.JobPaths.get_first_id_independent_folder(self.folder)
        folder.mkdir(parents=True, exist_ok=True)
        timeout_min = self.parameters.get("time", 5)
        pickle_paths = []
        for delayed in delayed_submissions:
            pickle_path = folder / f"{uuid.uuid4().hex}.pkl"
            delayed.set_timeout(timeout_min, self.max_num_timeout)
            delayed.dump(pickle_path)
            pickle_paths.append(pickle_path)
        array_ex = type(self)(self.folder, self.max_num_timeout)
        array_ex.update_parameters(**self.parameters)
        array_ex.parameters["map_count"] = len(delayed_submissions)
        self._throttle()
        try:
            first_job = array_ex._submit_command(self._submitit_command_str)
        except SbatchRefused:
            for pickle_path in pickle_paths:
                pickle_path.unlink(missing_ok=True)
            raise
        tasks_ids = list(range(first_job.num_tasks))
        jobs: list[submitit.Job[Any]] = [
            submitit_slurm.SlurmJob(folder=self.folder, job_id=f"{first_job.job_id}_{a}", tasks=tasks_ids)
            for a in range(len(delayed_submissions))]
        for job, pickle_path in zip(jobs, pickle_paths):
            job.paths.move_temporary_file(pickle_path, "submitted_pickle")
        return jobs
