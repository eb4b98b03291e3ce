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


CLEAN_LIMIT = 256 * 1024 * 1024   # a log with progress bars up to this size is handed over cleaned


def pager_command(path: Path) -> list[str]:
    """`$PAGER` for a log. less gets -R (a log's colour codes made it ask 'may be a binary file?') and +G
    (a log is read from its end) unless they were given."""
    argv = command_for("PAGER", "less", path)
    if os.path.basename(argv[0]) == "less":
        options = argv[1:-1] + shlex.split(os.environ.get("LESS", ""))
        if not any(o.startswith("-") and not o.startswith("--") and "R" in o or o in ("-r", "--RAW-CONTROL-CHARS")
                   for o in options):
            argv.insert(1, "-R")
        if not any(o.startswith("+") for o in argv[1:-1]):
            argv.insert(1, "+G")
    return argv


def cleaned_copy(path: Path) -> Path | None:
    """A copy of a log with each line as a terminal shows it: a progress bar redrawn with '\\r' is its last
    frame, not every frame joined by ^M. None when the log has no '\\r' (or is too big to copy)."""
    import tempfile

    try:
        if path.stat().st_size > CLEAN_LIMIT:
            return None
        data = path.read_bytes()
    except OSError:
        return None
    if b"\r" not in data:
        return None
    lines = [line.rstrip(b"\r").rsplit(b"\r", 1)[-1] for line in data.split(b"\n")]
    handle = tempfile.NamedTemporaryFile("wb", prefix=f"{path.stem}-", suffix=path.suffix, delete=False)
    with handle:
        handle.write(b"\n".join(lines))
    return Path(handle.name)


def open_in_pager(app: App, path: Path | None) -> None:
    if path is None or not path.exists():
        app.notify("no log file to open yet", severity="warning", timeout=3)
        return
    copy = cleaned_copy(path)
    try:
        run_in_terminal(app, pager_command(copy or path))
    finally:
        if copy is not None:
            copy.unlink(missing_ok=True)


def open_in_editor(app: App, path: Path | None) -> None:
    if path is None:
        app.notify("pick a file first", severity="warning", timeout=3)
        return
    run_in_terminal(app, command_for("VISUAL", os.environ.get("EDITOR") or "vi", path))
