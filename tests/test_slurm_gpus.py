"""GPUs on the real cluster (fake NVIDIA-named devices from scripts/slurm-cluster): two jobs
asking for one GPU each, running at once, are bound to different devices."""
from __future__ import annotations

import subprocess
import textwrap

import pytest

from snaptui.engine.states import JobState
from tests.conftest import git, wait_sweep_done, write_sweep
from tests.test_job_env import dumped_env
from tests.test_slurm import slurm_cluster, slurm_engine  # noqa: F401  (fixtures)

pytestmark = [pytest.mark.slurm, pytest.mark.timeout(300)]

# Each job waits until its peer has started too (an event, not a sleep), so both hold a GPU at once.
TOGETHER = textwrap.dedent('''\
    import json, os, sys, time
    barrier = sys.argv[1]
    os.makedirs(barrier, exist_ok=True)
    open(os.path.join(barrier, os.environ["SLURM_JOB_ID"]), "w").close()
    deadline = time.time() + 200
    while len(os.listdir(barrier)) < 2 and time.time() < deadline:
        time.sleep(0.1)
    with open(os.path.join(os.environ["SNAPTUI_JOB_DIR"], "env-0.json"), "w") as f:
        json.dump(dict(os.environ, PEERS_SEEN=str(len(os.listdir(barrier)))), f)
''')


def cluster_gpus() -> int:
    out = subprocess.run(["sinfo", "-h", "-o", "%G"], capture_output=True, text=True).stdout
    return sum(int(g.split(":")[-1]) for g in out.split() if g.startswith("gpu"))


def test_concurrent_one_gpu_jobs_see_different_devices(slurm_engine, tmp_path):
    if cluster_gpus() < 2:
        pytest.skip("the test cluster has fewer than 2 GPUs (SLURM_CLUSTER_GPUS)")
    repo = slurm_engine.repo_root
    (repo / "together.py").write_text(TOGETHER)
    git(repo, "add", "together.py")
    git(repo, "commit", "-qm", "gpu job")
    path = write_sweep(repo, f'''
        name = "gpus"
        command = ["python", "together.py", "{tmp_path / 'barrier'}"]
        [grid]
        i = [0, 1]
    ''')
    sweep = slurm_engine.launch(slurm_engine.plan(path, profile="slurm", sets=["gpus_per_node=1"]))
    assert wait_sweep_done(slurm_engine, sweep.id, 240).counts == {JobState.COMPLETED: 2}
    envs = [dumped_env(job) for job in slurm_engine.jobs(sweep.id)]
    assert [e["PEERS_SEEN"] for e in envs] == ["2", "2"]  # both ran at once
    assert sorted(e["CUDA_VISIBLE_DEVICES"] for e in envs) == ["0", "1"]
    assert sorted(e["GPU_DEVICE_ORDINAL"] for e in envs) == ["0", "1"]
