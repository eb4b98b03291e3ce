"""Hand a file to the user's own tools: $PAGER for a log, $EDITOR for a sweep file.

The TUI suspends (the terminal is the tool's while it runs) and comes back as it was;
where it cannot suspend (no real terminal, e.g. under a test driver), it says so.
"""
from __future__ import annotations

import os
import shlex
import subprocess
from pathlib import Path

from textual.app import App, SuspendNotSupported


def command_for(variable: str, fallback: str, path: Path) -> list[str]:
    """`$PAGER` / `$EDITOR` as the shell would split it ('less -R', 'code --wait'), then the file."""
    return [*shlex.split(os.environ.get(variable) or fallback), str(path)]


def run_in_terminal(app: App, argv: list[str]) -> None:
    try:
        with app.suspend():
            try:
                subprocess.run(argv, check=False)
            except OSError as exc:
                app.call_later(app.notify, f"cannot run {argv[0]}: {exc.strerror or exc}", severity="error")
    except SuspendNotSupported:
        app.notify(f"cannot hand the terminal to {argv[0]} here; the file is {argv[-1]}", severity="warning",
                   timeout=8)


def open_in_pager(app: App, path: Path | None) -> None:
    if path is None or not path.exists():
        app.notify("no log file to open yet", severity="warning", timeout=3)
        return
    run_in_terminal(app, command_for("PAGER", "less -R +G", path))


def open_in_editor(app: App, path: Path | None) -> None:
    if path is None:
        app.notify("pick a file first", severity="warning", timeout=3)
        return
    run_in_terminal(app, command_for("VISUAL", os.environ.get("EDITOR") or "vi", path))
