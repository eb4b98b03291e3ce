"""Packing on the real cluster: jobs_per_task = N runs N sweep jobs one after another in one
array task, each with its own log, manifest, state, cancel and resubmit."""
from __future__ import annotations

import subprocess

import pytest

from snaptui.engine.jobside.manifest import read_manifest
from snaptui.engine.states import JobState
from tests.conftest import wait_sweep_done, wait_until
from tests.test_slurm import launch, slurm_cluster, slurm_engine  # noqa: F401 (fixtures)

pytestmark = [pytest.mark.slurm, pytest.mark.timeout(300)]


def test_a_packed_task_where_one_job_fails_and_one_is_cancelled(slurm_engine):
    # task 0 runs jobs 0-3: 0 fails, 1 is cancelled while running, 2 completes after it,
    # 3 is cancelled while it waits its turn; task 1 runs jobs 4-7, all complete.
    sweep = launch(slurm_engine, '''
        name = "packed"
        command = ["python", "job.py"]
        [[zip]]
        i = [0, 1, 2, 3, 4, 5, 6, 7]
        code = [3, 0, 0, 0, 0, 0, 0, 0]
        sleep = [0, 300, 0, 0, 0, 0, 0, 0]
    ''', sets=["jobs_per_task=4"])
    jobs = slurm_engine.jobs(sweep.id)
    tasks = [j.attempt.executor_id for j in jobs]
    assert tasks[:4] == [tasks[0]] * 4 and tasks[4:] == [tasks[4]] * 4 and tasks[0] != tasks[4]
    assert len({t.split("_")[0] for t in tasks}) == 1  # two tasks of one array
    wait_until(lambda: slurm_engine.jobs(sweep.id)[1].state == JobState.RUNNING, 90, message="job 1 to run")
    # known while its task still runs job 1 (the agent may see job 1 start a tick before job 0's end)
    wait_until(lambda: slurm_engine.jobs(sweep.id)[0].state == JobState.FAILED, 30, message="job 0 to fail")
    assert slurm_engine.jobs(sweep.id)[3].state == JobState.PENDING  # its turn has not come
    cancelled = slurm_engine.cancel(slurm_engine.jobs_by_index(sweep.id, [1, 3]))
    assert [j.index for j in cancelled] == [1, 3]
    done = wait_sweep_done(slurm_engine, sweep.id, 120)
    assert done.counts == {JobState.COMPLETED: 5, JobState.FAILED: 1, JobState.CANCELLED: 2}
    jobs = slurm_engine.jobs(sweep.id)
    assert [j.state for j in jobs[:4]] == [JobState.FAILED, JobState.CANCELLED, JobState.COMPLETED,
                                           JobState.CANCELLED]
    assert jobs[0].attempt.exit_code == 3
    folders = {j.attempt.log_dir for j in jobs}
    assert len(folders) == 8  # a folder, log and manifest of its own for each job
    for job in jobs:
        manifest = read_manifest(job.attempt.log_dir)
        assert (manifest["job_index"], manifest["attempt"]) == (job.index, 1)
        out, err = slurm_engine.log_paths(job)
        if job.index == 3:
            assert not out.exists() or "start" not in out.read_text()  # skipped, never started
        else:
            assert f'"i": "{job.index}"' in out.read_text()
            assert all(f'"i": "{other}"' not in out.read_text() for other in range(8) if other != job.index)
    assert "job failed: exit code 3" in slurm_engine.log_paths(jobs[0])[1].read_text()
    # Slurm saw task 0 fail (one of its jobs did) and task 1 complete
    sacct = lambda: subprocess.run(["sacct", "-X", "-n", "-P", "-o", "JobID,State", "-j", tasks[0].split("_")[0]],
                                   capture_output=True, text=True).stdout
    wait_until(lambda: f"{tasks[0]}|FAILED" in sacct() and f"{tasks[4]}|COMPLETED" in sacct(), 60,
               message="sacct to record both tasks")

    # resubmitting the failed and cancelled jobs packs them into one new task, new attempts, old logs kept
    first_logs = {j.index: slurm_engine.log_paths(j)[0] for j in jobs}
    again = slurm_engine.resubmit(slurm_engine.jobs_by_index(sweep.id, [0, 3]))
    assert [j.index for j in again] == [0, 3]
    done = wait_sweep_done(slurm_engine, sweep.id, 120)
    jobs = slurm_engine.jobs(sweep.id)
    assert (jobs[0].attempt.number, jobs[0].state, jobs[0].attempt.exit_code) == (2, JobState.FAILED, 3)
    assert (jobs[3].attempt.number, jobs[3].state) == (2, JobState.COMPLETED)
    assert jobs[0].attempt.executor_id == jobs[3].attempt.executor_id != tasks[0]
    assert first_logs[0].exists() and slurm_engine.log_paths(jobs[0])[0] != first_logs[0]


def test_cancelling_every_job_of_a_packed_task_cancels_the_task(slurm_engine):
    sweep = launch(slurm_engine, '''
        name = "packed-all"
        command = ["python", "job.py", "sleep=300"]
        [grid]
        i = [0, 1, 2]
    ''', sets=["jobs_per_task=3"])
    task = slurm_engine.jobs(sweep.id)[0].attempt.executor_id
    wait_until(lambda: slurm_engine.jobs(sweep.id)[0].state == JobState.RUNNING, 90, message="job 0 to run")
    slurm_engine.cancel_sweep(sweep.id)
    assert wait_sweep_done(slurm_engine, sweep.id, 90).counts == {JobState.CANCELLED: 3}
    queued = lambda: subprocess.run(["squeue", "-h", "-r", "-j", task.split("_")[0], "-o", "%i"],
                                    capture_output=True, text=True).stdout.split()
    wait_until(lambda: not queued(), 60, message="the task to leave the queue")
