"""A setting is declared once: a default changed there is what a launch records, what the Hydra launcher
uses, and what the README's table must say."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("hydra")

from snaptui.engine.api import Engine  # noqa: E402
from snaptui.engine.jobside.manifest import read_manifest  # noqa: E402
from tests.conftest import git  # noqa: E402
from tests.test_hydra_launcher import hydra_repo  # noqa: E402,F401  (the fixture)

ROOT = Path(__file__).resolve().parent.parent


def copy_with_timeout_default(folder: Path, minutes: int) -> Path:
    """snaptui's source with timeout_min's default changed in its declaration, and nowhere else."""
    ignore = shutil.ignore_patterns("__pycache__")
    for part in ("snaptui", "hydra_plugins", "scripts"):
        shutil.copytree(ROOT / part, folder / part, ignore=ignore)
    shutil.copy(ROOT / "README.md", folder / "README.md")
    model = folder / "snaptui" / "engine" / "config" / "model.py"
    text, count = re.subn(r"(timeout_min: Annotated\[float, setting\(.*?\)\]) = 60\b", rf"\g<1> = {minutes}",
                          model.read_text(), flags=re.S)
    assert count == 1, "the declaration of timeout_min moved: update this test"
    model.write_text(text)
    return folder


def test_a_default_changed_in_its_declaration_reaches_the_record_the_hydra_launcher_and_the_readme(
        hydra_repo, tmp_path):  # noqa: F811
    source = copy_with_timeout_default(tmp_path / "source", 45)
    config = hydra_repo / "snaptui.toml"
    config.write_text(re.sub(r"(?m)^timeout_min = .*\n", "", config.read_text()))   # the default applies
    git(hydra_repo, "commit", "-qam", "no timeout")
    env = dict(os.environ, PYTHONPATH=str(source), HYDRA_FULL_ERROR="1")
    out = subprocess.run([sys.executable, "app.py", "-m", "hydra/launcher=snaptui_local", "a=3"], cwd=hydra_repo,
                         env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    [sweep] = Engine(hydra_repo).sweeps()
    assert sweep.config["executor"]["timeout_min"] == 45             # the sweep's record
    [job] = Engine(hydra_repo).jobs(sweep.id)
    assert read_manifest(job.attempt.log_dir)["config"]["executor"]["timeout_min"] == 45   # the job's manifest

    readme = [sys.executable, str(source / "scripts" / "readme-tables")]
    stale = subprocess.run([*readme, "--check"], env=env, capture_output=True, text=True)
    assert stale.returncode == 1 and "stale" in stale.stderr
    subprocess.run(readme, env=env, check=True, capture_output=True)
    assert "| `timeout_min` | a number (min) | `45` |" in (source / "README.md").read_text()
    assert "| `timeout_min` | a number (min) | `60` |" in (ROOT / "README.md").read_text()
