"""Multi-task jobs on the real cluster: every task runs the command with its own rank, one
manifest holds every task's exit code, one failed task fails the job, each task has its log."""
from __future__ import annotations

import textwrap

import pytest

from snaptui.engine.jobside.manifest import read_manifest
from snaptui.engine.states import JobState
from tests.conftest import git, run_cli, wait_sweep_done, write_sweep
from tests.test_slurm import slurm_cluster, slurm_engine  # noqa: F401  (fixtures)

pytestmark = [pytest.mark.slurm, pytest.mark.timeout(300)]

RANKED = textwrap.dedent('''\
    import json, os, sys, time
    args = dict(a.split("=", 1) for a in sys.argv[1:])
    rank = int(os.environ["SLURM_PROCID"])
    print(f"rank {rank} local {os.environ['SLURM_LOCALID']} of {os.environ['SLURM_NTASKS']}", flush=True)
    time.sleep(1)  # both tasks run at once: their reports race for the manifest
    sys.exit(3 if rank == int(args["fail_rank"]) else 0)
''')


def test_every_task_runs_and_one_failed_task_fails_the_job(slurm_engine):
    repo = slurm_engine.repo_root
    (repo / "ranked.py").write_text(RANKED)
    git(repo, "add", "ranked.py")
    git(repo, "commit", "-qm", "ranked job")
    path = write_sweep(repo, '''
        name = "tasks"
        command = ["python", "ranked.py"]
        [grid]
        fail_rank = [-1, 1]
    ''')
    sweep = slurm_engine.launch(slurm_engine.plan(path, profile="slurm", sets=["tasks_per_node=2"]))
    done = wait_sweep_done(slurm_engine, sweep.id)
    assert done.counts == {JobState.COMPLETED: 1, JobState.FAILED: 1}
    ok, failed = sorted(slurm_engine.jobs(sweep.id), key=lambda j: j.index)
    assert failed.state == JobState.FAILED and failed.attempt.exit_code == 3
    assert "task 1 of 2" in failed.attempt.reason
    for job, codes in ((ok, {"0": 0, "1": 0}), (failed, {"0": 0, "1": 3})):
        manifest = read_manifest(job.attempt.log_dir)
        assert manifest["ntasks"] == 2
        assert {rank: task["exit_code"] for rank, task in manifest["tasks"].items()} == codes
        for rank in ("0", "1"):
            out = run_cli(["logs", f"{sweep.id}/{job.index}", "--task", rank], cwd=repo)
            assert out.returncode == 0, out.stderr
            assert f"rank {rank} local {rank} of 2" in out.stdout.splitlines()
            assert f"rank {1 - int(rank)} " not in out.stdout
    bad = run_cli(["logs", f"{sweep.id}/0", "--task", "2"], cwd=repo)
    assert bad.returncode == 2 and "has 2 tasks" in bad.stderr + bad.stdout
