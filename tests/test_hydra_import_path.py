"""The import path a Hydra job sets up before unpickling the task: the code's twins first, and folders
the snapshot leaves out (a git-ignored .venv or vendor/ inside the project) kept where they are."""
from __future__ import annotations

import pytest

pytest.importorskip("hydra")

from hydra_plugins.snaptui_launcher.job import code_import_path  # noqa: E402


def test_entries_in_the_project_move_to_the_code_only_where_the_code_has_them(tmp_path):
    repo, code = tmp_path / "repo", tmp_path / "snapshot"
    for folder in (repo / "src", repo / "apps", repo / ".venv" / "site", repo / "vendor", code / "src", code / "apps"):
        folder.mkdir(parents=True)
    elsewhere = tmp_path / "python" / "site-packages"
    current = [str(code / "apps"), str(repo / ".venv" / "site"), str(repo / "src"), str(elsewhere)]
    got = code_import_path(current, ["apps", "vendor", "src"], str(repo), str(code))
    assert got == [str(code / "apps"), str(repo / "vendor"), str(code / "src"), str(repo / ".venv" / "site"),
                   str(elsewhere)]


def test_without_a_snapshot_the_path_is_the_launching_one(tmp_path):
    repo = tmp_path / "plain"
    (repo / "apps").mkdir(parents=True)
    got = code_import_path([str(repo / "apps"), "/usr/lib/python3"], ["apps"], str(repo), str(repo))
    assert got == [str(repo / "apps"), "/usr/lib/python3"]
