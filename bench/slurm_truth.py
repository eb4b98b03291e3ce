"""How soon a Slurm job's end shows after it leaves the queue (issue 27, item 7): an outside `scancel`, a time
limit (TIMEOUT) and an exit 3, each measured from the moment squeue stops listing the job to the moment the
store (what `status`, `--batch` and the TUI read) has its final state; snaptui as it is against itself with the
look at the queue turned off (SNAPTUI_SLURM_QUEUE_LOOK_S=0: states from sacct alone, every poll_interval_s,
backing off while nothing changes: what issue 27 measured at 9.6 s to 28 s). Both sweeps run at once on the
same cluster, so load hits both; a TIMEOUT costs a minute or more (slurmctld enforces a 1-minute limit at 60
to 90 s). One sample: the time-limit case cannot be repeated cheaply."""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import print_table, row  # noqa: E402

CASES = {0: "outside scancel", 1: "TIMEOUT", 2: "exit 3"}
JOB = "import sys, time\nkind = sys.argv[1].split('=')[1]\ntime.sleep({'cancel': 600, 'limit': 200}.get(kind, 5))\n" \
      "sys.exit(3 if kind == 'exit' else 0)\n"


def _cluster_up() -> bool:
    import shutil
    return shutil.which("sbatch") is not None and subprocess.run(["sinfo", "-h"], capture_output=True).returncode == 0


def _repo(tmp: Path, name: str) -> Path:
    repo = tmp / name
    repo.mkdir()
    git = lambda *a: subprocess.run(["git", "-C", str(repo), *a], check=True, capture_output=True)   # noqa: E731
    git("init", "-q")
    (repo / "snaptui.toml").write_text(textwrap.dedent(f'''
        [snapshot]
        worktree_root = "{tmp / 'worktrees'}"
        [profiles.slurm]
        executor = "slurm"
        partition = "debug"
        mem_gb = 0.25
        cpus_per_task = 1
        timeout_min = 1
    '''))
    (repo / "job.py").write_text(JOB)
    (repo / "sweep.toml").write_text('name = "ends"\ncommand = ["python", "job.py"]\n[grid]\nkind = ["cancel", '
                                     '"limit", "exit"]\n')
    git("add", "-A")
    git("-c", "user.name=b", "-c", "user.email=b@b", "commit", "-qm", "bench")
    return repo


def _in_queue(job_id: str) -> bool:
    """squeue still lists the job as pending, running or completing (its default states). A failed squeue
    (a busy or restarting controller) says nothing: counted as still listed, never as the moment it left."""
    result = subprocess.run(["squeue", "-h", "-j", job_id, "-o", "%T"], capture_output=True, text=True)
    if result.returncode != 0 and "Invalid job id" not in result.stderr:
        return True
    out = result.stdout.split()
    return bool(out) and out[0] in ("PENDING", "RUNNING", "COMPLETING", "CONFIGURING")


def _launch(repo: Path, queue_look: bool):
    """Launch the sweep; its agent (started by the launch) inherits the queue look's setting."""
    from snaptui.engine.api import Engine

    saved = os.environ.get("SNAPTUI_SLURM_QUEUE_LOOK_S")
    os.environ["SNAPTUI_SLURM_QUEUE_LOOK_S"] = "1" if queue_look else "0"
    try:
        engine = Engine(repo)
        sweep = engine.launch(engine.plan(repo / "sweep.toml", profile="slurm"))
    finally:
        os.environ.pop("SNAPTUI_SLURM_QUEUE_LOOK_S") if saved is None else os.environ.update(
            SNAPTUI_SLURM_QUEUE_LOOK_S=saved)
    return engine, sweep, {j.index: j.attempt.executor_id for j in engine.jobs(sweep.id)}


def _follow(launched: list) -> list[dict[str, float]]:
    """Until every job of both sweeps is final: when each left squeue and when the store had its end; job 0
    is scancelled from outside once it runs."""
    left = [{} for _ in launched]
    shown = [{} for _ in launched]
    cancelled = [False for _ in launched]
    while any(len(s) < len(CASES) for s in shown):
        now = time.monotonic()
        for n, (engine, sweep, ids) in enumerate(launched):
            jobs = engine.jobs(sweep.id)
            if not cancelled[n] and jobs[0].state.value == "RUNNING":
                subprocess.run(["scancel", ids[0]], check=True)
                cancelled[n] = True
            for job in jobs:
                if job.state.is_final and job.index not in shown[n]:
                    shown[n][job.index] = now
            for index, job_id in ids.items():
                if index not in left[n] and cancelled[n] and not _in_queue(job_id):
                    left[n][index] = now
        time.sleep(0.05)
    return [{CASES[i]: shown[n][i] - left[n].get(i, shown[n][i]) for i in CASES} for n in range(len(launched))]


def run() -> list[dict]:
    if not _cluster_up():
        raise RuntimeError("the Slurm test cluster is not up (scripts/slurm-cluster up)")
    with tempfile.TemporaryDirectory(prefix="snaptui-bench-truth-") as tmp:
        launched = [_launch(_repo(Path(tmp), "sacct"), False), _launch(_repo(Path(tmp), "queue"), True)]
        try:
            before, now = _follow(launched)
        finally:
            for engine, sweep, _ in launched:
                engine.cancel(engine.jobs(sweep.id))
    return [row("slurm truth", f"end shown after squeue: {case}", max(before[case], 1e-3), now[case],
                "baseline: states from sacct alone (queue look off); negative: known first from the job's report")
            for case in CASES.values()]


if __name__ == "__main__":
    print_table(run())
