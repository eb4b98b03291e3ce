"""What a warm local slot imports for a Hydra app: the modules the task function's module imports (and
those the project's own modules it imports import in turn), as the launching process loaded them.

The launching process has run the app's imports already (Hydra calls the launcher from inside the app),
so the list holds what is known to import: modules named by an ``import`` anywhere in those files that are
loaded now, outside the project (the project's own come from the snapshot in each job, never from the
slot) and outside the standard library (cheap to import, not worth a line in every manifest). Then the
job module's own imports (``_slot_imports.py``: Hydra's composition, job running and plugins), which every
job pays for too.
"""
from __future__ import annotations

import ast
import os
import sys
from pathlib import Path
from typing import Iterator, List, Optional, Set

# What `python -m hydra_plugins.snaptui_launcher.job` imports before it runs the task (job.py).
JOB_IMPORTS = ("hydra_plugins.snaptui_launcher._slot_imports",)


def task_imports(task_function: object, repo: Path) -> List[str]:
    """The modules a slot preloads for this task function (see the module's docstring), in a stable order."""
    module = sys.modules.get(getattr(task_function, "__module__", None) or "")
    start = getattr(module, "__file__", None)
    found: List[str] = []
    if start and str(start).endswith(".py"):
        root = os.path.realpath(repo)
        queue: List[str] = [os.path.realpath(start)]
        seen: Set[str] = set()
        while queue:
            path = queue.pop()
            if path in seen:
                continue
            seen.add(path)
            for name, project_file in _imports_of(path, root):
                if project_file is not None:
                    queue.append(project_file)
                elif name is not None:
                    found.append(name)
    found.extend(JOB_IMPORTS)
    return list(dict.fromkeys(found))


def _imports_of(path: str, root: str) -> Iterator[tuple[Optional[str], Optional[str]]]:
    """(module to preload, None) or (None, a project file whose imports count too), for each import in ``path``."""
    try:
        with open(path, encoding="utf-8") as source:
            tree = ast.parse(source.read(), path)
    except (OSError, SyntaxError, ValueError):
        return
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module, *(f"{node.module}.{alias.name}" for alias in node.names)]
        elif isinstance(node, ast.ImportFrom):  # relative: the project's own, found beside the file
            base = Path(path).parent
            for _ in range(node.level - 1):
                base = base.parent
            parts = (node.module or "").split(".") if node.module else []
            targets = [base.joinpath(*parts)] if parts else [base / alias.name for alias in node.names]
            for target in targets:
                for candidate in (target.with_suffix(".py"), target / "__init__.py"):
                    if candidate.is_file():
                        yield None, os.path.realpath(candidate)
            continue
        else:
            continue
        for name in names:
            loaded = sys.modules.get(name)
            origin = getattr(loaded, "__file__", None) if loaded is not None else None
            if not origin:  # not loaded (a name imported from a module, an import that did not run), or a namespace
                continue
            origin = os.path.realpath(origin)
            if _is_project(origin, root):
                yield None, origin
            elif name.split(".")[0] not in sys.stdlib_module_names:
                yield name, None


def _is_project(path: str, root: str) -> bool:
    """Inside the project, and not in an interpreter's own folders (a virtualenv kept inside the project)."""
    inside = path == root or path.startswith(root.rstrip(os.sep) + os.sep)
    prefix = os.path.realpath(sys.prefix)
    return inside and not path.startswith(prefix.rstrip(os.sep) + os.sep)
