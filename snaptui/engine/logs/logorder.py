"""The order in which a job wrote its stdout and stderr, so the two can be shown as one log in time order.

The job's runner copies the command's two pipes to the log files and appends, after each chunk, a line
to `<id>_<task>_log.order` (jobside/joblogs.order_file): `o` or `e` and the file's size after the chunk
(`o 4096`). A line of a stream was written before every record whose offset is at or past its end. Jobs
started before snaptui recorded the order have no such file: their two logs are shown one after the other
as read.
"""
from __future__ import annotations

import os
from pathlib import Path

STREAMS = {b"o": 0, b"e": 1}


class LogOrder:
    """The records of one order file, read as it grows (update() in a worker thread; `records` only grows,
    so the UI thread reads it without a lock)."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.records: list[tuple[int, int]] = []   # (0 stdout / 1 stderr, that file's size after the chunk)
        self._read = 0
        self._partial = b""

    def update(self) -> bool:
        """Read what was appended; True if there are new records."""
        try:
            with open(self.path, "rb") as handle:
                handle.seek(self._read)
                data = handle.read()
        except OSError:
            return False
        if not data:
            return False
        self._read += len(data)
        lines = (self._partial + data).split(b"\n")
        self._partial = lines.pop()
        before = len(self.records)
        for line in lines:
            stream, _, offset = line.partition(b" ")
            if stream in STREAMS and offset.isdigit():
                self.records.append((STREAMS[stream], int(offset)))
        return len(self.records) > before

    @property
    def exists(self) -> bool:
        return os.path.exists(self.path)
