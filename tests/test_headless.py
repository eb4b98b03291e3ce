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


def test_jobs_read_in_pages_are_the_jobs_read_at_once(engine, git_repo):
    jobs = [(i, f"x={i}", {"x": i}, ["python", "job.py", f"x={i}"]) for i in range(0, 50, 2)]   # gaps in the index
    sweep_id = engine.store.create_sweep(name="pages", executor="local", profile="local", sweep_file=None,
                                         spec={}, config={}, snapshot=None, workdir=str(git_repo), env={}, jobs=jobs)
    pages = list(engine.jobs_in_pages(sweep_id, size=7))
    assert [len(p) for p in pages] == [7, 7, 7, 4]
    assert [job for page in pages for job in page] == engine.jobs(sweep_id)
