"""Slurm: snaptui against its baselines on the same cluster, in the same run.

- a 200-task sweep through snaptui against a raw `sbatch --array` of the same command, and the
  same sweep packed (jobs_per_task) against the same raw array: submission to all done;
- a 60-task sweep of 1 s tasks against the raw array of them. Slurm starts array tasks on its
  scheduling passes (about once a second here): a raw 0.2 s task ends in time for the next pass
  and a snaptui task (srun step, submitit's runner, manifests: ~0.3 s more) often does not, so
  the 0.2 s row measures that quantisation as much as snaptui; at 1 s both wait for the same pass;
- a 20-task Hydra sweep (fewer if MaxArraySize is smaller) through `hydra/launcher=snaptui_slurm` against Hydra's
  own submitit launcher (the peer) on the same app: submission to all done, and the scheduler calls each makes;
- the scheduler queries (sacct, squeue) per minute while a sweep is active, snaptui's against the peer's;
- a 1,000-job Hydra multirun: `python app.py -m` to all jobs submitted, against Hydra's submitit launcher,
  with the split of that time (bench/_hydra_multirun.py; SNAPTUI_BENCH_HYDRA_BIG_JOBS, _SAMPLES).

Every case runs SAMPLES times, alternating with its baseline so load drifts hit both alike; the
median is reported. Scheduler calls are counted by wrappers first on PATH that log each call of
sbatch, sacct, squeue and scontrol, for snaptui and for the peer alike.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import alternating, print_table, row, sampled_row  # noqa: E402

TASKS = int(os.environ.get("SNAPTUI_BENCH_SLURM_TASKS", "200"))
HYDRA_TASKS = int(os.environ.get("SNAPTUI_BENCH_HYDRA_TASKS", "20"))
SAMPLES = int(os.environ.get("SNAPTUI_BENCH_SAMPLES", "3"))
PER_TASK = int(os.environ.get("SNAPTUI_BENCH_JOBS_PER_TASK", "10"))
COMMAND = "sleep 0.2"  # the same shell command for snaptui and the raw array
LONG_TASKS = int(os.environ.get("SNAPTUI_BENCH_LONG_TASKS", "60"))
LONG_COMMAND = "sleep 1"
COUNTED = ("sbatch", "sacct", "squeue", "scontrol")
HYDRA_APP = '''
import time
import hydra
from omegaconf import DictConfig

@hydra.main(version_base="1.3", config_path=None, config_name=None)
def main(cfg: DictConfig) -> None:
    time.sleep(0.2)

if __name__ == "__main__":
    main()
'''


def _cluster_up() -> bool:
    return shutil.which("sbatch") is not None and subprocess.run(["sinfo", "-h"], capture_output=True).returncode == 0


def _queue_empty_of(job_ids: list[str]) -> bool:
    out = subprocess.run(["squeue", "-h", "-j", ",".join(job_ids)], capture_output=True, text=True).stdout
    return not out.strip()


def _raw_array(workdir: Path, tasks: int, command: str = COMMAND) -> float:
    """sbatch --array, split the way the cluster's MaxArraySize requires, then wait until all left."""
    from snaptui.engine.executors.slurm.limits import read_limits

    size = read_limits().max_array_size or tasks
    start = time.perf_counter()
    ids = []
    for first in range(0, tasks, size):
        count = min(size, tasks - first)
        out = subprocess.run(["sbatch", "--parsable", f"--array=0-{count - 1}", "--mem=256M", "-o", "/dev/null",
                              "--wrap", command], cwd=workdir, check=True, capture_output=True, text=True).stdout
        ids.append(out.strip().split(";")[0])
    while not _queue_empty_of(ids):
        time.sleep(0.5)
    return time.perf_counter() - start


class CallCounter:
    """Wrappers for the scheduler's commands, first on PATH, that log every call."""

    def __init__(self, tmp: Path):
        self.log = tmp / "calls.log"
        self.bin = tmp / "bin"
        self.bin.mkdir()
        for tool in COUNTED:
            real = shutil.which(tool)
            (self.bin / tool).write_text(f"#!/bin/sh\necho {tool} >> {self.log}\nexec {real} \"$@\"\n")
            (self.bin / tool).chmod(0o755)

    def env(self) -> dict:
        return {**os.environ, "PATH": f"{self.bin}:{os.environ['PATH']}"}

    def take(self) -> dict[str, int]:
        """Calls since the last take, by command."""
        lines = self.log.read_text().split() if self.log.exists() else []
        self.log.unlink(missing_ok=True)
        return {tool: lines.count(tool) for tool in COUNTED}


def _repo(tmp: Path, name: str) -> Path:
    repo = tmp / name
    repo.mkdir()
    run = lambda *a: subprocess.run(["git", "-C", str(repo), *a], check=True, capture_output=True)
    run("init", "-q")
    (repo / "snaptui.toml").write_text(textwrap.dedent(f'''
        [snapshot]
        worktree_root = "{tmp / 'worktrees'}"
        [profiles.slurm]
        executor = "slurm"
        partition = "debug"
        mem_gb = 0.25
        timeout_min = 30
        poll_interval_s = 2
    '''))
    (repo / "app.py").write_text(HYDRA_APP)
    run("add", "-A")
    run("-c", "user.name=b", "-c", "user.email=b@b", "commit", "-qm", "bench")
    return repo


def _snaptui_sweep(repo: Path, tasks: int, counter: CallCounter, per_task: int = 1,
                   command: str = COMMAND) -> tuple[float, float]:
    """Launch through the CLI as a user does (the agent inherits the counting PATH); wait for the end.
    Returns (seconds, minutes while active)."""
    from snaptui.engine.api import Engine
    from snaptui.engine.states import JobState

    (repo / "sweep.toml").write_text(f'name = "bench"\ncommand = ["sh", "-c", "{command}", "task"]\n'
                                     f'profile = "slurm"\n[grid]\ni = "range({tasks})"\n')
    env = counter.env()
    start = time.perf_counter()
    out = subprocess.run([sys.executable, "-m", "snaptui", "--batch", "sweep.toml", "--no-wait",
                          "--set", f"jobs_per_task={per_task}"], cwd=repo, env=env, check=True,
                         capture_output=True, text=True).stdout
    sweep_id = int(out.strip().splitlines()[-1])
    active_from = time.perf_counter()
    engine = Engine(repo)
    while engine.sweep(sweep_id).is_active:
        time.sleep(0.2)
    elapsed = time.perf_counter() - start
    counts = engine.sweep(sweep_id).counts
    assert counts == {JobState.COMPLETED: tasks}, counts
    return elapsed, (time.perf_counter() - active_from) / 60


def _hydra_sweep(repo: Path, launcher: str, tasks: int, counter: CallCounter) -> float:
    params = ["hydra.launcher.partition=debug", "hydra.launcher.mem_gb=1", "hydra.launcher.timeout_min=30"]
    start = time.perf_counter()
    subprocess.run([sys.executable, "app.py", "-m", f"hydra/launcher={launcher}", *params,
                    f"+i=range({tasks})"], cwd=repo, env=counter.env(), check=True, capture_output=True, text=True)
    return time.perf_counter() - start


def _calls(counts: dict[str, int]) -> str:
    return " ".join(f"{k} {v}" for k, v in counts.items() if v)


def run(tasks: int = TASKS) -> list[dict]:
    if not _cluster_up():
        raise RuntimeError("the Slurm cluster is not up (scripts/slurm-cluster up)")
    rows = []
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        counter = CallCounter(tmp)
        repo = _repo(tmp, "repo")
        active = {"minutes": 0.0, "calls": 0}

        def snaptui(per_task, n=tasks, command=COMMAND):
            def go():
                counter.take()
                seconds, minutes = _snaptui_sweep(repo, n, counter, per_task, command)
                calls = counter.take()
                active["minutes"] += minutes
                active["calls"] += calls["sacct"] + calls["squeue"]
                return seconds
            return go

        # No warm-up round: each sample is minutes of cluster time; turns alternate (A B B A ...).
        base, value = alternating(lambda: _raw_array(tmp, tasks), snaptui(1), SAMPLES, warmup=False)
        rows.append(sampled_row("slurm", f"{tasks}-task sweep, submit to all done", base, value,
                                "baseline: raw sbatch --array"))
        base, value = alternating(lambda: _raw_array(tmp, tasks), snaptui(PER_TASK), SAMPLES, warmup=False)
        rows.append(sampled_row("slurm", f"{tasks}-job sweep packed {PER_TASK} per task, submit to all done",
                                base, value, f"baseline: raw sbatch --array of {tasks} tasks"))
        base, value = alternating(lambda: _raw_array(tmp, LONG_TASKS, LONG_COMMAND),
                                  snaptui(1, LONG_TASKS, LONG_COMMAND), SAMPLES, warmup=False)
        rows.append(sampled_row("slurm", f"{LONG_TASKS}-task sweep of {LONG_COMMAND.split()[1]} s tasks, submit to "
                                f"all done", base, value, f"baseline: raw sbatch --array of `{LONG_COMMAND}`"))
        per_minute = active["calls"] / active["minutes"] if active["minutes"] else float("nan")

        hydra_calls = {}
        hydra_queries = {"submitit_slurm": [0, 0.0], "snaptui_slurm": [0, 0.0]}   # sacct+squeue calls, minutes
        from snaptui.engine.executors.slurm.limits import read_limits
        # Hydra's submitit launcher submits one array: on a cluster with a smaller MaxArraySize
        # (make test's 11) it cannot run more tasks than that, so the peer sweep is cut to fit.
        hydra_tasks = min(HYDRA_TASKS, read_limits().max_array_size or HYDRA_TASKS)

        def hydra(launcher):
            def go():
                counter.take()
                seconds = _hydra_sweep(repo, launcher, hydra_tasks, counter)
                hydra_calls[launcher] = counter.take()
                hydra_queries[launcher][0] += hydra_calls[launcher]["sacct"] + hydra_calls[launcher]["squeue"]
                hydra_queries[launcher][1] += seconds / 60
                return seconds
            return go

        base, value = alternating(hydra("submitit_slurm"), hydra("snaptui_slurm"), SAMPLES, warmup=False)
        rows.append(sampled_row("slurm", f"{hydra_tasks}-task Hydra sweep, submit to all done", base, value,
                                "baseline: Hydra's submitit launcher"))
        peer, ours = hydra_calls["submitit_slurm"], hydra_calls["snaptui_slurm"]
        (peer_q, peer_min), (ours_q, ours_min) = hydra_queries["submitit_slurm"], hydra_queries["snaptui_slurm"]
        rows.append(row("slurm", "scheduler queries (sacct, squeue) per minute while a sweep is active",
                        peer_q / peer_min, ours_q / ours_min,
                        f"baseline: Hydra's submitit launcher on the same {hydra_tasks}-task sweeps; snaptui's "
                        f"{tasks}-task sweeps: {active['calls']} calls in {active['minutes']:.1f} min "
                        f"= {per_minute:.1f}/min", unit="calls/min"))
        rows.append(row("slurm", f"scheduler calls for the {hydra_tasks}-task Hydra sweep", sum(peer.values()),
                        sum(ours.values()), f"snaptui: {_calls(ours)}; submitit: {_calls(peer)} (last sample)",
                        unit="calls"))
        # Last: minutes of composing (Hydra's, and submitit's launcher's) for submissions cancelled at once.
        from bench._hydra_multirun import rows as multirun_rows
        rows += multirun_rows(repo, tmp, read_limits().max_array_size)
        from snaptui.engine.agent import stop_agent
        stop_agent(repo)
    return rows


if __name__ == "__main__":
    print_table(run())
