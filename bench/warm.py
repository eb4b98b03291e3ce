"""Warm slots: an app whose imports take ~3 s, swept 8 jobs of ~1 s at cap 2 with `snaptui --batch`, with
`[local] preload` (each slot imports once, jobs fork from it) and without (a fresh interpreter per job),
against one process running the 8 jobs one after another after importing once (what Hydra's basic
launcher does: the time the issue asks warm slots to match). Then the same app as a Hydra app, `-m` over
the 8 jobs: `hydra/launcher=snaptui_local` (warm slots: the default) and `hydra/launcher=submitit_local`
(a fresh interpreter per job; at most 2 at once through the basic sweeper's `max_batch_size=2`, as
submitit_local has no cap of its own), against Hydra's basic launcher (in-process, jobs in turn).

The app's imports: numpy and scipy (whichever are installed) and a sleep that brings the import to
IMPORT_S, measured here, standing in for torch + Lightning (not installable on the test machine). The
agent, and so its slots, is stopped before every sample: each sweep pays its slots' imports, as the first
sweep of a session does. Samples alternate; medians are reported.

    python bench/warm.py [--samples 3]
"""
from __future__ import annotations

import argparse
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

from bench.common import sampled_row  # noqa: E402

JOBS, CAP, JOB_S, IMPORT_S = 8, 2, 1.0, 3.0

HEAVY = f'''
"""Imports that take ~{IMPORT_S:g} s, like a deep-learning stack."""
import time
_start = time.perf_counter()
for _name in ("numpy", "scipy.linalg", "scipy.stats"):
    try:
        __import__(_name)
    except ImportError:
        pass
time.sleep(max(0.0, {IMPORT_S} - (time.perf_counter() - _start)))
'''
APP = f'''
import sys, time
import heavyapp
def train(i):
    time.sleep({JOB_S})
if __name__ == "__main__":
    train(sys.argv[1])
'''
HYDRA_APP = f'''
import time
import hydra
import heavyapp

@hydra.main(version_base=None, config_path=None, config_name=None)
def train(cfg):
    time.sleep({JOB_S})

if __name__ == "__main__":
    train()
'''
HYDRA_LAUNCHERS = {  # row -> the arguments after `python hydra_app.py -m`
    "basic": [],
    "snaptui": ["hydra/launcher=snaptui_local", f"hydra.launcher.max_parallel_jobs={CAP}"],
    "submitit": ["hydra/launcher=submitit_local", f"hydra.sweeper.max_batch_size={CAP}"],
}
SEQUENTIAL = f'''
import sys
sys.path.insert(0, sys.argv[1])
import app
for i in range({JOBS}):
    app.train(i)
'''


def _setup(tmp: Path) -> tuple[Path, Path]:
    lib = tmp / "lib"
    lib.mkdir()
    (lib / "heavyapp.py").write_text(HEAVY)
    repo = tmp / "repo"
    repo.mkdir()
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    (repo / "app.py").write_text(APP)
    (repo / "hydra_app.py").write_text(HYDRA_APP)
    (repo / ".gitignore").write_text("multirun/\n.submitit/\n")
    (repo / "snaptui.toml").write_text(f'[snapshot]\nworktree_root = "{tmp / "wt"}"\n')
    for name, preload in (("fresh", ""), ("warm", 'preload = ["heavyapp"]\n')):
        (repo / f"{name}.toml").write_text(f'[snapshot]\nworktree_root = "{tmp / "wt"}"\n[local]\n{preload}')
    (repo / "sweep.toml").write_text(textwrap.dedent(f'''
        name = "warm-bench"
        command = ["python", "app.py"]
        [grid]
        i = "range({JOBS})"
    '''))
    subprocess.run(["git", "-C", str(repo), "add", "-A"], check=True)
    subprocess.run(["git", "-C", str(repo), "-c", "user.name=b", "-c", "user.email=b@b", "commit", "-qm", "b"],
                   check=True)
    return repo, lib


def _env(lib: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PATH"] = f"{Path(sys.executable).parent}:{env['PATH']}"
    env["PYTHONPATH"] = str(lib)  # the app's environment: where its heavy imports come from
    return env


def _batch(repo: Path, lib: Path, config: str) -> float:
    from snaptui.engine.agent import stop_agent

    stop_agent(repo)
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "snaptui", "--config", config, "--set", f"max_parallel_jobs={CAP}",
                    "--batch", "sweep.toml"], cwd=repo, env=_env(lib), check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def _hydra(repo: Path, lib: Path, launcher: str) -> float:
    from snaptui.engine.agent import stop_agent

    stop_agent(repo)
    start = time.perf_counter()
    subprocess.run([sys.executable, "hydra_app.py", "-m", f"+i=range(0,{JOBS})", *HYDRA_LAUNCHERS[launcher]],
                   cwd=repo, env=_env(lib), check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def _sequential(repo: Path, lib: Path) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", SEQUENTIAL, str(repo)], env=_env(lib), check=True)
    return time.perf_counter() - start


def _import_seconds(lib: Path) -> float:
    code = "import time; s = time.perf_counter(); import heavyapp; print(time.perf_counter() - s)"
    return float(subprocess.run([sys.executable, "-c", code], env=_env(lib), capture_output=True, text=True,
                                check=True).stdout)


def run(samples: int = 3) -> list[dict]:
    try:
        import hydra_plugins.hydra_submitit_launcher  # noqa: F401  (the Hydra rows' baseline)
        hydra = True
    except ImportError:
        hydra = False
    from snaptui.engine.agent import stop_agent

    with tempfile.TemporaryDirectory(prefix="snaptui-bench-warm-") as tmp:
        repo, lib = _setup(Path(tmp))
        imports = _import_seconds(lib)
        measure = {"sequential": lambda: _sequential(repo, lib), "warm": lambda: _batch(repo, lib, "warm.toml"),
                   "fresh": lambda: _batch(repo, lib, "fresh.toml")}
        if hydra:
            measure.update({f"hydra-{name}": (lambda name=name: _hydra(repo, lib, name)) for name in HYDRA_LAUNCHERS})
        times: dict[str, list[float]] = {name: [] for name in measure}
        order = list(measure)
        try:
            for name in order:  # warm-up, unrecorded
                measure[name]()
            for i in range(samples):
                for name in (order if i % 2 == 0 else order[::-1]):
                    times[name].append(measure[name]())
        finally:
            stop_agent(repo)
    note = f"app imports {imports:.2f} s (measured), {JOBS} jobs of {JOB_S:g} s, cap {CAP}"
    base = times["sequential"]
    rows = [sampled_row("warm", "`snaptui --batch` with [local] preload vs one process, jobs in turn (basic "
                        "launcher; goal <= 1x)", base, times["warm"], note=note),
            sampled_row("warm", "`snaptui --batch`, a fresh interpreter per job vs one process, jobs in turn",
                        base, times["fresh"], note=note)]
    if hydra:
        basic = times["hydra-basic"]
        rows += [sampled_row("warm", "Hydra -m, `snaptui_local` (warm slots) vs Hydra's basic launcher (goal <= 1x)",
                             basic, times["hydra-snaptui"], note=note),
                 sampled_row("warm", "Hydra -m, `submitit_local` (max_batch_size 2) vs Hydra's basic launcher",
                             basic, times["hydra-submitit"], note=note)]
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=3)
    args = parser.parse_args()
    from bench.common import print_table

    rows = run(args.samples)
    print_table(rows)
    print(json.dumps([{k: r[k] for k in ("case", "baseline_s", "value_s")} for r in rows]), file=sys.stderr)


if __name__ == "__main__":
    main()
