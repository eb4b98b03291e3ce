"""The Hydra launcher plugin (hydra_plugins/snaptui_launcher): real Hydra apps in temp git repos,
run as a user runs them (`python app.py -m hydra/launcher=snaptui_local ...`) in a subprocess."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytest.importorskip("hydra")

from snaptui.engine.api import Engine  # noqa: E402
from snaptui.engine.states import JobState  # noqa: E402
from tests.conftest import git, run_cli, stop_everything, wait_sweep_done, wait_until  # noqa: E402
from tests.test_slurm import slurm_cluster  # noqa: E402,F401  (the fixture)

pytestmark = pytest.mark.timeout(120)

APP = textwrap.dedent('''\
    import json, os, time
    import hydra
    from hydra.core.hydra_config import HydraConfig

    VERSION = 1

    @hydra.main(version_base=None, config_path="conf", config_name="config")
    def main(cfg):
        hc = HydraConfig.get()
        time.sleep(cfg.sleep)
        if cfg.fail:
            raise ValueError(f"asked to fail with a={cfg.a}")
        out = {"a": cfg.a, "b": cfg.b, "model": cfg.model.size, "version": VERSION, "num": hc.job.num,
               "cwd": os.getcwd(), "output_dir": hc.runtime.output_dir, "mode": str(hc.mode),
               "foo": os.environ.get("FOO")}
        with open(os.path.join(hc.runtime.output_dir, "result.json"), "w") as f:
            json.dump(out, f)
        return cfg.a * 10 + cfg.b

    if __name__ == "__main__":
        main()
''')
CONFIG = "defaults:\n  - model: small\n  - _self_\na: 0\nb: 0\nfail: false\nsleep: 0\n"
PROBE_SWEEPER = textwrap.dedent('''\
    """A sweeper that launches two batches and records what the launcher returned, as Optuna uses it."""
    import json
    from dataclasses import dataclass
    from hydra.core.config_store import ConfigStore
    from hydra.core.plugins import Plugins
    from hydra.plugins.sweeper import Sweeper

    @dataclass
    class ProbeSweeperConf:
        _target_: str = "hydra_plugins.probe_sweeper.probe.ProbeSweeper"

    ConfigStore.instance().store(group="hydra/sweeper", name="probe", node=ProbeSweeperConf)

    class ProbeSweeper(Sweeper):
        def setup(self, *, hydra_context, task_function, config):
            self.launcher = Plugins.instance().instantiate_launcher(
                hydra_context=hydra_context, task_function=task_function, config=config)

        def sweep(self, arguments):
            seen, start = [], 0
            for batch in ([["a=1", "b=2"], ["a=3", "b=4"]], [["a=5", "b=6"]]):
                for ret in self.launcher.launch(batch, initial_job_idx=start):
                    seen.append({"status": ret.status.name, "value": ret.return_value,
                                 "overrides": list(ret.overrides), "cfg_a": ret.cfg.a})
                start += len(batch)
            with open("probe.json", "w") as f:
                json.dump(seen, f)
''')


@pytest.fixture
def hydra_repo(git_repo):
    (git_repo / "app.py").write_text(APP)
    (git_repo / "conf" / "model").mkdir(parents=True)
    (git_repo / "conf" / "config.yaml").write_text(CONFIG)
    (git_repo / "conf" / "model" / "small.yaml").write_text("size: 1\n")
    (git_repo / "conf" / "model" / "large.yaml").write_text("size: 9\n")
    git(git_repo, "add", "-A")
    git(git_repo, "commit", "-qm", "hydra app")
    yield git_repo
    stop_everything(git_repo)


def run_app(repo: Path, *args: str, timeout: float = 90) -> subprocess.CompletedProcess:
    env = dict(os.environ, HYDRA_FULL_ERROR="0")
    return subprocess.run([sys.executable, "app.py", *args], cwd=repo, env=env, capture_output=True, text=True,
                          timeout=timeout)


def only_sweep_dir(repo: Path) -> Path:
    dirs = [p for p in (repo / "multirun").glob("*/*") if p.is_dir()]
    assert len(dirs) == 1, dirs
    return dirs[0]


def results(sweep_dir: Path) -> dict[str, dict]:
    return {p.parent.name: json.loads(p.read_text()) for p in sweep_dir.glob("*/result.json")}


def test_hydra_discovers_the_plugin_outside_the_source_tree(hydra_repo):
    out = run_app(hydra_repo, "--info", "plugins")
    assert out.returncode == 0, out.stderr
    assert "SnaptuiLocalLauncher" in out.stdout and "SnaptuiSlurmLauncher" in out.stdout
    cfg = run_app(hydra_repo, "hydra/launcher=snaptui_slurm", "--cfg", "hydra", "-p", "hydra.launcher")
    assert cfg.returncode == 0, cfg.stderr
    assert "array_parallelism: null" in cfg.stdout and "wait: true" in cfg.stdout


def test_a_multirun_is_one_snaptui_sweep_in_hydras_layout(hydra_repo):
    out = run_app(hydra_repo, "-m", "hydra/launcher=snaptui_local", "a=1,2", "b=range(2)")
    assert out.returncode == 0, out.stderr
    engine = Engine(hydra_repo)
    [sweep] = engine.sweeps()  # one launch() call: one sweep, one snapshot
    assert sweep.counts == {JobState.COMPLETED: 4} and sweep.snapshot is not None
    jobs = engine.jobs(sweep.id)
    assert [j.label for j in jobs] == ["a=1,b=0", "a=1,b=1", "a=2,b=0", "a=2,b=1"]
    assert [j.attempt.results["return_value"] for j in jobs] == [10, 11, 20, 21]
    # Each job runs the task function Hydra handed the launcher, through snaptui's job module.
    assert all(j.argv[1:3] == ["-m", "hydra_plugins.snaptui_launcher.job"] for j in jobs)

    sweep_dir = only_sweep_dir(hydra_repo)  # multirun/DATE/TIME, in the ORIGINAL repo
    assert (sweep_dir / "multirun.yaml").is_file()
    found = results(sweep_dir)
    assert sorted(found) == ["0", "1", "2", "3"]
    for num, (a, b) in enumerate([(1, 0), (1, 1), (2, 0), (2, 1)]):
        res = found[str(num)]
        assert (res["a"], res["b"], res["num"], res["version"]) == (a, b, num, 1)
        assert res["output_dir"] == str(sweep_dir / str(num)) and res["mode"] == "RunMode.MULTIRUN"
        assert res["cwd"] == sweep.workdir  # the snapshot's code ran, in its worktree
        hydra_dir = sweep_dir / str(num) / ".hydra"
        assert (hydra_dir / "overrides.yaml").read_text().split() == ["-", f"a={a}", "-", f"b={b}"]
        assert {p.name for p in hydra_dir.iterdir()} == {"config.yaml", "hydra.yaml", "overrides.yaml"}
    worktree = Path(sweep.workdir)
    assert (worktree / "multirun").is_symlink()
    assert (worktree / "multirun").resolve() == (hydra_repo / "multirun").resolve()
    status = run_cli(["status"], cwd=hydra_repo)  # visible to the CLI (and the TUI) like any sweep
    assert status.returncode == 0 and "app" in status.stdout and "4 completed" in status.stdout


def test_sweep_syntax_glob_choice_config_name_and_a_custom_subdir(hydra_repo):
    # The launcher chosen in the config's defaults list, and multirun as the config's mode (no -m):
    # the jobs must run once each, not launch sweeps of their own.
    (hydra_repo / "conf" / "other.yaml").write_text(
        CONFIG.replace("b: 0", "b: 7").replace("  - _self_", "  - override hydra/launcher: snaptui_local\n  - _self_")
        + "hydra:\n  mode: MULTIRUN\n")
    out = run_app(hydra_repo, "--config-name", "other", "model=glob(*)", "a=choice(5,6)",
                  "hydra.sweep.subdir=${hydra.job.override_dirname}")
    assert out.returncode == 0, out.stderr
    [sweep] = Engine(hydra_repo).sweeps()
    assert sweep.counts == {JobState.COMPLETED: 4}
    found = results(only_sweep_dir(hydra_repo))
    assert sorted(found) == ["a=5,model=large", "a=5,model=small", "a=6,model=large", "a=6,model=small"]
    assert {(r["a"], r["model"], r["b"]) for r in found.values()} == {(5, 9, 7), (5, 1, 7), (6, 9, 7), (6, 1, 7)}
    assert sorted(r["num"] for r in found.values()) == [0, 1, 2, 3]


def test_a_raising_task_is_failed_and_the_multirun_exits_non_zero(hydra_repo):
    out = run_app(hydra_repo, "-m", "hydra/launcher=snaptui_local", "a=1,2", "fail=true,false")
    # As with Hydra's own launcher, the sweeper re-raises the first failed job: exit code 1.
    assert out.returncode == 1
    # The sweeper re-raises the app's own exception, not a generic job error, with where its log is.
    assert "ValueError: asked to fail with a=1" in out.stderr and "SnaptuiJobError" not in out.stderr
    assert "snaptui logs 1/0 --err" in out.stderr
    engine = Engine(hydra_repo)
    [sweep] = engine.sweeps()
    jobs = engine.jobs(sweep.id)
    assert [j.state for j in jobs] == [JobState.FAILED, JobState.COMPLETED] * 2
    assert {j.attempt.exit_code for j in jobs if j.state == JobState.FAILED} == {1}
    err = engine.log_paths(jobs[0])[1].read_text()
    assert "Traceback" in err and "ValueError: asked to fail with a=1" in err
    assert sorted(results(only_sweep_dir(hydra_repo))) == ["1", "3"]


def test_launcher_fields_reach_the_sweep(hydra_repo):
    out = run_app(hydra_repo, "-m", "hydra/launcher=snaptui_local", "a=3", "hydra.launcher.max_parallel_jobs=1",
                  "hydra.launcher.timeout_min=2", "hydra.launcher.snapshot.enabled=false",
                  "+hydra.launcher.env.FOO=bar")
    assert out.returncode == 0, out.stderr
    engine = Engine(hydra_repo)
    [sweep] = engine.sweeps()
    assert sweep.config["executor"]["max_parallel_jobs"] == 1 and sweep.config["executor"]["timeout_min"] == 2
    assert sweep.snapshot is None
    [res] = results(only_sweep_dir(hydra_repo)).values()
    assert res["cwd"] == str(hydra_repo) and res["foo"] == "bar"


def test_every_snapshot_setting_of_snaptui_toml_can_be_set_from_hydra(hydra_repo, tmp_path):
    """The launcher's snapshot group names every key snaptui.toml's [snapshot] has, and each reaches the sweep."""
    import dataclasses
    from hydra_plugins.snaptui_launcher.config import SnapshotConf
    from snaptui.engine.config.declare import user_settings
    from snaptui.engine.config.model import SnapshotSettings

    assert {f.name for f in dataclasses.fields(SnapshotConf)} == set(user_settings(SnapshotSettings))
    out = run_app(hydra_repo, "-m", "hydra/launcher=snaptui_local", "a=3",
                  "hydra.launcher.snapshot.max_untracked_mb=0.5", "hydra.launcher.snapshot.max_total_mb=50",
                  "hydra.launcher.snapshot.exclude=[data/raw]", f"hydra.launcher.snapshot.worktree_root={tmp_path}/wt",
                  "hydra.launcher.snapshot.remote=upstream")
    assert out.returncode == 0, out.stderr
    [sweep] = Engine(hydra_repo).sweeps()
    snapshot = sweep.config["snapshot"]
    assert (snapshot["max_untracked_mb"], snapshot["max_total_mb"], snapshot["exclude"], snapshot["remote"]) == \
        (0.5, 50, ["data/raw"], "upstream")
    assert snapshot["worktree_root"] == f"{tmp_path}/wt" and sweep.snapshot["worktree"].startswith(f"{tmp_path}/wt")


def test_a_bad_launcher_field_is_named_as_the_hydra_field_and_launches_nothing(hydra_repo):
    """The launcher's fields reach the engine as values, checked like snaptui.toml's; an error names the
    Hydra override the user wrote, not a `--set` they never typed."""
    out = run_app(hydra_repo, "-m", "hydra/launcher=snaptui_local", "a=3", "hydra.launcher.timeout_min=-1")
    assert out.returncode != 0
    assert "hydra.launcher.timeout_min" in out.stderr and "--set" not in out.stderr, out.stderr
    assert Engine(hydra_repo).sweeps() == []


def test_wait_false_returns_at_once_and_the_jobs_run_the_launched_code(hydra_repo):
    out = run_app(hydra_repo, "-m", "hydra/launcher=snaptui_local", "hydra.launcher.wait=false", "a=1,2", "sleep=4")
    assert out.returncode == 0, out.stderr
    engine = Engine(hydra_repo)
    [sweep] = engine.sweeps()
    # returned before the jobs ended; asked of the store, not the clock (the app alone takes 4-6 s on a loaded machine)
    assert engine.sweep(sweep.id).is_active
    app = hydra_repo / "app.py"
    app.write_text(app.read_text().replace("VERSION = 1", "VERSION = 2"))  # edited while they run
    assert wait_sweep_done(engine, sweep.id, 60).counts == {JobState.COMPLETED: 2}
    assert [r["version"] for r in results(only_sweep_dir(hydra_repo)).values()] == [1, 1]


TEMPLATE_APP = textwrap.dedent('''\
    import os
    import hydra

    @hydra.main(version_base=None, config_path="conf", config_name="config")
    def main(cfg):
        with open("data/MNIST/train.bin", "rb") as f:  # the template's paths.data_dir, gitignored
            size = len(f.read())
        run = os.path.join("logs", "train", f"a{cfg.a}")  # paths.log_dir: gitignored, absent at launch
        os.makedirs(run, exist_ok=True)
        with open(os.path.join(run, "metrics.csv"), "w") as f:
            f.write(f"a,size\\n{cfg.a},{size}\\n")

    if __name__ == "__main__":
        main()
''')


def test_a_multirun_reads_gitignored_data_and_its_ignored_logs_land_in_the_repository(hydra_repo):
    """lightning-hydra-template's layout: data/ and logs/ gitignored; data/ is there, logs/ not yet. Jobs
    read the data through the snapshot's link and what they log is in the repository afterwards."""
    (hydra_repo / "train.py").write_text(TEMPLATE_APP)
    with open(hydra_repo / ".gitignore", "a") as ignore:
        ignore.write("data/\nlogs/\n")
    git(hydra_repo, "add", "-A")
    git(hydra_repo, "commit", "-qm", "template-shaped app")
    (hydra_repo / "data" / "MNIST").mkdir(parents=True)
    (hydra_repo / "data" / "MNIST" / "train.bin").write_bytes(b"x" * 1000)
    env = dict(os.environ, HYDRA_FULL_ERROR="0")
    out = subprocess.run([sys.executable, "train.py", "-m", "hydra/launcher=snaptui_local", "a=1,2"],
                         cwd=hydra_repo, env=env, capture_output=True, text=True, timeout=90)
    assert out.returncode == 0, out.stderr
    [sweep] = Engine(hydra_repo).sweeps()
    assert sweep.counts == {JobState.COMPLETED: 2}, out.stderr
    for a in (1, 2):
        assert (hydra_repo / "logs" / "train" / f"a{a}" / "metrics.csv").read_text() == f"a,size\n{a},1000\n"
    assert (hydra_repo / "data" / "MNIST" / "train.bin").read_bytes() == b"x" * 1000  # shared, not copied


def test_return_values_reach_a_sweeper_plugin(hydra_repo):
    plugin = hydra_repo / "hydra_plugins" / "probe_sweeper"
    plugin.mkdir(parents=True)
    (plugin / "__init__.py").write_text("")
    (plugin / "probe.py").write_text(PROBE_SWEEPER)
    out = run_app(hydra_repo, "-m", "hydra/launcher=snaptui_local", "hydra/sweeper=probe")
    assert out.returncode == 0, out.stderr
    seen = json.loads((hydra_repo / "probe.json").read_text())
    assert seen == [{"status": "COMPLETED", "value": 12, "overrides": ["a=1", "b=2"], "cfg_a": 1},
                    {"status": "COMPLETED", "value": 34, "overrides": ["a=3", "b=4"], "cfg_a": 3},
                    {"status": "COMPLETED", "value": 56, "overrides": ["a=5", "b=6"], "cfg_a": 5}]
    [sweep] = Engine(hydra_repo).sweeps()  # the two launch() calls of one -m run are one sweep
    assert sweep.total == 3 and sweep.name.startswith("app.py:multirun/")
    assert sorted(results(only_sweep_dir(hydra_repo))) == ["0", "1", "2"]  # numbering continues


# ------------------------------------------------------------------------------------------ Slurm

@pytest.mark.slurm
def test_on_slurm_a_multirun_is_one_array_and_failures_fail(hydra_repo, slurm_cluster):  # noqa: F811
    out = run_app(hydra_repo, "-m", "hydra/launcher=snaptui_slurm", "a=1,2", "fail=false,true",
                  "hydra.launcher.partition=debug", "hydra.launcher.mem_gb=0.25", "hydra.launcher.timeout_min=5",
                  "hydra.launcher.name=hydra-probe")
    assert out.returncode == 1 and "ValueError: asked to fail with a=1" in out.stderr
    engine = Engine(hydra_repo)
    [sweep] = engine.sweeps()
    jobs = engine.jobs(sweep.id)
    arrays = {j.attempt.executor_id.split("_")[0] for j in jobs}
    assert len(arrays) == 1  # one sbatch
    assert [j.state for j in jobs] == [JobState.COMPLETED, JobState.FAILED] * 2
    assert [j.attempt.results.get("return_value") for j in jobs if j.state == JobState.COMPLETED] == [10, 20]
    array = arrays.pop()

    def sacct() -> str:  # accounting may lag the jobs' own reports by a moment
        out = subprocess.run(["sacct", "-X", "-n", "-P", "-o", "JobName,State,ExitCode,ReqMem,Timelimit", "-j",
                              array], capture_output=True, text=True).stdout
        return out if out.count("hydra-probe|") == 4 else ""

    sacct = wait_until(sacct, 30, 0.5, "sacct to record the array")
    assert sacct.count("hydra-probe|FAILED|1:0|256M|00:05:00") == 2
    assert sacct.count("hydra-probe|COMPLETED|0:0|256M|00:05:00") == 2
    sweep_dir = only_sweep_dir(hydra_repo)
    assert sorted(results(sweep_dir)) == ["0", "2"]
    assert all((sweep_dir / str(n) / ".hydra" / "config.yaml").is_file() for n in range(4))


@pytest.mark.slurm
def test_on_slurm_queued_tasks_run_the_launched_code(hydra_repo, slurm_cluster):  # noqa: F811
    out = run_app(hydra_repo, "-m", "hydra/launcher=snaptui_slurm", "hydra.launcher.wait=false", "a=1,2,3",
                  "sleep=1", "hydra.launcher.array_parallelism=1", "hydra.launcher.mem_gb=0.25")
    assert out.returncode == 0, out.stderr
    engine = Engine(hydra_repo)
    [sweep] = engine.sweeps()
    app = hydra_repo / "app.py"
    app.write_text(app.read_text().replace("VERSION = 1", "VERSION = 2"))
    assert wait_sweep_done(engine, sweep.id, 90).counts == {JobState.COMPLETED: 3}
    assert [r["version"] for r in results(only_sweep_dir(hydra_repo)).values()] == [1, 1, 1]


def test_the_launcher_logs_the_progress_text_of_the_cli():
    """Merged twin (issue 16): the launcher's log line was '4/6 done (1 running, 3 completed, 1 failed)';
    it is now the text `snaptui status` and batch mode print."""
    from types import SimpleNamespace

    from hydra_plugins.snaptui_launcher.returns import progress
    from snaptui.format import progress_text

    sweep = SimpleNamespace(counts={JobState.RUNNING: 1, JobState.COMPLETED: 3, JobState.FAILED: 1}, total=6)
    assert progress(sweep) == "4/6 done  1 running  3 completed  1 failed"
    assert progress(sweep) == progress_text(sweep.counts, sweep.total).plain
    assert progress_text(sweep.counts, symbols=True).plain == "▶ 1 running  ✔ 3 completed  ✘ 1 failed"
    assert progress_text(sweep.counts, symbols=True, compact=True).plain == "▶1 ✔3 ✘1"


def test_a_failed_jobs_error_tail_is_read_from_the_end_of_its_log(tmp_path):
    """The launcher's failure message shows the last lines of the job's stderr: read from its end through
    the engine's tailer (it read the whole file, however big), the same lines as before."""
    log = tmp_path / "err.log"
    log.write_text("".join(f"step {i}\n" for i in range(100_000)) + "10%|#  | 1/10\r50%|#####  | 5/10\n"
                   + "Traceback (most recent call last):\nValueError: asked to fail")  # no final newline
    tail = Engine.tail(log).last_lines(20)
    assert tail == log.read_text().splitlines()[-20:]
    assert tail[-2:] == ["Traceback (most recent call last):", "ValueError: asked to fail"]
    assert Engine.tail(tmp_path / "missing.log").last_lines(20) == []
