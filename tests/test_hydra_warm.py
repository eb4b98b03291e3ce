"""Warm slots under the Hydra launcher (`hydra/launcher=snaptui_local`): each local slot imports what the task
function's module imports once, and every job starts as a fork of it, still its own process running the
snapshot's code. Real apps, run in a subprocess as users run them; the app's slow import lives outside the
project, on PYTHONPATH, as an installed package does."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytest.importorskip("hydra")

from omegaconf import OmegaConf  # noqa: E402

from snaptui.engine.api import Engine  # noqa: E402
from snaptui.engine.jobside.manifest import read_manifest  # noqa: E402
from snaptui.engine.procs import is_alive  # noqa: E402
from snaptui.engine.states import JobState  # noqa: E402
from tests.conftest import git, stop_everything, wait_sweep_done, wait_until  # noqa: E402
from tests.hydra_projects import git_project  # noqa: E402

pytestmark = pytest.mark.timeout(180)

APP = textwrap.dedent('''\
    import sys
    preloaded = "heavymod" in sys.modules   # before its own imports: a fresh interpreter has not loaded it
    import json, os, pathlib, subprocess, time
    import hydra
    import heavymod
    from hydra.core.hydra_config import HydraConfig
    from lib import helper

    @hydra.main(version_base=None, config_path="conf", config_name="config")
    def main(cfg):
        out = pathlib.Path(os.environ["OUT"])
        while not (out / "gate").exists():
            time.sleep(0.01)
        seen = getattr(heavymod, "SEEN_BY_A_JOB", None)
        heavymod.SEEN_BY_A_JOB = cfg.a      # a global of a preloaded module: the next job must not see it
        record = {"preloaded": preloaded, "helper": helper.VERSION, "deep": "deepmod" in sys.modules,
                  "seen": seen, "cwd": os.getcwd(), "sweep_var": os.environ.get("SWEEP_VAR"),
                  "num": HydraConfig.get().job.num, "pid": os.getpid(), "pgid": os.getpgid(0)}
        (out / f"{cfg.a}.json").write_text(json.dumps(record))
        if cfg.child:
            kid = subprocess.Popen(["sleep", "300"])
            (out / "child.pid").write_text(str(kid.pid))
            time.sleep(300)
        return cfg.a * 10

    if __name__ == "__main__":
        main()
''')


@pytest.fixture
def project(tmp_path):
    """A Hydra app whose task imports `heavymod` (outside the project) and the project's `lib.helper`,
    which imports `deepmod` (outside too): both are the slot's to import, the project's own code is not."""
    repo = git_project(tmp_path / "project", tmp_path / "worktrees")
    (repo / "app.py").write_text(APP)
    (repo / "lib").mkdir()
    (repo / "lib" / "__init__.py").write_text("")
    (repo / "lib" / "helper.py").write_text("import deepmod\nVERSION = 1\n")
    (repo / "conf").mkdir()
    (repo / "conf" / "config.yaml").write_text("a: 0\nchild: false\n")
    site = tmp_path / "site"
    site.mkdir()
    (site / "heavymod.py").write_text("VALUE = 1\n")
    (site / "deepmod.py").write_text("VALUE = 1\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "app")
    (tmp_path / "out").mkdir()
    yield repo
    stop_everything(repo)


def launch(repo: Path, *args: str) -> subprocess.CompletedProcess:
    """`python app.py -m ...` without waiting for the jobs (they wait for the test's gate)."""
    env = dict(os.environ, HYDRA_FULL_ERROR="0", PYTHONPATH=str(repo.parent / "site"), OUT=str(repo.parent / "out"))
    out = subprocess.run([sys.executable, "app.py", "-m", "hydra/launcher=snaptui_local", "hydra.launcher.wait=false",
                          *args], cwd=repo, env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return out


def records(repo: Path) -> dict[int, dict]:
    return {int(p.stem): json.loads(p.read_text()) for p in (repo.parent / "out").glob("*.json")}


def test_warm_hydra_jobs_run_the_snapshot_s_code_each_in_its_own_process(project):
    launch(project, "hydra.launcher.max_parallel_jobs=1", "+hydra.launcher.env.SWEEP_VAR=from the launcher",
           "a=1,2,3")
    (project / "lib" / "helper.py").write_text("import deepmod\nVERSION = 2\n")  # after the launch: not run
    (project.parent / "out" / "gate").touch()
    engine = Engine(project)
    [sweep] = engine.sweeps()
    assert wait_sweep_done(engine, sweep.id).counts == {JobState.COMPLETED: 3}, \
        [j.attempt.reason for j in engine.jobs(sweep.id)]
    found = records(project)
    for job in engine.jobs(sweep.id):
        record = found[job.index + 1]
        assert record["preloaded"], "the job started as a fresh interpreter, not from the warm slot"
        assert record["deep"] and record["helper"] == 1, "the project's module is the snapshot's"
        assert record["seen"] is None, f"job {job.index} saw a global set by the job with a={record['seen']}"
        assert record["cwd"] == sweep.workdir and record["sweep_var"] == "from the launcher"
        assert record["num"] == job.index and record["pgid"] == record["pid"]
        warm = read_manifest(job.attempt.log_dir)["command"]["warm"]
        assert warm["forked"] and warm["why_not"] is None
        assert "heavymod" in warm["preload"] and "deepmod" in warm["preload"]
        assert not {"lib", "lib.helper", "json", "subprocess"} & set(warm["preload"])
        job_dir = next((project / "multirun").glob(f"*/*/{job.index}"))
        assert OmegaConf.load(job_dir / ".hydra" / "overrides.yaml") == [f"a={job.index + 1}"]
    assert len({r["pid"] for r in found.values()}) == 3


def test_cancelling_a_warm_hydra_job_ends_it_and_its_children(project):
    launch(project, "a=1", "child=true")
    (project.parent / "out" / "gate").touch()
    child_pid = project.parent / "out" / "child.pid"
    child = wait_until(lambda: child_pid.exists() and int(child_pid.read_text()), 120, message="the job's child")
    engine = Engine(project)
    [sweep] = engine.sweeps()
    record = records(project)[1]
    assert record["preloaded"], "the job started as a fresh interpreter, not from the warm slot"
    assert [j.state for j in engine.cancel(engine.jobs(sweep.id))] == [JobState.CANCELLED]
    wait_until(lambda: not is_alive({"pid": child}) and not is_alive({"pid": record["pid"]}), 30,
               message="the job and its child to be gone")


def run_one_fresh(project, *args):
    """Launch a one-job multirun, let it finish and check it did not run from a preloaded slot: (engine, job)."""
    launch(project, *args)
    (project.parent / "out" / "gate").touch()
    engine = Engine(project)
    [sweep] = engine.sweeps()
    assert wait_sweep_done(engine, sweep.id).counts == {JobState.COMPLETED: 1}
    assert not records(project)[1]["preloaded"]
    [job] = engine.jobs(sweep.id)
    return engine, job


def test_a_task_whose_imports_start_a_thread_runs_in_a_fresh_process_and_its_log_says_why(project):
    (project.parent / "site" / "heavymod.py").write_text(
        "import threading, time\n"
        "threading.Thread(target=time.sleep, args=(300,), name='poller', daemon=True).start()\n")
    engine, job = run_one_fresh(project, "a=1")
    warm = read_manifest(job.attempt.log_dir)["command"]["warm"]
    assert not warm["forked"] and "started 1 thread(s) (poller)" in warm["why_not"]
    _, stderr = engine.log_paths(job.attempt)
    assert "snaptui: started as a fresh process, not from the warm slot: importing " in stderr.read_text()


def test_warm_false_starts_every_job_as_a_fresh_interpreter(project):
    engine, job = run_one_fresh(project, "hydra.launcher.warm=false", "a=1")
    assert "warm" not in read_manifest(job.attempt.log_dir)["command"]
