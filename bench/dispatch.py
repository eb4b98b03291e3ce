"""Fixed costs of the local executor, end to end as a user meets them: `snaptui --batch SWEEP` (plan,
snapshot, record, start, wait, report) against running the same commands with `xargs -P 2`.

- 6 no-op jobs (`true`): snaptui's fixed cost of a sweep (target: at most 0.3 s more than xargs);
- 20 jobs of 0.2 s at cap 2: the per-job dispatch overhead (target: at most 1.2x xargs);
- 1 no-op job: what a 1-job sweep costs in all, and where that time goes (bench/_phase_trace.py runs the
  CLI with the edges of its phases noted: start-up, discover, plan, snapshot, hand-over, the job, its end).

snaptui runs as an installed package does: its modules byte-compiled (a checkout run with
PYTHONDONTWRITEBYTECODE=1 recompiles ~90 modules in every process, ~0.2 s of CPU each). The repository's
agent is warm after the unrecorded first sample, as it is for a user launching sweeps one after another.
Samples alternate with the baseline; medians are reported.

    python bench/dispatch.py [--samples 5]
"""
from __future__ import annotations

import argparse
import compileall
import json
import os
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import alternating, sampled_row  # noqa: E402

CASES = (  # (name, jobs, command run by both, cap)
    ("6 no-op jobs", 6, ["true"], 2),
    ("20 jobs of 0.2 s at cap 2", 20, ["sleep", "0.2"], 2),
    ("1 no-op job", 1, ["true"], 2),
)


def _repo(tmp: Path) -> Path:
    repo = tmp / "repo"
    repo.mkdir()
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    (repo / "snaptui.toml").write_text(f'[snapshot]\nworktree_root = "{tmp / "wt"}"\n[local]\nmax_jobs = 2\n')
    subprocess.run(["git", "-C", str(repo), "add", "-A"], check=True)
    subprocess.run(["git", "-C", str(repo), "-c", "user.name=b", "-c", "user.email=b@b", "commit", "-qm", "bench"],
                   check=True)
    return repo


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PATH"] = f"{Path(sys.executable).parent}:{env['PATH']}"
    return env


def _sweep_file(repo: Path, name: str, jobs: int, command: list[str], cap: int) -> Path:
    # the job's parameter is passed as an argument `i=N`: sh -c drops it, as xargs' {} does below
    argv = ["sh", "-c", " ".join(command), "job"]
    path = repo / f"{name.replace(' ', '-')}.toml"
    path.write_text(textwrap.dedent(f'''
        name = "{name.replace(' ', '-')}"
        command = {json.dumps(argv)}
        [grid]
        i = "range({jobs})"
    '''))
    return path


def _batch(repo: Path, sweep_file: Path, cap: int) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "snaptui", "--set", f"max_parallel_jobs={cap}", "--batch", str(sweep_file)],
                   cwd=repo, env=_env(), check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def _xargs(jobs: int, command: list[str], cap: int) -> float:
    start = time.perf_counter()
    subprocess.run(["xargs", "-P", str(cap), "-I{}", *command], input="\n".join(map(str, range(jobs))) + "\n",
                   text=True, check=True)
    return time.perf_counter() - start


PHASES = (  # (name, from mark, to mark) of bench/_phase_trace.py, "exec" being the parent's start of the CLI
    ("start+imports", "exec", "imported"), ("discover", "discover <", "discover >"), ("plan", "plan <", "plan >"),
    ("snapshot", "snapshot <", "snapshot >"), ("record+hand over", "snapshot >", "launch >"),
    ("to job start", "launch >", "job started"), ("job", "job started", "job ended"),
    ("end recorded", "job ended", "end recorded"), ("end seen", "end recorded", "wait >"),
    ("exit", "main returned", "exit"),
)


def _traced_batch(repo: Path, sweep_file: Path, cap: int) -> dict[str, float]:
    """One `--batch` run through bench/_phase_trace.py: its phase edges, "exec" and "exit" as seen from here."""
    with tempfile.NamedTemporaryFile(suffix=".json") as marks_file:
        env = {**_env(), "SNAPTUI_BENCH_MARKS": marks_file.name}
        start = time.time()
        subprocess.run([sys.executable, str(ROOT / "bench" / "_phase_trace.py"), "--set", f"max_parallel_jobs={cap}",
                        "--batch", str(sweep_file)], cwd=repo, env=env, check=True, stdout=subprocess.DEVNULL)
        marks = {**json.loads(Path(marks_file.name).read_text()), "exec": start, "exit": time.time()}
    return marks


def _phase_row(repo: Path, sweep_file: Path, cap: int, samples: int) -> dict:
    """The 1-job sweep's time split into phases (medians of traced runs), its total against untraced runs
    taken in turns with them."""
    import statistics

    runs: list[dict[str, float]] = []

    def traced() -> float:
        marks = _traced_batch(repo, sweep_file, cap)
        runs.append(marks)
        return marks["exit"] - marks["exec"]

    untraced, totals = alternating(lambda: _batch(repo, sweep_file, cap), traced, samples=samples, warmup=False)
    split = " | ".join(f"{name} {statistics.median(m[b] - m[a] for m in runs):.3f}" for name, a, b in PHASES)
    return sampled_row("dispatch", "`snaptui --batch`, 1 no-op job traced, vs untraced: its phases (s)", untraced,
                       totals, note=split)


def run(samples: int = 5) -> list[dict]:
    from snaptui.engine.agent import stop_agent

    compileall.compile_dir(str(ROOT / "snaptui"), quiet=1)
    rows = []
    with tempfile.TemporaryDirectory(prefix="snaptui-bench-dispatch-") as tmp:
        repo = _repo(Path(tmp))
        try:
            for name, jobs, command, cap in CASES:
                sweep_file = _sweep_file(repo, name, jobs, command, cap)
                base, value = alternating(lambda: _xargs(jobs, command, cap), lambda: _batch(repo, sweep_file, cap),
                                          samples=samples)
                row = sampled_row("dispatch", f"`snaptui --batch`, {name} vs `xargs -P {cap}`", base, value)
                row["note"] = f"+{row['value_s'] - row['baseline_s']:.2f} s"
                rows.append(row)
                if jobs == 1:
                    rows.append(_phase_row(repo, sweep_file, cap, samples))
        finally:
            stop_agent(repo)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=5)
    args = parser.parse_args()
    from bench.common import print_table

    print_table(run(args.samples))


if __name__ == "__main__":
    main()
