"""What a task sees in a snaptui Hydra job: the code as launched, the user's data, Hydra's job metadata,
the scheduler's environment; and launches outside git. Real apps, run in a subprocess as users run them."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytest.importorskip("hydra")

from omegaconf import OmegaConf  # noqa: E402

from snaptui.engine.api import Engine  # noqa: E402
from snaptui.engine.states import JobState  # noqa: E402
from tests.conftest import ROOT, git, run_cli, stop_everything, wait_sweep_done  # noqa: E402
from tests.hydra_projects import git_project  # noqa: E402
from tests.test_slurm import slurm_cluster  # noqa: E402,F401  (the fixture)

pytestmark = pytest.mark.timeout(180)

APP = textwrap.dedent('''\
    import json, os
    import hydra
    from hydra.core.hydra_config import HydraConfig
    from hydra.utils import get_original_cwd, to_absolute_path
    from lib import helper

    @hydra.main(version_base=None, config_path="conf", config_name="config")
    def main(cfg):
        out = {"a": cfg.a, "label": cfg.label, "helper": helper.VERSION, "cwd": os.getcwd(),
               "original_cwd": get_original_cwd(), "data": open(to_absolute_path("data/x.txt")).read()}
        with open(os.path.join(HydraConfig.get().runtime.output_dir, "result.json"), "w") as f:
            json.dump(out, f)
        return cfg.a

    if __name__ == "__main__":
        main()
''')


def run_app(folder: Path, *args: str, script: str = "app.py", timeout: float = 120) -> subprocess.CompletedProcess:
    env = dict(os.environ, HYDRA_FULL_ERROR="0")
    return subprocess.run([sys.executable, script, *args], cwd=folder, env=env, capture_output=True, text=True,
                          timeout=timeout)


def write_app(folder: Path) -> None:
    (folder / "app.py").write_text(APP)
    (folder / "lib").mkdir()
    (folder / "lib" / "__init__.py").write_text("")
    (folder / "lib" / "helper.py").write_text("VERSION = 1\n")
    (folder / "conf").mkdir()
    (folder / "conf" / "config.yaml").write_text("a: 0\nlabel: launched\n")
    (folder / "data").mkdir()
    (folder / "data" / "x.txt").write_text("the user's data")


@pytest.fixture
def project(tmp_path):
    repo = git_project(tmp_path / "project", tmp_path / "worktrees")
    write_app(repo)
    with open(repo / ".gitignore", "a") as ignore:
        ignore.write("data/\n")  # data is not code: not in the snapshot
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "app")
    yield repo
    stop_everything(repo)


def results(repo: Path) -> list[dict]:
    found = sorted((repo / "multirun").glob("*/*/*/result.json"), key=lambda p: int(p.parent.name))
    return [json.loads(p.read_text()) for p in found]


def test_jobs_run_the_code_and_config_as_they_were_at_launch(project):
    out = run_app(project, "-m", "hydra/launcher=snaptui_local", "hydra.launcher.wait=false",
                  "hydra.launcher.max_parallel_jobs=1", "a=1,2,3")
    assert out.returncode == 0, out.stderr
    # Edited right after launch, while the jobs queue: a module the task imports, and the config.
    (project / "lib" / "helper.py").write_text("VERSION = 2\n")
    (project / "conf" / "config.yaml").write_text("a: 0\nlabel: edited\n")
    engine = Engine(project)
    [sweep] = engine.sweeps()
    assert wait_sweep_done(engine, sweep.id, 90).counts == {JobState.COMPLETED: 3}
    found = results(project)
    assert [(r["a"], r["helper"], r["label"]) for r in found] == [(1, 1, "launched"), (2, 1, "launched"),
                                                                   (3, 1, "launched")]
    # Code from the snapshot (the job works in its twin of the launch folder), data from the user's folder.
    assert {r["cwd"] for r in found} == {sweep.workdir} and sweep.workdir != str(project)
    assert {r["original_cwd"] for r in found} == {str(project)}
    assert {r["data"] for r in found} == {"the user's data"}


def test_job_metadata_is_what_submitits_launcher_writes(project):
    for launcher in ("submitit_local", "snaptui_local"):
        out = run_app(project, "-m", f"hydra/launcher={launcher}", "hydra.sweep.dir=multirun/x/" + launcher,
                      "a=1,2", "label=meta")
        assert out.returncode == 0, out.stderr
    meta = {}
    for launcher in ("submitit_local", "snaptui_local"):
        hydra_yaml = OmegaConf.load(project / "multirun" / "x" / launcher / "1" / ".hydra" / "hydra.yaml").hydra
        meta[launcher] = {"mode": str(hydra_yaml.mode), "task": list(hydra_yaml.overrides.task),
                          "hydra": [o.replace(launcher, "LAUNCHER") for o in hydra_yaml.overrides.hydra],
                          "callbacks": OmegaConf.to_container(hydra_yaml.callbacks), "num": hydra_yaml.job.num,
                          "id": str(hydra_yaml.job.id),
                          "overrides_yaml": (project / "multirun" / "x" / launcher / "1" / ".hydra"
                                             / "overrides.yaml").read_text()}
    # hydra.job.id is the scheduler's id of the job under either launcher (submitit's: a PID).
    engine = Engine(project)
    [sweep] = engine.sweeps()
    assert meta["submitit_local"].pop("id").isdigit()
    assert meta["snaptui_local"].pop("id") == engine.jobs(sweep.id)[1].attempt.executor_id
    assert meta["snaptui_local"] == meta["submitit_local"]
    assert meta["snaptui_local"]["mode"] == "MULTIRUN" and meta["snaptui_local"]["task"] == ["a=2", "label=meta"]


def test_outside_git_state_lives_beside_snaptui_toml_and_one_line_says_no_snapshot(tmp_path):
    top = tmp_path / "plain"
    app_dir = top / "apps"
    app_dir.mkdir(parents=True)
    write_app(app_dir)
    (top / "snaptui.toml").write_text("[profiles.local]\nexecutor = \"local\"\nmax_parallel_jobs = 2\n")
    try:
        out = run_app(app_dir, "-m", "hydra/launcher=snaptui_local", "a=1,2")
        assert out.returncode == 0, out.stderr
        notes = [line for line in (out.stdout + out.stderr).splitlines() if "not in a git repository" in line]
        assert len(notes) == 1 and "no snapshot taken" in notes[0], out.stderr
        assert "Traceback" not in out.stderr
        assert (top / ".snaptui" / "state.db").is_file() and not (app_dir / ".snaptui").exists()
        [sweep] = Engine(top).sweeps()
        assert sweep.snapshot is None and sweep.config["executor"]["max_parallel_jobs"] == 2
        found = results(app_dir)
        assert [r["a"] for r in found] == [1, 2] and {r["cwd"] for r in found} == {str(app_dir)}
        status = run_cli(["status"], cwd=app_dir)  # the CLI finds the same project from the app's folder
        assert status.returncode == 0 and "2 completed" in status.stdout
    finally:
        stop_everything(top)


def test_reading_commands_outside_any_project_create_nothing(tmp_path):
    result = run_cli(["status"], cwd=tmp_path)
    assert result.returncode == 1 and "not inside a git repository" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_batch_mode_outside_git_runs_without_a_snapshot(tmp_path):
    from tests.conftest import JOB_SCRIPT

    (tmp_path / "job.py").write_text(JOB_SCRIPT)
    (tmp_path / "sweep.toml").write_text('name = "plain"\ncommand = ["python", "job.py"]\n[grid]\nresult = [1, 2]\n')
    try:
        out = run_cli(["--batch", "sweep.toml"], cwd=tmp_path)
        assert out.returncode == 0, out.stderr
        assert "not in a git repository: no snapshot taken" in out.stdout + out.stderr
        [sweep] = Engine(tmp_path).sweeps()
        assert sweep.counts == {JobState.COMPLETED: 2} and sweep.snapshot is None
    finally:
        stop_everything(tmp_path)


# ------------------------------------------------------------------ the submitit plugin's example app

EXAMPLE = ROOT / "examples" / "hydra" / "scheduler_env"


def run_example(folder: Path, *args: str) -> list[str]:
    for name in ("my_app.py", "config.yaml"):
        shutil.copy(EXAMPLE / name, folder / name)
    out = run_app(folder, "-m", "task=1,2", "hydra.sweep.dir=sweep", *args, script="my_app.py")
    assert out.returncode == 0, out.stderr
    engine = Engine(folder)
    [sweep] = engine.sweeps()
    assert sweep.counts == {JobState.COMPLETED: 2}
    seen = []
    for job in engine.jobs(sweep.id):
        [line] = [x for x in engine.log_paths(job)[0].read_text().splitlines() if " in process " in x]
        seen.append((job.attempt.executor_id, line.split(": ", 1)[1]))  # what the task itself logged
    return seen


def test_the_submitit_example_app_sees_its_job_environment_locally(project):
    for job_id, env in run_example(project):
        assert env.startswith(f"JobEnvironment(job_id={job_id},")


@pytest.mark.slurm
def test_the_submitit_example_app_sees_its_job_environment_on_slurm(project, slurm_cluster):  # noqa: F811
    for job_id, env in run_example(project, "hydra/launcher=snaptui_slurm", "hydra.launcher.mem_gb=0.25"):
        assert "_" in job_id and env.startswith(f"JobEnvironment(job_id={job_id},")  # <array>_<task>


GATED = textwrap.dedent('''\
    import os
    import hydra
    from hydra.utils import to_absolute_path

    class NotReady(Exception):
        pass

    @hydra.main(version_base=None, config_path=None)
    def main(cfg):
        if not os.path.exists(to_absolute_path("data/ready")):
            raise NotReady(f"no data/ready for a={cfg.a}")
        print(f"ran a={cfg.a}")
        return cfg.a

    if __name__ == "__main__":
        main()
''')


@pytest.mark.parametrize("in_git", [True, False], ids=["git", "plain"])
def test_a_failed_hydra_job_is_resubmitted_and_reproduced_from_what_the_launch_left(tmp_path, in_git):
    folder = git_project(tmp_path / "project", tmp_path / "worktrees") if in_git else tmp_path / "plain"
    folder.mkdir(exist_ok=True)
    (folder / "gated.py").write_text(GATED)
    (folder / "data").mkdir()
    try:
        out = run_app(folder, "-m", "hydra/launcher=snaptui_local", "+a=1,2", script="gated.py")
        assert out.returncode == 1 and "NotReady: no data/ready for a=1" in out.stderr  # the app's own type
        engine = Engine(folder)
        [sweep] = engine.sweeps()
        assert sweep.counts == {JobState.FAILED: 2} and (sweep.snapshot is not None) == in_git
        (folder / "data" / "ready").write_text("")  # the cause fixed; the code is unchanged
        resubmit = run_cli(["resubmit", str(sweep.id), "--failed"], cwd=folder)
        assert resubmit.returncode == 0, resubmit.stderr
        assert wait_sweep_done(engine, sweep.id, 90).counts == {JobState.COMPLETED: 2}
        assert [j.attempt.results.get("return_value") for j in engine.jobs(sweep.id)] == [1, 2]
        again = run_cli(["reproduce", f"{sweep.id}/1"], cwd=folder)
        assert again.returncode == 0 and "ran a=2" in again.stdout, again.stderr
    finally:
        stop_everything(folder)


def test_a_task_function_that_cannot_be_pickled_launches_nothing(project):
    """A task made at run time (here a closure) cannot be loaded by name in the job: it is pickled, and
    this one holds a lock."""
    (project / "locked.py").write_text(textwrap.dedent('''\
        import threading
        import hydra

        def make_task():
            lock = threading.Lock()

            def task(cfg):
                with lock:
                    return 1
            return task

        if __name__ == "__main__":
            hydra.main(version_base=None, config_path=None)(make_task())()
    '''))
    out = run_app(project, "-m", "hydra/launcher=snaptui_local", "+a=1,2", script="locked.py")
    assert out.returncode == 1 and "cannot send the task function to its jobs" in out.stderr
    assert "lock" in out.stderr.lower()
    assert Engine(project).sweeps() == []  # nothing recorded, no snapshot, no job
    assert git(project, "branch", "--list", "snaptui/*") == ""
    assert list((project / "multirun").glob("*/*/.snaptui/*")) == []


def test_a_project_with_its_virtualenv_inside_runs_its_jobs(project):
    """The commonest layout: <repo>/.venv, git-ignored, so absent from the snapshot. Jobs must still
    import from it (here a venv whose site folder chains to the test environment's)."""
    import site
    import venv

    venv.EnvBuilder(with_pip=False).create(project / ".venv")
    [own_site] = (project / ".venv" / "lib").glob("python*/site-packages")
    outer = [p for p in site.getsitepackages() if "site-packages" in p]
    (own_site / "outer.pth").write_text("".join(f"import site; site.addsitedir({p!r})\n" for p in outer))
    (own_site / "inner_only.py").write_text("WHERE = 'the project venv'\n")
    with open(project / ".gitignore", "a") as ignore:
        ignore.write(".venv/\n")
    (project / "app.py").write_text(APP.replace("from lib import helper", "from lib import helper\nimport inner_only")
                                    .replace('out = {"a": cfg.a,', 'out = {"a": cfg.a, "venv": inner_only.WHERE,'))
    python = project / ".venv" / "bin" / "python"
    out = subprocess.run([str(python), "app.py", "-m", "hydra/launcher=snaptui_local", "a=1,2"], cwd=project,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    [sweep] = Engine(project).sweeps()
    assert sweep.snapshot is not None
    assert [(r["a"], r["venv"]) for r in results(project)] == [(1, "the project venv"), (2, "the project venv")]
