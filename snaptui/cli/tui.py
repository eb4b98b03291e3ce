"""Entry point of the interactive TUI (`snaptui` with no arguments).

Textual is imported only here, when the TUI is really wanted, so the batch mode
and the verbs start fast.
"""
from __future__ import annotations

from pathlib import Path


def run_tui(directory: Path | None = None, config_path: Path | None = None) -> int:
    from ..engine.api import Engine

    engine = Engine.discover(directory, config_path)
    from ..app import SnaptuiApp

    app = SnaptuiApp(engine, watch_terminal=True)  # installs SIGHUP/SIGTERM handlers on its loop
    try:
        code = app.run()
    finally:
        app.cancel_exit_timer()
    return int(code or 0)
