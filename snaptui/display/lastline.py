"""The last thing a running job printed (a tqdm bar's latest frame included), for the job table."""
from __future__ import annotations

import os
from pathlib import Path

from snaptui.widgets.logview import clean_line, plain

TAIL_BYTES = 8192


def last_line(path: Path | None) -> str:
    """The last non-empty line of a log as a terminal shows it, reading only its last 8 KiB."""
    if path is None:
        return ""
    try:
        with open(path, "rb") as handle:
            size = os.fstat(handle.fileno()).st_size
            handle.seek(max(size - TAIL_BYTES, 0))
            data = handle.read(TAIL_BYTES)
    except OSError:
        return ""
    for line in reversed(data.decode("utf-8", "replace").split("\n")):
        shown = plain(clean_line(line)).strip()
        if shown:
            return shown
    return ""


def last_lines(engine, jobs: list) -> dict[int, str]:
    """{job index: last line} for these jobs (their stdout)."""
    return {job.index: last_line(engine.log_paths(job)[0]) for job in jobs}
