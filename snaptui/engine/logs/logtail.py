"""Follow a growing log file without reading it whole.

Handles what jobs do to logs: the file may not exist yet (job queued), may be
truncated or replaced (reopened from the start), and its last line may be partial
(held back until its newline arrives). Reads in bounded chunks; polling, not
select() or inotify, because logs written from compute nodes over NFS raise no events.
"""
from __future__ import annotations

import os
import threading
import time
from pathlib import Path
from typing import Callable

CHUNK = 64 * 1024
MAX_PARTIAL = 1024 * 1024  # a "line" longer than this is emitted in pieces


def follow(step: Callable[[], bool], *, stop: Callable[[], bool], interval: float,
           wake: threading.Event | None = None) -> None:
    """The one follow loop of a growing log: call `step()` (it reads what the file gained and says
    whether more is waiting) until `stop()`; when it is caught up, wait `interval` (less if `wake` is set)."""
    while not stop():
        if not step():
            if wake is not None:
                wake.wait(interval)
            else:
                time.sleep(interval)


class LogTailer:
    def __init__(self, path: Path | str, *, start_at_end: bool = False) -> None:
        self.path = Path(path)
        self.offset = 0
        self._inode: int | None = None
        self._partial = b""
        self._start_at_end = start_at_end

    @property
    def exists(self) -> bool:
        return self.path.exists()

    def tail_offset(self, lines: int) -> int:
        """Byte offset where the last `lines` lines start, scanning backwards from the end."""
        try:
            size = self.path.stat().st_size
        except OSError:
            return 0
        newlines = 0
        with open(self.path, "rb") as handle:
            position = size
            while position > 0:
                step = min(CHUNK, position)
                position -= step
                handle.seek(position)
                block = handle.read(step)
                if position + step == size and block.endswith(b"\n"):
                    block = block[:-1]  # the final newline ends the last line; it starts none
                index = len(block)
                while (index := block.rfind(b"\n", 0, index)) >= 0:
                    newlines += 1
                    if newlines == lines:
                        return position + index + 1
        return 0

    def last_lines(self, lines: int, max_bytes: int = 8 * CHUNK) -> list[str]:
        """The file's last `lines` lines (an unfinished last one included), read from at most its last
        `max_bytes`: a crashed job's error tail without reading a huge log whole."""
        try:
            size = self.path.stat().st_size
            with open(self.path, "rb") as handle:
                handle.seek(max(self.tail_offset(lines), size - max_bytes))
                data = handle.read(max_bytes)
        except OSError:
            return []
        return data.decode("utf-8", "replace").splitlines()[-lines:]

    def seek_last_lines(self, lines: int) -> None:
        self.offset = self.tail_offset(lines)
        self._partial = b""
        try:
            self._inode = os.stat(self.path).st_ino
        except OSError:
            pass

    def _appended(self, max_bytes: int) -> bytes:
        """Bytes appended since the last read (a rotated or truncated file is read again from its start)."""
        try:
            stat = os.stat(self.path)
        except OSError:
            return b""
        if self._inode is not None and (stat.st_ino != self._inode or stat.st_size < self.offset):
            self.offset, self._partial = 0, b""  # rotated or truncated: start over
        if self._inode is None and self._start_at_end:
            self.offset = stat.st_size
        self._inode = stat.st_ino
        if stat.st_size <= self.offset:
            return b""
        with open(self.path, "rb") as handle:
            handle.seek(self.offset)
            data = handle.read(min(max_bytes, stat.st_size - self.offset))
        self.offset += len(data)
        return data

    def read_new(self, max_bytes: int = 8 * CHUNK) -> list[str]:
        """Complete lines appended since the last call (decoded leniently, '\\r' kept)."""
        data = self._appended(max_bytes)
        if not data:
            return []
        data = self._partial + data
        *complete, self._partial = data.split(b"\n")
        if len(self._partial) > MAX_PARTIAL:
            complete.append(self._partial)
            self._partial = b""
        return [line.decode("utf-8", "replace") for line in complete]

    def read_bytes(self, max_bytes: int = 8 * CHUNK) -> bytes:
        """Raw bytes appended since the last call, an unfinished last line included: a printer
        that passes them on shows a '\r' progress bar as the job draws it."""
        return self._appended(max_bytes)

    @property
    def has_more(self) -> bool:
        try:
            return os.stat(self.path).st_size > self.offset
        except OSError:
            return False
