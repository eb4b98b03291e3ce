"""The engine never imports the UI toolkits: checked in a fresh interpreter for each module."""
from __future__ import annotations

import pkgutil
import subprocess
import sys

import pytest

import snaptui.engine

MODULES = sorted(m.name for m in pkgutil.walk_packages(snaptui.engine.__path__, "snaptui.engine.")
                 if not m.name.endswith("__main__"))


@pytest.mark.parametrize("module", MODULES)
def test_engine_module_imports_neither_textual_nor_rich(module):
    code = (f"import sys, importlib; importlib.import_module({module!r}); "
            "bad = [m for m in ('textual', 'rich') if m in sys.modules]; print(bad); sys.exit(1 if bad else 0)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, f"{module} pulls in {result.stdout.strip()} {result.stderr[-500:]}"


def test_the_module_list_is_not_empty():
    assert {"snaptui.engine.api", "snaptui.engine.store", "snaptui.engine.agent"} <= set(MODULES)


def test_jobs_read_in_pages_or_by_position_are_the_jobs_read_at_once(engine, git_repo):
    jobs = [(i, f"x={i}", {"x": i}, ["python", "job.py", f"x={i}"]) for i in range(0, 50, 2)]   # gaps in the index
    sweep_id = engine.store.create_sweep(name="pages", executor="local", profile="local", sweep_file=None,
                                         spec={}, config={}, snapshot=None, workdir=str(git_repo), env={}, jobs=jobs)
    pages = list(engine.jobs_in_pages(sweep_id, size=7))
    assert [len(p) for p in pages] == [7, 7, 7, 4]
    assert [job for page in pages for job in page] == engine.jobs(sweep_id)
    window = engine.jobs_window(sweep_id, 9, 6)   # the rows a table shows at a position, before the pages get there
    assert [job.index for job in window] == [10, 12, 14] and window == engine.jobs_by_index(sweep_id, [10, 12, 14])
    assert [job.index for job in engine.jobs_window(sweep_id, 46, 100)] == [46, 48]
    assert not engine.jobs_window(sweep_id, 0, 0)


def test_faces_read_the_project_config_through_engine_verbs_not_its_internals():
    """import-linter keeps faces to the engine's public modules; an attribute path like engine.project.data
    would go round that door without an import, so it is looked for in the faces' source."""
    import ast
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    faces = [*root.glob("snaptui/*.py"), *root.glob("snaptui/screens/**/*.py"), *root.glob("snaptui/widgets/**/*.py"),
             *root.glob("snaptui/display/**/*.py"), *root.glob("snaptui/cli/**/*.py"),
             *root.glob("hydra_plugins/**/*.py")]
    found = [f"{path.relative_to(root)}:{node.lineno}" for path in faces
             for node in ast.walk(ast.parse(path.read_text())) if isinstance(node, ast.Attribute)
             and node.attr == "project" and isinstance(node.value, (ast.Name, ast.Attribute))
             and (getattr(node.value, "id", None) or getattr(node.value, "attr", "")) == "engine"]
    assert len(faces) > 20 and found == []


def test_a_launch_and_a_job_s_runner_never_import_gitpython():
    """git is run directly (engine/gitrepo.py): importing GitPython cost every snaptui process 0.58 s of
    import time on the loaded test machine and a `git version` run; the CLI, the engine, snapshots, landing
    and the job side stay without it."""
    code = ("import sys; import snaptui.cli.main, snaptui.engine.api, snaptui.engine.snapshot.snapshots, "
            "snaptui.engine.landing.land, snaptui.engine.jobside.slot_worker, snaptui.engine.agent; "
            "print('git' in sys.modules); sys.exit('git' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, f"GitPython imported: {result.stdout.strip()} {result.stderr[-500:]}"
