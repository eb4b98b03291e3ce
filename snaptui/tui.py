"""Entry point of the interactive TUI (`snaptui` with no arguments).

Textual is imported only here, when the TUI is really wanted, so the batch mode
and the verbs start fast.
"""
from __future__ import annotations

import subprocess
from pathlib import Path


def _engine(directory: Path | None, config_path: Path | None):
    from .engine.api import Engine
    from .engine.errors import SnaptuiError

    try:
        return Engine.discover(directory, config_path)
    except ImportError:  # an engine without the git helpers yet: ask git directly
        start = Path(directory or Path.cwd())
        out = subprocess.run(["git", "-C", str(start), "rev-parse", "--show-toplevel"], capture_output=True,
                             text=True)
        if out.returncode != 0:
            raise SnaptuiError(f"{start.resolve()} is not inside a git repository") from None
        return Engine(Path(out.stdout.strip()), config_path)


def run_tui(directory: Path | None = None, config_path: Path | None = None) -> int:
    engine = _engine(directory, config_path)
    from .app import SnaptuiApp

    app = SnaptuiApp(engine, watch_terminal=True)  # installs SIGHUP/SIGTERM handlers on its loop
    try:
        code = app.run()
    finally:
        app.cancel_exit_timer()
    return int(code or 0)
