"""A Slurm job's environment, on the real cluster: launched from inside an salloc, the job sees
its own SLURM_* (matching sacct) and none of the allocation's or the launching shell's."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from snaptui.engine.states import JobState
from tests.conftest import wait_sweep_done, wait_until, write_sweep
from tests.test_job_env import add_env_dump, dumped_env
from tests.test_slurm import slurm_cluster, slurm_engine  # noqa: F401  (fixtures)

pytestmark = [pytest.mark.slurm, pytest.mark.timeout(300)]


def sacct_ids(array_id: str) -> dict[str, str]:
    """Array task id (123_1) -> the task's own job id, as accounting has them."""
    out = subprocess.run(["sacct", "-X", "-n", "-P", "-o", "JobID,JobIDRaw", "-j", array_id],
                         capture_output=True, text=True, check=True).stdout
    return dict(line.split("|") for line in out.splitlines() if line)


def test_job_sees_its_own_slurm_variables_not_the_launching_allocations(slurm_engine):
    repo = slurm_engine.repo_root
    add_env_dump(repo)
    write_sweep(repo, '''
        name = "slurm-env"
        command = ["python", "envdump.py"]
        [grid]
        x = [1, 2]
        [env]
        FROM_SWEEP = "sweep"
    ''')
    shell = dict(os.environ, SLURM_FROM_LAUNCH_SHELL="leak", CUDA_VISIBLE_DEVICES="7", FROM_SHELL="shell",
                 SRUN_CPUS_PER_TASK="2")
    # the launch runs inside a real allocation, as a user's `salloc` shell would
    launched = subprocess.run(
        ["salloc", "-n1", "--mem=64M", "-t", "5", "-J", "snaptui-test-launch-shell",
         sys.executable, "-m", "snaptui", "--batch", "sweep.toml", "--profile", "slurm", "--no-wait"],
        cwd=repo, env=shell, capture_output=True, text=True, timeout=240)
    assert launched.returncode == 0, launched.stderr
    allocation = next(line.split()[-1] for line in launched.stderr.splitlines() if "Granted job allocation" in line)
    sweep = slurm_engine.sweeps()[0]
    done = wait_sweep_done(slurm_engine, sweep.id)
    assert done.counts == {JobState.COMPLETED: 2}
    jobs = slurm_engine.jobs(sweep.id)
    array = jobs[0].attempt.executor_id.split("_")[0]
    # accounting may lag the jobs' own reports
    accounting = wait_until(lambda: len(ids := sacct_ids(array)) == 2 and ids, 30, 0.5, "sacct to list both tasks")
    for job in jobs:
        env = dumped_env(job)
        array_task = job.attempt.executor_id
        assert env["SLURM_ARRAY_JOB_ID"] == array
        assert env["SLURM_ARRAY_TASK_ID"] == array_task.split("_")[1]
        assert env["SLURM_JOB_ID"] == accounting[array_task] != allocation
        assert env["SLURM_PROCID"] == "0" and env["SLURM_NTASKS"] == "1"
        assert env["SUBMITIT_EXECUTOR"] == "slurm"
        assert "SLURM_FROM_LAUNCH_SHELL" not in env and "SRUN_CPUS_PER_TASK" not in env
        assert env.get("CUDA_VISIBLE_DEVICES") != "7"
        assert (env["FROM_SHELL"], env["FROM_SWEEP"]) == ("shell", "sweep")
