"""An executor is a folder and one registration (docs/extending.md, "An executor"): tests/dummy_executor/ and the
entry point an installed package would declare, and nothing else, make `executor = "dummy"` a profile that
is checked, shown by `snaptui config` and launched."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from snaptui.engine.api import Engine
from snaptui.engine.states import JobState
from tests.conftest import git, run_cli, write_sweep

ROOT = Path(__file__).resolve().parent.parent


def installed(site: Path) -> dict[str, str]:
    """What `pip install` of a package declaring the entry point leaves: its dist-info on the path."""
    dist = site / "snaptui_dummy-0.1.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: snaptui-dummy\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text("[snaptui.executors]\ndummy = tests.dummy_executor:register\n")
    return {"PYTHONPATH": os.pathsep.join([str(site), str(ROOT)])}


@pytest.fixture
def known_here():
    """This test process reads the sweep back with its own Engine: the same registration, made here."""
    from snaptui.engine.config.executors import register_executor, unregister_executor
    from tests.dummy_executor import register

    register(register_executor)
    yield
    unregister_executor("dummy")


def test_an_executor_added_as_a_folder_and_one_registration_runs_a_sweep(git_repo, tmp_path, known_here):
    env = installed(tmp_path / "site")
    with open(git_repo / "snaptui.toml", "a") as config:
        config.write('[profiles.d]\nexecutor = "dummy"\ngreeting = "hi"\n')
    git(git_repo, "commit", "-qam", "a dummy profile")
    write_sweep(git_repo, '''
        name = "greet"
        command = ["python", "-c", "import os; print('SNAPTUI_RESULT said=' + os.environ['DUMMY_GREETING'])"]
        [grid]
        i = [0, 1]
    ''')
    done = run_cli(["--batch", "sweep.toml", "--profile", "d"], git_repo, env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    [sweep] = Engine(git_repo).sweeps()
    assert sweep.executor == "dummy" and sweep.config["executor"]["greeting"] == "hi"
    jobs = Engine(git_repo).jobs(sweep.id)
    assert [(j.state, j.attempt.results) for j in jobs] == [(JobState.COMPLETED, {"said": "hi"})] * 2

    shown = run_cli(["config", "--profile", "d"], git_repo, env=env)
    assert shown.returncode == 0 and "greeting" in shown.stdout and '"hi"' in shown.stdout


def test_a_dummy_profile_is_checked_by_its_declaration_and_unknown_without_the_package(git_repo, tmp_path):
    env = installed(tmp_path / "site")
    with open(git_repo / "snaptui.toml", "a") as config:
        config.write('[profiles.d]\nexecutor = "dummy"\ngreting = "hi"\n')
    bad = run_cli(["config", "--profile", "d"], git_repo, env=env)
    assert bad.returncode == 2 and "profiles.d.greting: unknown key" in bad.stderr
    assert "did you mean 'greeting'?" in bad.stderr
    missing = run_cli(["config", "--profile", "d"], git_repo)
    assert missing.returncode == 2
    assert "profiles.d.executor: unknown executor 'dummy'; valid executors: local, slurm" in missing.stderr
