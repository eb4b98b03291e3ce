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


def test_gitpython_is_imported_by_the_first_git_command_not_by_importing_snaptui():
    """Git runs through GitPython (as the project is specified), imported when git is first asked something:
    its import and `git version` run cost 0.1-0.5 s of every process's start, and a slot worker or a job's
    runner never runs git. Importing the CLI, the engine, snapshots, landing and the job side loads no GitPython."""
    code = ("import sys; import snaptui.cli.main, snaptui.engine.api, snaptui.engine.snapshot.snapshots, "
            "snaptui.engine.landing.land, snaptui.engine.jobside.slot_worker, snaptui.engine.agent; "
            "before = 'git' in sys.modules; "
            "from snaptui.engine.gitrepo import run_in; run_in('.', 'version'); "
            "print(before, 'git' in sys.modules); sys.exit(before or 'git' not in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, f"imported before, after: {result.stdout.strip()} {result.stderr[-500:]}"
