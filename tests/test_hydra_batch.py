"""A Hydra app swept from a sweep file (``snaptui --batch``, issue 22, item 3): each job gets a run dir of
its own inside the repository unless the user set one, metrics files in it are read, and a command that is
not a Hydra app gets no argument it did not ask for. Real apps in real git repositories, through the CLI."""
from __future__ import annotations

import json
import sys
import textwrap
from pathlib import Path

import pytest

pytest.importorskip("hydra")

from snaptui.engine.api import Engine  # noqa: E402
from snaptui.engine.states import JobState  # noqa: E402
from tests.conftest import JOB_SCRIPT, git, run_cli, stop_everything  # noqa: E402
from tests.hydra_projects import git_project  # noqa: E402
from tests.test_slurm import slurm_cluster  # noqa: E402,F401  (the fixture)

pytestmark = pytest.mark.timeout(240)

# Hydra's default run dir (a timestamp), as most apps keep it. Each job writes a checkpoint-like file and
# a Lightning-style metrics.csv where Hydra tells it to: its run dir.
APP = textwrap.dedent('''\
    import json, os
    import hydra
    from hydra.core.hydra_config import HydraConfig

    @hydra.main(version_base=None, config_path="conf", config_name="config")
    def main(cfg):
        out = HydraConfig.get().runtime.output_dir
        with open(os.path.join(out, "ckpt.json"), "w") as f:
            json.dump({"lr": cfg.lr}, f)
        with open(os.path.join(out, "metrics.csv"), "w") as f:
            f.write("epoch,step,val_loss\\n0,1,%s\\n" % (1 / cfg.lr))

    if __name__ == "__main__":
        main()
''')


@pytest.fixture
def project(tmp_path):
    repo = git_project(tmp_path / "project", tmp_path / "worktrees")
    (repo / "train.py").write_text(APP)
    (repo / "conf").mkdir()
    (repo / "conf" / "config.yaml").write_text("lr: 1.0\n")
    (repo / "job.py").write_text(JOB_SCRIPT)
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "app")
    yield repo
    stop_everything(repo)


def sweep_file(repo: Path, body: str, name: str = "lr") -> Path:
    path = repo / f"{name}.toml"
    path.write_text(f'name = "{name}"\n' + textwrap.dedent(body).replace("{PY}", sys.executable))
    return path


def launched(repo: Path, *args: str) -> tuple[Engine, object]:
    out = run_cli(["--batch", *args], repo)
    assert out.returncode == 0, out.stdout + out.stderr
    engine = Engine(repo)
    return engine, engine.sweeps()[0]


def test_parallel_jobs_of_a_hydra_app_each_get_a_run_dir_in_the_repository(project):
    sweep_file(project, '''
        command = ["{PY}", "train.py"]
        [grid]
        lr = [0.1, 0.2, 0.5, 1.0]
    ''')
    engine, sweep = launched(project, "lr.toml", "--set", "max_parallel_jobs=4")
    assert sweep.counts == {JobState.COMPLETED: 4}
    run_dirs = [project / "outputs" / "lr" / str(sweep.id) / str(n) for n in range(4)]
    assert [json.loads((d / "ckpt.json").read_text())["lr"] for d in run_dirs] == [0.1, 0.2, 0.5, 1.0]
    for run_dir, lr in zip(run_dirs, ("0.1", "0.2", "0.5", "1.0")):
        assert (run_dir / ".hydra" / "overrides.yaml").read_text().splitlines()[0] == f"- lr={lr}"
    assert [p for p in (project / "outputs").iterdir()] == [project / "outputs" / "lr"]  # no timestamp dirs
    jobs = engine.jobs(sweep.id)
    assert jobs[2].argv == [sys.executable, "train.py", "lr=0.5", f"hydra.run.dir=outputs/lr/{sweep.id}/2"]
    assert engine.run_dir(jobs[2]) == run_dirs[2]
    # The metrics file in each run dir is read, as one in $SNAPTUI_JOB_DIR is.
    metrics = run_cli(["metrics", str(sweep.id), "--metric", "val_loss", "--json"], project)
    assert metrics.returncode == 0, metrics.stderr
    finals = {row["job"]: row["values"] for row in json.loads(metrics.stdout)}
    assert finals == {f"{sweep.id}/{n}": [pytest.approx(1 / lr)] for n, lr in enumerate((0.1, 0.2, 0.5, 1.0))}


def test_the_dry_run_says_so_and_a_run_dir_the_user_set_is_left_alone(project):
    sweep_file(project, '''
        command = ["{PY}", "train.py"]
        [params]
        "hydra.run.dir" = "outputs/mine/${hydra.job.override_dirname}"
        [grid]
        lr = [0.1, 0.2]
    ''', name="own")
    engine, sweep = launched(project, "own.toml")
    assert sweep.counts == {JobState.COMPLETED: 2}
    assert sorted(p.name for p in (project / "outputs" / "mine").iterdir()) == ["lr=0.1", "lr=0.2"]
    assert [p.name for p in (project / "outputs").iterdir()] == ["mine"]
    dry = run_cli(["--batch", "own.toml", "--dry-run"], project)
    assert "hydra.run.dir is set in the sweep file" in dry.stdout


def test_a_run_dir_the_apps_config_sets_is_kept_if_it_tells_jobs_apart_and_replaced_if_only_a_time(project):
    """As lightning-hydra-template's configs/hydra/default.yaml: a run dir of the config's own, named after the
    time alone (jobs starting in the same second would share it), is replaced; one naming the job is kept."""
    (project / "conf" / "hydra").mkdir()
    run_dir = project / "conf" / "hydra" / "default.yaml"
    run_dir.write_text("run:\n  dir: logs/runs/${now:%Y-%m-%d}_${now:%H-%M-%S}\n")
    (project / "conf" / "config.yaml").write_text("defaults:\n  - hydra: default\n  - _self_\nlr: 1.0\n")
    sweep_file(project, 'command = ["{PY}", "train.py"]\n[grid]\nlr = [0.1, 0.2]\n')
    dry = run_cli(["--batch", "lr.toml", "--dry-run"], project)
    assert dry.returncode == 0, dry.stderr
    said = " ".join(dry.stdout.split())  # the note may be wrapped
    assert "hydra.run.dir in conf/hydra/default.yaml (logs/runs/${now:%Y-%m-%d}_${now:%H-%M-%S}) is named after " \
           "the time only" in said and "set hydra.run.dir in the sweep file's params" in said
    engine, sweep = launched(project, "lr.toml", "--set", "max_parallel_jobs=2")
    assert sweep.counts == {JobState.COMPLETED: 2}
    assert [(project / "outputs" / "lr" / str(sweep.id) / str(n) / "ckpt.json").is_file() for n in (0, 1)] == [True] * 2
    run_dir.write_text("run:\n  dir: outputs/by_job/${hydra.job.override_dirname}\n")
    git(project, "add", "-A")
    git(project, "commit", "-qm", "a run dir per job")
    dry = run_cli(["--batch", "lr.toml", "--dry-run"], project)
    assert "so each job's run dir is left to it" in " ".join(dry.stdout.split())
    engine, sweep = launched(project, "lr.toml")
    assert sweep.counts == {JobState.COMPLETED: 2}
    assert sorted(p.name for p in (project / "outputs" / "by_job").iterdir()) == ["lr=0.1", "lr=0.2"]
    assert engine.jobs(sweep.id)[0].argv == [sys.executable, "train.py", "lr=0.1"]


def test_a_command_that_is_not_a_hydra_app_gets_no_argument_and_the_sweep_file_decides_either_way(project):
    sweep_file(project, 'command = ["{PY}", "job.py"]\n[grid]\nresult = [1]\n', name="plain")
    engine, sweep = launched(project, "plain.toml")
    assert engine.jobs(sweep.id)[0].argv == [sys.executable, "job.py", "result=1"]
    # A Hydra app run through a wrapper is not recognised: `hydra = true` says so...
    (project / "run.sh").write_text(f'#!/bin/sh\nexec {sys.executable} train.py "$@"\n')
    (project / "run.sh").chmod(0o755)
    sweep_file(project, 'command = ["./run.sh"]\nhydra = true\n[grid]\nlr = [0.5]\n', name="wrapped")
    engine, sweep = launched(project, "wrapped.toml")
    assert sweep.counts == {JobState.COMPLETED: 1}
    assert (project / "outputs" / "wrapped" / str(sweep.id) / "0" / "ckpt.json").is_file()
    # ... and `hydra = false` keeps snaptui's hands off a Hydra app.
    sweep_file(project, 'command = ["{PY}", "train.py"]\nhydra = false\n[grid]\nlr = [0.5]\n', name="hands_off")
    engine, sweep = launched(project, "hands_off.toml")
    assert engine.jobs(sweep.id)[0].argv == [sys.executable, "train.py", "lr=0.5"]


@pytest.mark.slurm
def test_on_slurm_each_job_of_a_hydra_app_gets_its_run_dir(project, slurm_cluster):  # noqa: F811
    sweep_file(project, '''
        command = ["{PY}", "train.py"]
        profile = "slurm"
        [grid]
        lr = [0.1, 0.2, 0.5]
    ''')
    engine, sweep = launched(project, "lr.toml")
    assert sweep.counts == {JobState.COMPLETED: 3}
    for n, lr in enumerate((0.1, 0.2, 0.5)):
        run_dir = project / "outputs" / "lr" / str(sweep.id) / str(n)
        assert json.loads((run_dir / "ckpt.json").read_text())["lr"] == lr
        assert (run_dir / ".hydra" / "config.yaml").is_file()
