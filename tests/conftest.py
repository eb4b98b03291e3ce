"""Shared fixtures: real git repositories in temp dirs and a real engine on them."""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

# A suite started in the background by a shell without job control (`make test &`, nohup ... &) inherits
# SIGINT ignored, and so would every snaptui process it starts: the Ctrl-C tests would then test nothing.
# A terminal's foreground job has SIGINT at its default; give the suite (and so its children) that.
import signal as _signal

if _signal.getsignal(_signal.SIGINT) is _signal.SIG_IGN:
    _signal.signal(_signal.SIGINT, _signal.default_int_handler)

# Property tests judge behaviour, not speed: on a loaded 2-core machine (make test's two workers, other work)
# an example can take longer than Hypothesis's 200 ms deadline, and its "too slow" check failed a run.
settings.register_profile("snaptui", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("snaptui")

ROOT = Path(__file__).resolve().parent.parent

JOB_SCRIPT = textwrap.dedent('''\
    """A test job: key=value args; sleeps, waits for the file `gate`, prints, records itself, exits with `code`."""
    import json, os, sys, time
    args = dict(a.split("=", 1) for a in sys.argv[1:] if "=" in a)
    marker = os.environ.get("MARKER_DIR")
    if marker:
        with open(os.path.join(marker, f"{os.getpid()}.start"), "w") as f:
            f.write(str(time.time()))
        ids = [os.environ.get(k, "") for k in ("SNAPTUI_SWEEP_ID", "SNAPTUI_JOB_INDEX", "SNAPTUI_ATTEMPT")]
        # the fault checker counts these
        open(os.path.join(marker, "-".join(["run", *ids, str(os.getpid())]) + ".run"), "w").close()
    print("start", json.dumps(args), flush=True)
    if args.get("spawn") and marker:
        import subprocess
        child = subprocess.Popen(["sleep", "300"])
        with open(os.path.join(marker, f"{os.getpid()}.child"), "w") as f:
            f.write(str(child.pid))
    time.sleep(float(args.get("sleep", 0)))
    while args.get("gate") and not os.path.exists(args["gate"]):   # the test says when to end
        time.sleep(0.02)
    if "result" in args:
        print(f"SNAPTUI_RESULT score={args['result']}", flush=True)
    if marker:
        with open(os.path.join(marker, f"{os.getpid()}.end"), "w") as f:
            f.write(str(time.time()))
    print("end", flush=True)
    sys.exit(int(args.get("code", 0)))
''')


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True).stdout


# The profile the Slurm tests run with on the test cluster (scripts/slurm-cluster): small jobs, a fast poll.
SLURM_PROFILE = textwrap.dedent('''
    [profiles.slurm]
    executor = "slurm"
    partition = "debug"
    timeout_min = 5
    mem_gb = 0.25
    cpus_per_task = 1
    poll_interval_s = 1
''')


def add_slurm_profile(repo: Path) -> None:
    """Append SLURM_PROFILE to the repository's snaptui.toml and commit it."""
    with open(repo / "snaptui.toml", "a") as config:
        config.write(SLURM_PROFILE)
    git(repo, "commit", "-qam", "slurm profile")


@pytest.fixture
def git_repo(tmp_path, monkeypatch) -> Path:
    """A repository with one commit holding job.py, and worktrees kept under tmp_path."""
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    git(repo, "config", "user.name", "Test User")
    git(repo, "config", "user.email", "test@example.invalid")
    (repo / "job.py").write_text(JOB_SCRIPT)
    (repo / ".gitignore").write_text("outputs/\nmultirun/\n.submitit/\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "initial")
    monkeypatch.setenv("SNAPTUI_TEST_WORKTREES", str(tmp_path / "worktrees"))
    (repo / "snaptui.toml").write_text(textwrap.dedent(f'''\
        [snapshot]
        worktree_root = "{tmp_path / 'worktrees'}"
        [profiles.local]
        executor = "local"
        max_parallel_jobs = 4
        timeout_min = 5
    '''))
    git(repo, "add", "snaptui.toml")
    git(repo, "commit", "-qm", "config")
    return repo


def write_sweep(repo: Path, text: str, name: str = "sweep.toml") -> Path:
    path = repo / name
    path.write_text(textwrap.dedent(text))
    return path


@pytest.fixture
def engine(git_repo):
    from snaptui.engine.api import Engine

    eng = Engine(git_repo)
    yield eng
    stop_everything(git_repo)


def stop_everything(repo: Path) -> None:
    """Kill what a test left running: the agent and any job still alive (by its recorded identity)."""
    from snaptui.engine.api import Engine
    from snaptui.engine.store.store import state_dir

    if not state_dir(repo).exists():
        return
    try:
        eng = Engine(repo)
        live = [j for s in eng.store.sweeps() for j in eng.jobs(s.id) if not j.state.is_final]
        if live:
            eng.cancel(live)
    except Exception:  # noqa: BLE001 - best effort at teardown: the agent is stopped below whatever happened
        pass
    from snaptui.engine.agent import stop_agent

    stop_agent(repo, grace_s=1.0)  # by its recorded PID and start time, never by a name pattern


def agent_processes(repo: Path) -> list:
    """Every live agent process serving `repo` (read from the process table; kills nothing)."""
    import psutil

    found = []
    for proc in psutil.process_iter(["cmdline", "status"]):
        cmdline = proc.info["cmdline"] or []
        if proc.info["status"] != psutil.STATUS_ZOMBIE and "snaptui.engine.agent" in cmdline \
                and str(Path(repo).resolve()) in cmdline:
            found.append(proc)
    return found


def wait_until(predicate, timeout: float = 60.0, interval: float = 0.1, message: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {message}")


def wait_sweep_done(engine, sweep_id: int, timeout: float = 120.0):
    return wait_until(lambda: (s := engine.sweep(sweep_id)) and not s.is_active and s,
                      timeout, 0.2, f"sweep {sweep_id} to finish")


def run_cli(args: list[str], cwd: Path, env: dict | None = None, timeout: float = 180, input: str | None = None):
    """The real `snaptui` entry point in a subprocess, as a user runs it."""
    full_env = dict(os.environ, **(env or {}))
    full_env.setdefault("COLUMNS", "200")
    return subprocess.run([sys.executable, "-m", "snaptui", *args], cwd=cwd, env=full_env, capture_output=True,
                          text=True, timeout=timeout, input=input)


# --- the run as a whole -------------------------------------------------------------------------------------------
# `make test` runs the suite on two pytest-xdist workers. Every test on the one Slurm test cluster runs on the same
# worker, one after another (`--dist loadgroup`), as they did in a serial run: they count the cluster's jobs and CPUs.
# The fault report's rows come back in the tests' reports and are printed once, by the controller.
_FAULT_ROWS: list[dict] = []


@pytest.fixture(autouse=True)
def _no_worker_terminal_size(monkeypatch):
    """pytest-xdist's workers have COLUMNS=80 and LINES=24 in their environment, a serial run has none: the
    CLI runs tests start would wrap their messages at 80 columns there (as on a terminal) and nowhere else."""
    if os.environ.get("PYTEST_XDIST_WORKER"):
        monkeypatch.delenv("COLUMNS", raising=False)
        monkeypatch.delenv("LINES", raising=False)


# tryfirst: pytest-xdist turns the xdist_group marker into the node id's "@slurm" suffix in its own
# pytest_collection_modifyitems, which runs before a conftest's; without it the marker came too late and the
# Slurm tests were spread over both workers (the two-node tests stopped each other's node).
@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items):
    for item in items:
        if item.get_closest_marker("slurm") is not None:
            item.add_marker(pytest.mark.xdist_group("slurm"))


def pytest_runtest_logreport(report):
    from tests.faults.table import rows_of

    _FAULT_ROWS.extend(rows_of(report))


def pytest_terminal_summary(terminalreporter):
    from tests.faults.table import write_summary

    write_summary(terminalreporter, _FAULT_ROWS)

