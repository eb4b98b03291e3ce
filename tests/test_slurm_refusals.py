"""What the cluster cannot take is one line naming the setting and exit 2, with nothing left behind
(issue 27, item 8): checked before the snapshot, by --dry-run too, and sbatch's own refusals caught."""
from __future__ import annotations

import pytest

from tests.conftest import git, run_cli, write_sweep
from tests.test_slurm import slurm_cluster, slurm_engine  # noqa: F401 - fixtures

pytestmark = [pytest.mark.slurm, pytest.mark.timeout(300)]


def left_behind(repo) -> list[str]:
    found = [f"branch {b}" for b in git(repo, "branch", "--list", "snaptui/*").split()]
    found += [f"file {p.relative_to(repo)}" for p in (repo / ".submitit").rglob("*")] \
        if (repo / ".submitit").exists() else []
    return found


@pytest.mark.parametrize("setting, said", [
    ("partition=nosuch", "partition: no partition 'nosuch' on this cluster (partitions: debug)"),
    ("qos=nosuch", "qos: no QOS 'nosuch' on this cluster"),
    ("account=nosuch", "account: root has no account 'nosuch'"),
    ("mem_gb=4000", "mem_gb: 4e+03 GB per node asked, but the nodes of partition debug have at most"),
    ("cpus_per_task=64", "cpus_per_task: 64 CPUs per node asked, but the nodes of partition debug have at most 2"),
    ("gpus_per_node=9", "gpus_per_node: 9 GPUs per node asked"),
])
def test_a_request_the_cluster_cannot_take_is_refused_before_the_snapshot(slurm_engine, setting, said):
    repo = slurm_engine.repo_root
    write_sweep(repo, 'name = "no"\ncommand = ["python", "job.py"]\n')
    for args in (["--dry-run"], []):
        result = run_cli(["--batch", "sweep.toml", "--profile", "slurm", "--set", setting, *args], cwd=repo)
        assert result.returncode == 2, result.stdout + result.stderr
        assert said.replace("root", result.stderr.split("account: ")[-1].split()[0]) in result.stderr \
            if "account" in setting else said in result.stderr, result.stderr
        assert "--set" in result.stderr and "Traceback" not in result.stderr + result.stdout
        assert len([line for line in result.stderr.splitlines() if line.strip()]) <= 3   # error, the line, a hint
    assert left_behind(repo) == []


def test_what_only_sbatch_refuses_is_one_line_too_and_leaves_nothing(slurm_engine):
    """A constraint no node has: snaptui does not read node features, sbatch refuses it; submitit's own
    print of sbatch's stderr and its submission file are gone too."""
    repo = slurm_engine.repo_root
    for grid in ("", "[grid]\ni = [1, 2]\n"):   # one job (submitted alone), two (an array)
        write_sweep(repo, f'name = "no"\ncommand = ["python", "job.py"]\n{grid}')
        result = run_cli(["--batch", "sweep.toml", "--profile", "slurm", "--set", "constraint=nofeature"], cwd=repo)
        assert result.returncode == 2, result.stdout + result.stderr
        assert "constraint: sbatch refused the jobs: Invalid feature specification (constraint = 'nofeature')" \
            in result.stderr
        assert "Traceback" not in result.stderr and "sbatch: error" not in result.stderr
        assert left_behind(repo) == [] and "no sweeps yet" in run_cli(["status"], cwd=repo).stdout


def test_dry_run_script_prints_what_sbatch_would_get(slurm_engine):
    """Item 5: the exact sbatch script of the sweep's array, with its srun line; nothing submitted."""
    repo = slurm_engine.repo_root
    write_sweep(repo, 'name = "show"\ncommand = ["python", "job.py"]\n[grid]\ni = [1, 2, 3]\n')
    result = run_cli(["--batch", "sweep.toml", "--profile", "slurm", "--dry-run", "--script", "--set",
                      "max_parallel_jobs=2", "--set", "timeout_min=7"], cwd=repo)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "#!/bin/bash"
    for wanted in ("#SBATCH --array=0-2%2", "#SBATCH --partition=debug", "#SBATCH --time=7", "#SBATCH --mem=256MB",
                   "#SBATCH --open-mode=append"):
        assert wanted in lines, (wanted, result.stdout)
    assert any(line.startswith("srun --unbuffered") and "snaptui.engine.jobside.submitit_task" in line
               for line in lines)
    local = run_cli(["--batch", "sweep.toml", "--profile", "local", "--dry-run", "--script"], cwd=repo)
    assert local.returncode == 0 and "as processes: no script" in local.stdout
    assert run_cli(["--batch", "sweep.toml", "--script"], cwd=repo).returncode == 2   # --script needs --dry-run
    assert left_behind(repo) == [] and "no sweeps yet" in run_cli(["status"], cwd=repo).stdout
