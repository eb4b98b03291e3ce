"""Hydra apps launched from a sweep file (``snaptui --batch``): each job gets a run dir of its own.

Hydra's default run dir is ``outputs/${now:%Y-%m-%d}/${now:%H-%M-%S}``: jobs of a sweep starting in the same
second would share it (their checkpoints, logs and ``.hydra/`` files mixed). When the command is a Hydra
app, each job is given ``hydra.run.dir=outputs/<sweep name>/<sweep id>/<job index>``, relative to its
working folder as Hydra's own default is (``outputs/`` is linked from the snapshot to the repository),
unless the user set the run dir: in the sweep file (command, params, grid or zip), or in the app's primary
config or its ``hydra/`` config group to a pattern that tells jobs apart (one named after the time alone,
as Hydra's default and many templates are, is replaced, and the note says so). A command that is not a Hydra app
gets no argument it did not ask for. Whether it is one is read from its script (``@hydra.main``, or
``hydra.main(...)`` called) unless the sweep file says ``hydra = true`` or ``false``.
"""
from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .spec import SweepSpec

RUN_DIR_KEY = "hydra.run.dir"
RUN_DIR = "outputs/{name}/{{sweep_id}}/{{index}}"  # the sweep id is known once the sweep is recorded
MAX_SCRIPT_BYTES = 2_000_000
_HYDRA_MAIN = re.compile(r"\bhydra\.main\s*\(|^\s*from\s+hydra\s+import\s+[^\n]*\bmain\b", re.M)
_RUN_DIR_IN_HYDRA_GROUP = re.compile(r"^run:[ \t]*\n(?:(?:[ \t]+.*)?\n)*?[ \t]+dir:[ \t]*(.*)$", re.M)
_RUN_DIR_IN_PRIMARY = re.compile(r"^hydra:[ \t]*\n(?:(?:[ \t]+.*)?\n)*?[ \t]+run:[ \t]*\n(?:(?:[ \t]+.*)?\n)*?"
                                 r"[ \t]+dir:[ \t]*(.*)$", re.M)


def script_of(command: list[str], cwd: Path) -> Path | None:
    """The Python file a command runs: ``python [opts] train.py``, ``python -m pkg.train``, ``./train.py``."""
    for n, arg in enumerate(command):
        if arg == "-m" and n + 1 < len(command) and Path(command[0]).name.startswith("python"):
            base = cwd / Path(*command[n + 1].split("."))
            for candidate in (base.with_suffix(".py"), base / "__main__.py"):
                if candidate.is_file():
                    return candidate
            return None
        if arg.endswith(".py") and not arg.startswith("-"):
            path = Path(arg) if Path(arg).is_absolute() else cwd / arg
            return path if path.is_file() else None
    return None


def is_hydra_app(script: Path | None) -> bool:
    if script is None:
        return False
    try:
        with open(script, encoding="utf-8", errors="replace") as handle:
            return bool(_HYDRA_MAIN.search(handle.read(MAX_SCRIPT_BYTES)))
    except OSError:
        return False


def run_dir_in_sweep(command: list[str], keys: list[str]) -> bool:
    """Whether the sweep file sets the run dir itself (in the command or as a parameter)."""
    names = {RUN_DIR_KEY, f"+{RUN_DIR_KEY}", f"++{RUN_DIR_KEY}"}
    return any(k in names for k in keys) or any(arg.split("=", 1)[0] in names for arg in command if "=" in arg)


def run_dir_in_config(script: Path) -> tuple[Path, str] | None:
    """Where the app's own config sets ``hydra.run.dir`` (the file and the value as written), read from the
    ``@hydra.main(config_path=..., config_name=...)`` of its script: its primary config or a file of its
    ``hydra/`` group. A static reading: what overrides or other groups select is not seen."""
    folder, name = _config_of(script)
    if folder is None or not folder.is_dir():
        return None
    candidates = [(folder / f"{name}.yaml", _RUN_DIR_IN_PRIMARY)] if name else []
    candidates += [(path, _RUN_DIR_IN_HYDRA_GROUP) for path in sorted((folder / "hydra").glob("**/*.yaml"))]
    for path, pattern in candidates:
        try:
            found = pattern.search(path.read_text(encoding="utf-8", errors="replace"))
        except OSError:
            continue
        if found:
            return path, found.group(1).strip()
    return None


def _config_of(script: Path) -> tuple[Path | None, str | None]:
    try:
        tree = ast.parse(script.read_text(encoding="utf-8", errors="replace"))
    except (OSError, SyntaxError, ValueError):
        return None, None
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and _is_hydra_main(node.func) and (node.args or node.keywords):
            args = {k.arg: k.value for k in node.keywords if k.arg}
            for position, key in enumerate(("config_path", "config_name")):
                if key not in args and len(node.args) > position:
                    args[key] = node.args[position]
            path, name = (_text(args.get(k)) for k in ("config_path", "config_name"))
            if path is None or "://" in path:
                return None, None
            name = name[:-5] if name and name.endswith(".yaml") else name
            return (script.parent / path).resolve(), name
    return None, None


def _is_hydra_main(func: ast.expr) -> bool:
    return (isinstance(func, ast.Attribute) and func.attr == "main" and isinstance(func.value, ast.Name)
            and func.value.id == "hydra") or (isinstance(func, ast.Name) and func.id == "main")


def _text(node: ast.expr | None) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def per_job_run_dirs(spec: SweepSpec, repo_root: Path) -> list[str]:
    """Decide whether the sweep's jobs get a run dir each (``spec.run_dir`` set to its pattern); the lines
    that say what was decided, for ``--dry-run``, the TUI's preview and the launch."""
    cwd = repo_root / (spec.workdir or ".")
    script = script_of(spec.command, cwd)
    hydra = spec.hydra if spec.hydra is not None else is_hydra_app(script)
    if not hydra:
        return []
    keys = [*spec.params, *spec.grid, *(key for group in spec.zips for key in group)]
    if run_dir_in_sweep(spec.command, keys):
        return [f"a Hydra app: {RUN_DIR_KEY} is set in the sweep file, so each job's run dir is left to it"]
    configured = run_dir_in_config(script) if script is not None else None
    ours = RUN_DIR.format(name=spec.name).format(sweep_id="<sweep id>", index="<job>")
    if configured is not None:
        path, value = configured
        shown = path.relative_to(repo_root) if repo_root in path.parents else path
        if not _timestamp_only(value):
            return [f"a Hydra app: {RUN_DIR_KEY} is set in {shown} ({value}), so each job's run dir is left to it"]
        why = (f"{RUN_DIR_KEY} in {shown} ({value}) is named after the time only, so jobs starting in the same "
               f"second would share one: each job runs in its own, {RUN_DIR_KEY}={ours} (inside the repository; "
               f"set {RUN_DIR_KEY} in the sweep file's params to choose another)")
    else:
        why = f"each job runs in its own run dir, {RUN_DIR_KEY}={ours} (inside the repository)"
    spec.run_dir = RUN_DIR.format(name=spec.name)
    return [f"a Hydra app: {why}"]


def _timestamp_only(value: str) -> bool:
    """A run dir told apart by the time alone, as Hydra's default ``outputs/${now:...}/${now:...}``."""
    return "${now:" in value and "${hydra.job." not in value and "${hydra:job." not in value
