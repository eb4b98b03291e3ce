"""One ``-m`` run is one snapshot and one sweep, whatever the sweeper (issue 22, item 4): an optimising
sweeper's later batches are added to the first batch's sweep and run its snapshot, and the recorded commit
is the code that ran, including a task function defined in the app's main script. Real apps run as users
run them, in a subprocess."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import yaml

pytest.importorskip("hydra")

from snaptui.engine.api import Engine  # noqa: E402
from snaptui.engine.states import JobState  # noqa: E402
from tests.conftest import git, run_cli, stop_everything  # noqa: E402
from tests.hydra_projects import git_project  # noqa: E402
from tests.test_slurm import slurm_cluster  # noqa: E402,F401  (the fixture)

pytestmark = pytest.mark.timeout(240)

# Trial 0 edits the project (the module the task imports, and the main script) while the search goes on:
# what a user does during a long search. Every trial must still run the code the sweep recorded.
APP = textwrap.dedent('''\
    import json, os, pathlib
    import hydra
    from hydra.core.hydra_config import HydraConfig
    from hydra.utils import get_original_cwd
    from lib import helper

    MAIN_VERSION = 1

    @hydra.main(version_base=None, config_path="conf", config_name="config")
    def main(cfg):
        hc = HydraConfig.get()
        if hc.job.num == 0:
            project = pathlib.Path(get_original_cwd())
            (project / "lib" / "helper.py").write_text("VERSION = 2\\n")
            app = project / "app.py"
            app.write_text(app.read_text().replace("MAIN_VERSION = 1", "MAIN_VERSION = 2"))
        out = {"x": cfg.x, "helper": helper.VERSION, "main": MAIN_VERSION, "num": hc.job.num}
        with open(os.path.join(hc.runtime.output_dir, "result.json"), "w") as f:
            json.dump(out, f)
        return float((cfg.x - 3) ** 2)

    if __name__ == "__main__":
        main()
''')
# A Hydra callback run by the launching process before the sweeper starts: an edit made after
# `python app.py -m` started and before the first batch is launched (the snapshot is taken then).
EDIT_BEFORE_LAUNCH = textwrap.dedent('''\
    import pathlib
    from hydra.experimental.callback import Callback

    class EditMain(Callback):
        def on_multirun_start(self, config, **kwargs):
            app = pathlib.Path("app.py")
            app.write_text(app.read_text().replace("MAIN_VERSION = 1", "MAIN_VERSION = 3"))
''')


@pytest.fixture
def project(tmp_path):
    repo = git_project(tmp_path / "project", tmp_path / "worktrees")
    (repo / "app.py").write_text(APP)
    (repo / "lib").mkdir()
    (repo / "lib" / "__init__.py").write_text("")
    (repo / "lib" / "helper.py").write_text("VERSION = 1\n")
    (repo / "conf").mkdir()
    (repo / "conf" / "config.yaml").write_text("x: 0\n")
    (repo / "edit_before_launch.py").write_text(EDIT_BEFORE_LAUNCH)
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "app")
    yield repo
    stop_everything(repo)


def run_app(repo: Path, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, HYDRA_FULL_ERROR="0")
    return subprocess.run([sys.executable, "app.py", *args], cwd=repo, env=env, capture_output=True, text=True,
                          timeout=200)


def results(repo: Path) -> list[dict]:
    found = sorted((repo / "multirun").glob("*/*/*/result.json"), key=lambda p: int(p.parent.name))
    return [json.loads(p.read_text()) for p in found]


def test_an_optuna_search_is_one_sweep_on_one_snapshot_and_its_trials_run_the_recorded_code(project):
    pytest.importorskip("hydra_plugins.hydra_optuna_sweeper")
    out = run_app(project, "-m", "hydra/launcher=snaptui_local", "hydra/sweeper=optuna",
                  "hydra.sweeper.n_trials=4", "hydra.sweeper.n_jobs=2", "hydra.sweeper.sampler.seed=1",
                  "x=range(0,7)")
    assert out.returncode == 0, out.stderr
    found = results(project)
    assert [r["num"] for r in found] == [0, 1, 2, 3]
    # Trial 0 edited both files before the second batch was launched: no trial saw the edits.
    assert [(r["helper"], r["main"]) for r in found] == [(1, 1)] * 4
    engine = Engine(project)
    [sweep] = engine.sweeps()
    assert sweep.total == 4 and sweep.counts == {JobState.COMPLETED: 4}
    assert sweep.name.startswith("app.py:multirun/")
    assert [job.params["x"] for job in engine.jobs(sweep.id)] == [str(r["x"]) for r in found]
    recorded = sweep.snapshot["commit"]
    assert git(project, "show", f"{recorded}:lib/helper.py").strip() == "VERSION = 1"
    assert "MAIN_VERSION = 1" in git(project, "show", f"{recorded}:app.py")
    # Optuna saw every trial's value: the best is the x it tried closest to 3.
    best = yaml.safe_load(next((project / "multirun").glob("*/*/optimization_results.yaml")).read_text())
    assert best["best_value"] == min((r["x"] - 3) ** 2 for r in found)
    status = run_cli(["status"], project)
    assert status.returncode == 0 and status.stdout.count("app.py:multirun/") == 1, status.stdout


def test_a_task_function_in_the_main_script_is_the_recorded_commits_even_if_edited_before_the_snapshot(project):
    out = run_app(project, "-m", "hydra/launcher=snaptui_local", "+hydra.callbacks.edit._target_="
                  "edit_before_launch.EditMain", "x=5")
    assert out.returncode == 0, out.stderr
    [sweep] = Engine(project).sweeps()
    assert "MAIN_VERSION = 3" in git(project, "show", f"{sweep.snapshot['commit']}:app.py")
    assert [r["main"] for r in results(project)] == [3]  # what the recorded commit says, not what started


def test_the_basic_sweepers_batches_are_one_sweep(project):
    out = run_app(project, "-m", "hydra/launcher=snaptui_local", "hydra.sweeper.max_batch_size=2",
                  "x=1,2,3", "+y=1,2")
    assert out.returncode == 0, out.stderr
    [sweep] = Engine(project).sweeps()
    assert sweep.total == 6 and sweep.counts == {JobState.COMPLETED: 6}
    assert [r["num"] for r in results(project)] == list(range(6))


def test_a_task_function_whose_script_holds_what_cannot_be_pickled_runs(project):
    """Loaded by name in the job, the task's script makes its own globals there (a lock here, which
    cloudpickle could not send)."""
    (project / "locked.py").write_text(textwrap.dedent('''\
        import threading
        import hydra

        LOCK = threading.Lock()

        @hydra.main(version_base=None, config_path=None)
        def main(cfg):
            with LOCK:
                return cfg.a * 2

        if __name__ == "__main__":
            main()
    '''))
    env = dict(os.environ, HYDRA_FULL_ERROR="0")
    out = subprocess.run([sys.executable, "locked.py", "-m", "hydra/launcher=snaptui_local", "+a=1,2"], cwd=project,
                         env=env, capture_output=True, text=True, timeout=200)
    assert out.returncode == 0, out.stderr
    engine = Engine(project)
    [sweep] = engine.sweeps()
    assert [job.attempt.results.get("return_value") for job in engine.jobs(sweep.id)] == [2, 4]


# A sweeper that does not validate its batch (as Optuna's): the second job's override does not compose.
UNCHECKED_SWEEPER = textwrap.dedent('''\
    import json
    from dataclasses import dataclass
    from hydra.core.config_store import ConfigStore
    from hydra.core.plugins import Plugins
    from hydra.plugins.sweeper import Sweeper

    @dataclass
    class UncheckedSweeperConf:
        _target_: str = "hydra_plugins.unchecked_sweeper.unchecked.UncheckedSweeper"

    ConfigStore.instance().store(group="hydra/sweeper", name="unchecked", node=UncheckedSweeperConf)

    class UncheckedSweeper(Sweeper):
        def setup(self, *, hydra_context, task_function, config):
            self.launcher = Plugins.instance().instantiate_launcher(
                hydra_context=hydra_context, task_function=task_function, config=config)

        def sweep(self, arguments):
            try:
                self.launcher.launch([["x=1"], ["no_such_key=2"]], initial_job_idx=0)
                seen = None
            except Exception as exc:
                seen = {"type": type(exc).__name__, "message": str(exc)}
            with open("unchecked.json", "w") as f:
                json.dump(seen, f)
''')


def test_a_job_whose_overrides_do_not_compose_makes_the_launch_raise_hydras_own_error(project):
    plugin = project / "hydra_plugins" / "unchecked_sweeper"
    plugin.mkdir(parents=True)
    (plugin / "__init__.py").write_text("")
    (plugin / "unchecked.py").write_text(UNCHECKED_SWEEPER)
    seen = {}
    for launcher in ("basic", "snaptui_local"):
        out = run_app(project, "-m", f"hydra/launcher={launcher}", "hydra/sweeper=unchecked")
        assert out.returncode == 0, out.stderr
        seen[launcher] = json.loads((project / "unchecked.json").read_text())
    assert seen["snaptui_local"] == seen["basic"]
    assert seen["basic"]["type"] == "ConfigCompositionException" and "no_such_key" in seen["basic"]["message"]


@pytest.mark.slurm
def test_on_slurm_later_batches_join_the_sweep_as_arrays_of_their_own(project, slurm_cluster):  # noqa: F811
    out = run_app(project, "-m", "hydra/launcher=snaptui_slurm", "hydra.sweeper.max_batch_size=2", "x=1,2,3",
                  "hydra.launcher.partition=debug", "hydra.launcher.mem_gb=0.25", "hydra.launcher.timeout_min=5")
    assert out.returncode == 0, out.stderr
    engine = Engine(project)
    [sweep] = engine.sweeps()
    jobs = engine.jobs(sweep.id)
    assert [job.state for job in jobs] == [JobState.COMPLETED] * 3
    arrays = [job.attempt.executor_id.split("_")[0] for job in jobs]
    assert arrays[0] == arrays[1] != arrays[2]  # the second batch was submitted when it came, to the same sweep
    # Trial 0 edited the helper before the second batch: it still ran the snapshot's.
    assert [r["helper"] for r in results(project)] == [1, 1, 1]
