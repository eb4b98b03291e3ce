"""A 1,000-job Hydra multirun on Slurm: time from `python app.py -m` to all jobs submitted, snaptui_slurm
against Hydra's submitit launcher, with where the time goes (issue 25, item 2). Used by bench/slurm.py.

Each run is split, from Hydra's own debug line of the basic sweeper ("Validated configs of N jobs in X
seconds") and a clock wrapped around sbatch (first on PATH, logging when each call started and ended):
  * start-up: the process up to the sweeper's validation (Python, Hydra, the primary config);
  * the sweeper's validation: Hydra's basic sweeper composes every job's config before calling the
    launcher (Hydra's, the same for both launchers);
  * the launcher: from there to the end of the last sbatch. Hydra's submitit launcher (1.2) composes in
    the jobs too, but pickles each job with its own copy of Hydra's singletons (the ConfigStore) and
    logs a line per job; snaptui composes none, pickles the task and the singletons once, records,
    snapshots and submits.
The sweeper's validation is Hydra's, the same for both launchers, and most of the time (~83 ms of CPU a
job for this small app, measured alone): no launcher can shorten it. What a user can do is split it
(max_batch_size) and not wait (wait=false): each batch is submitted once validated, so the first jobs run
after one batch's validation (the third row; on this one machine the jobs then compete with the
validation for the CPU, on a cluster they run elsewhere).
Hydra's submitit launcher submits one array: on a cluster whose MaxArraySize is smaller than the sweep
(make test's is 11) sbatch refuses it, and its time is to the end of that refused call, which is when it
would have been submitted; snaptui splits the sweep into arrays the cluster takes (1,000 jobs: 91 sbatch
calls at MaxArraySize 11, one at 1001). Jobs are cancelled as soon as they are submitted: the row measures
submission, and the cluster is shared.
"""
from __future__ import annotations

import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

from bench.common import alternating, row, sampled_row

JOBS = int(os.environ.get("SNAPTUI_BENCH_HYDRA_BIG_JOBS", "1000"))
SAMPLES = int(os.environ.get("SNAPTUI_BENCH_HYDRA_BIG_SAMPLES", "3"))
BATCH = 100  # the pipelined variant: the basic sweeper's max_batch_size
PARAMS = ["hydra.launcher.partition=debug", "hydra.launcher.mem_gb=1", "hydra.launcher.timeout_min=30",
          "hydra.verbose=hydra._internal.core_plugins.basic_sweeper"]
VALIDATED = re.compile(r"^\[(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3})\]\[HYDRA\] Validated configs of (\d+) jobs in "
                       r"([0-9.]+) seconds", re.M)


class SbatchClock:
    """sbatch wrapped, first on PATH: each call's start, end, exit code and job id go to a log."""

    def __init__(self, tmp: Path):
        self.log = tmp / "sbatch-clock.log"
        self.bin = tmp / "clock-bin"
        self.bin.mkdir(exist_ok=True)
        real = shutil.which("sbatch")
        (self.bin / "sbatch").write_text(
            "#!/bin/sh\nstart=$(date +%s.%N)\nout=$(" + real + ' "$@")\nrc=$?\n'
            'printf "%s\\n" "$out"\necho "$start $(date +%s.%N) $rc $(echo "$out" | tail -n1 | tr -dc "0-9;" '
            f'| cut -d";" -f1)" >> {self.log}\nexit $rc\n')
        (self.bin / "sbatch").chmod(0o755)

    def env(self) -> dict:
        return {**os.environ, "PATH": f"{self.bin}:{os.environ['PATH']}"}

    def calls(self) -> list[tuple[float, float, int, str]]:
        if not self.log.exists():
            return []
        out = []
        for line in self.log.read_text().splitlines():
            parts = line.split()
            out.append((float(parts[0]), float(parts[1]), int(parts[2]), parts[3] if len(parts) > 3 else ""))
        return out

    def reset(self) -> None:
        self.log.unlink(missing_ok=True)


def _validation(output: str, batches: int) -> tuple[float, float]:
    """(when the last batch's validation ended, seconds the sweeper spent validating), from Hydra's log."""
    found = VALIDATED.findall(output)
    assert len(found) == batches, f"expected {batches} validation lines, got {len(found)}:\n{output[-2000:]}"
    ended = time.mktime(time.strptime(found[-1][0][:19], "%Y-%m-%d %H:%M:%S")) + int(found[-1][0][20:]) / 1000
    return ended, sum(float(seconds) for _, _, seconds in found)


def submit(repo: Path, launcher: str, clock: SbatchClock, jobs: int = JOBS, batch: int | None = None) -> dict:
    """One `python app.py -m` of `jobs` jobs, stopped once all are submitted; its times."""
    clock.reset()
    args = [sys.executable, "app.py", "-m", f"hydra/launcher={launcher}", *PARAMS, f"+i=range({jobs})"]
    if launcher == "snaptui_slurm":
        args.append("hydra.launcher.wait=false")  # returns once submitted; submitit's launcher always waits
    if batch:
        args.append(f"hydra.sweeper.max_batch_size={batch}")
    start = time.time()
    proc = subprocess.Popen(args, cwd=repo, env=clock.env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, start_new_session=True)
    if launcher == "snaptui_slurm":
        output = proc.communicate()[0]
        assert proc.returncode == 0, output[-3000:]
    else:  # submitit's launcher waits for its jobs once its one sbatch has returned: stop it there
        while not clock.calls() and proc.poll() is None:
            time.sleep(0.2)
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
        output = proc.communicate()[0]
    calls = clock.calls()
    assert calls, f"{launcher} made no sbatch call:\n{output[-3000:]}"
    _cancel(repo, launcher, calls)
    validated_at, validating = _validation(output, -(-jobs // batch) if batch else 1)
    first_end, last_end = calls[0][1], max(end for _, end, _, _ in calls)
    return {"total": last_end - start, "first": first_end - start, "validation": validating,
            "startup": validated_at - validating - start if not batch else float("nan"),
            "launcher": last_end - validated_at, "sbatch": len(calls), "refused": sum(rc != 0 for *_, rc, _ in calls)}


def _cancel(repo: Path, launcher: str, calls: list) -> None:
    ids = [job for *_, rc, job in calls if rc == 0 and job]
    if ids and launcher != "snaptui_slurm":
        subprocess.run(["scancel", *ids], capture_output=True)
    if launcher == "snaptui_slurm":
        from snaptui.engine.api import Engine
        engine = Engine(repo)
        for sweep in engine.sweeps():
            engine.cancel_sweep(sweep.id)


def rows(repo: Path, tmp: Path, max_array_size: int | None) -> list[dict]:
    clock = SbatchClock(tmp)
    seen: dict[str, list[dict]] = {"submitit_slurm": [], "snaptui_slurm": [], "pipelined": []}

    def sample(launcher: str, key: str, batch: int | None = None):
        def go() -> float:
            times = submit(repo, launcher, clock, batch=batch)
            seen[key].append(times)
            print(f"  {key}: " + ", ".join(f"{k} {v:.1f}" for k, v in times.items()), file=sys.stderr, flush=True)
            return times["total"]
        return go

    base, value = alternating(sample("submitit_slurm", "submitit_slurm"), sample("snaptui_slurm", "snaptui_slurm"),
                              SAMPLES, warmup=False)
    peer, ours = _medians(seen["submitit_slurm"]), _medians(seen["snaptui_slurm"])
    refused = (f"; submitit's one {JOBS}-task array was refused by this cluster's MaxArraySize {max_array_size}: "
               "its time is to the end of that sbatch" if peer["refused"] else "")
    out = [sampled_row("slurm", f"{JOBS:,}-job Hydra multirun, `python app.py -m` to all jobs submitted", base, value,
                       f"baseline: Hydra's submitit launcher. Medians, start-up / sweeper's validation / launcher: "
                       f"snaptui {_split(ours)} ({ours['sbatch']:.0f} sbatch); submitit {_split(peer)}{refused}")]
    out.append(row("slurm", f"the launcher's part of it (after Hydra's sweeper validated the {JOBS:,} jobs)",
                   peer["launcher"], ours["launcher"], "baseline: Hydra's submitit launcher (pickles each job with "
                   "Hydra's singletons); snaptui pickles them once, both compose in the jobs"))
    for _ in range(SAMPLES):
        sample("snaptui_slurm", "pipelined", BATCH)()
    piped = _medians(seen["pipelined"])
    out.append(row("slurm", f"same, first job submitted with max_batch_size={BATCH}, wait=false (snaptui)",
                   peer["first"], piped["first"], f"baseline: submitit's first (= only) submission; the batches "
                   f"join one sweep, all {JOBS:,} submitted after {piped['total']:.1f} s"))
    return out


def _medians(samples: list[dict]) -> dict:
    return {key: statistics.median(s[key] for s in samples) for key in samples[0]}


def _split(times: dict) -> str:
    return f"{times['startup']:.1f} / {times['validation']:.1f} / {times['launcher']:.1f} s"


if __name__ == "__main__":  # this row alone: python -m bench._hydra_multirun
    import tempfile

    from bench.common import print_table
    from bench.slurm import _cluster_up, _repo
    from snaptui.engine.executors.slurm.limits import read_limits

    if not _cluster_up():
        sys.exit("the Slurm cluster is not up (scripts/slurm-cluster up)")
    with tempfile.TemporaryDirectory() as name:
        repo = _repo(Path(name), "repo")
        try:
            print_table(rows(repo, Path(name), read_limits().max_array_size))
        finally:
            from snaptui.engine.agent import stop_agent
            stop_agent(repo)
