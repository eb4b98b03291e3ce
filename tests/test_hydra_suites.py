"""Hydra's own launcher conformance suites (hydra/test_utils/launcher_common_tests.py), instantiated as
the submitit plugin's tests do upstream, for submitit_local (the baseline), snaptui_local launched from a
git repository and from a plain folder, and snaptui_slurm on the real test cluster.

LauncherTestSuite and BatchedSweeperTestSuite launch in this process (the launch folder is the
project); IntegrationTestSuite runs generated apps in a subprocess from its scratch folder.
"""
from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("hydra")
pytest.importorskip("hydra_plugins.hydra_submitit_launcher")

from hydra.test_utils.launcher_common_tests import (  # noqa: E402
    BatchedSweeperTestSuite,
    IntegrationTestSuite,
    LauncherTestSuite,
)

from tests.conftest import stop_everything  # noqa: E402
from tests.hydra_projects import git_project  # noqa: E402
from tests.test_slurm import slurm_cluster  # noqa: E402,F401  (the fixture)

pytestmark = pytest.mark.timeout(240)

LOGGING_OFF = ["hydra/hydra_logging=disabled", "hydra/job_logging=disabled"]
SLURM = ["hydra.launcher.timeout_min=5", "hydra.launcher.mem_gb=0.25"]


# ------------------------------------------------------------------ where the launching process stands

class InGit:
    """Launches from a fresh git project (with snapshots), as a user in their repository."""

    @pytest.fixture(autouse=True)
    def _launch_folder(self, tmp_path_factory, monkeypatch):
        base = tmp_path_factory.mktemp("launch")
        project = git_project(base / "project", base / "worktrees")
        monkeypatch.chdir(project)
        yield project
        stop_everything(project)


class InPlainFolder:
    """Launches from a folder that is in no git repository: no snapshot, state in that folder."""

    @pytest.fixture(autouse=True)
    def _launch_folder(self, tmp_path_factory, monkeypatch):
        folder = tmp_path_factory.mktemp("plain")
        monkeypatch.chdir(folder)
        yield folder
        stop_everything(folder)


class OnSlurm(InGit):
    @pytest.fixture(autouse=True)
    def _cluster(self, slurm_cluster):  # noqa: F811
        yield


class GitScratch:
    """The integration suite's apps live in its scratch folder: make that a git project."""

    def get_test_scratch_dir(self, tmpdir: Path) -> Path:
        return git_project(Path(tmpdir) / "project", Path(tmpdir) / "worktrees")

    @pytest.fixture(autouse=True)
    def _stop(self, tmpdir):
        yield
        stop_everything(Path(tmpdir) / "project")


class PlainScratch:
    @pytest.fixture(autouse=True)
    def _stop(self, tmpdir):
        yield
        stop_everything(Path(tmpdir))


def launcher(name: str, overrides: list[str]):
    """The suites' ``launcher_name``/``overrides`` as fixtures: the suites extend the list they get, so each
    test needs its own copy (a shared parametrize value would pile up overrides from test to test)."""

    class Params:
        @pytest.fixture
        def launcher_name(self) -> str:
            return name

        @pytest.fixture
        def overrides(self) -> list[str]:
            return list(overrides)

    return Params


def integration(name: str, extra: list[str]):
    class Params:
        @pytest.fixture
        def task_launcher_cfg(self) -> dict:
            return {}

        @pytest.fixture
        def extra_flags(self) -> list[str]:
            return ["-m", *LOGGING_OFF, f"hydra/launcher={name}", *extra]

    return Params


BATCHES = ["hydra.sweeper.max_batch_size=2"]

# ------------------------------------------------------------------------------ submitit_local (baseline)


class TestSubmititLocalLauncher(launcher("submitit_local", ["hydra.launcher.timeout_min=2"]), LauncherTestSuite):
    pass


class TestSubmititLocalBatched(launcher("submitit_local", ["hydra.launcher.timeout_min=2", *BATCHES]),
                               BatchedSweeperTestSuite):
    pass


class TestSubmititLocalIntegration(integration("submitit_local", ["hydra.launcher.gpus_per_node=0",
                                                                  "hydra.launcher.timeout_min=1"]),
                                   IntegrationTestSuite):
    pass


# ------------------------------------------------------------------------------ snaptui_local, in git


class TestSnaptuiLocalLauncherInGit(InGit, launcher("snaptui_local", []), LauncherTestSuite):
    pass


class TestSnaptuiLocalBatchedInGit(InGit, launcher("snaptui_local", list(BATCHES)), BatchedSweeperTestSuite):
    pass


class TestSnaptuiLocalIntegrationInGit(GitScratch, integration("snaptui_local", ["hydra.launcher.timeout_min=1"]),
                                       IntegrationTestSuite):
    pass


# ------------------------------------------------------------------------------ snaptui_local, outside git


class TestSnaptuiLocalLauncherNoGit(InPlainFolder, launcher("snaptui_local", []), LauncherTestSuite):
    pass


class TestSnaptuiLocalBatchedNoGit(InPlainFolder, launcher("snaptui_local", list(BATCHES)),
                                   BatchedSweeperTestSuite):
    pass


class TestSnaptuiLocalIntegrationNoGit(PlainScratch, integration("snaptui_local", ["hydra.launcher.timeout_min=1"]),
                                       IntegrationTestSuite):
    pass


# ------------------------------------------------------------------------------ snaptui_slurm, real cluster


@pytest.mark.slurm
class TestSnaptuiSlurmLauncher(OnSlurm, launcher("snaptui_slurm", list(SLURM)), LauncherTestSuite):
    pass


@pytest.mark.slurm
class TestSnaptuiSlurmBatched(OnSlurm, launcher("snaptui_slurm", [*SLURM, *BATCHES]), BatchedSweeperTestSuite):
    pass


@pytest.mark.slurm
class TestSnaptuiSlurmIntegration(GitScratch, integration("snaptui_slurm", SLURM), IntegrationTestSuite):
    @pytest.fixture(autouse=True)
    def _cluster(self, slurm_cluster):  # noqa: F811
        yield


@pytest.mark.parametrize("name", ["SnaptuiLocalLauncher", "SnaptuiSlurmLauncher"])
def test_discovery(name: str) -> None:
    """As upstream: Hydra's plugin discovery finds both launchers."""
    from hydra.core.plugins import Plugins
    from hydra.plugins.launcher import Launcher

    assert name in [cls.__name__ for cls in Plugins.instance().discover(Launcher)]
