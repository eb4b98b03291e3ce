"""An index of a log file's line starts, so any line of any size of log is read on demand.

The index holds one byte offset per line (8 bytes a line: 1.6 MB for 200,000 lines) and grows as
the file grows. It follows what jobs do to logs: the file may not exist yet (job queued), may be
truncated or replaced (indexed again from the start), may be deleted (what was indexed stays
readable through the open descriptor), and its last line may be partial (a tqdm bar redrawn with
'\\r' never ends with a newline): that line is a line of the index, and it grows.

Thread-safe: a worker thread calls `update()`; the UI thread reads lines and counts.
"""
from __future__ import annotations

import os
import re
import threading
from array import array
from bisect import bisect_right
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

CHUNK = 1024 * 1024
LINE_READ_LIMIT = 64 * 1024   # a longer line is shown by its last 64 KiB (its last '\r' frame)
MAX_MATCHES = 100_000


@dataclass
class Update:
    """What one `update()` found."""
    reset: bool = False        # truncated, replaced or recreated: line numbers start over
    grew: bool = False         # new bytes were indexed (new lines, or a longer last line)
    more: bool = False         # not all of the file is indexed yet (the byte budget ran out)
    state: str = "ok"          # "ok", "missing" (never seen), "deleted" (gone after being read)


class LineIndex:
    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._fd: int | None = None
        self._inode: tuple[int, int] | None = None
        self._starts = array("Q", [0])
        self.indexed = 0            # bytes of the file indexed so far
        self.size = 0               # the file's size at the last update
        self.state = "missing"

    # -- reading the file --------------------------------------------------------------------
    def update(self, budget: int = 8 * CHUNK) -> Update:
        """Index what was appended since the last call, at most `budget` bytes."""
        result = Update()
        try:
            stat = os.stat(self.path)
        except OSError:
            result.state = self.state = "deleted" if self._fd is not None else "missing"
            return result
        identity = (stat.st_dev, stat.st_ino)
        with self._lock:
            if self._fd is not None and (identity != self._inode or stat.st_size < self.indexed):
                self._reset()
                result.reset = True
            if self._fd is None:
                try:
                    self._fd = os.open(self.path, os.O_RDONLY)
                except OSError:
                    result.state = self.state = "missing"
                    return result
                self._inode = identity
            self.state = result.state = "ok"
            self.size = stat.st_size
            end = min(stat.st_size, self.indexed + budget)
            while self.indexed < end:
                data = os.pread(self._fd, min(CHUNK, end - self.indexed), self.indexed)
                if not data:
                    break
                base = self.indexed
                self._starts.extend(m.end() + base for m in re.finditer(b"\n", data))
                self.indexed += len(data)
                result.grew = True
            result.more = self.indexed < stat.st_size
        return result

    def _reset(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
        self._fd, self._inode = None, None
        self._starts = array("Q", [0])
        self.indexed = self.size = 0

    def close(self) -> None:
        with self._lock:
            self._reset()

    # -- lines -------------------------------------------------------------------------------
    @property
    def line_count(self) -> int:
        """Lines indexed, the partial last one included."""
        starts = self._starts
        return len(starts) - (1 if starts[-1] == self.indexed else 0)

    def span(self, number: int) -> tuple[int, int]:
        """Byte range of a line, without its newline."""
        starts = self._starts
        start = starts[number]
        end = starts[number + 1] - 1 if number + 1 < len(starts) else self.indexed
        return start, end

    def line(self, number: int, limit: int = LINE_READ_LIMIT) -> str:
        """One line, decoded leniently, '\\r' kept; a very long line by its last `limit` bytes."""
        with self._lock:
            if self._fd is None or not 0 <= number < self.line_count:
                return ""
            start, end = self.span(number)
            if end - start > limit:
                start = end - limit
            data = os.pread(self._fd, end - start, start)
        return data.decode("utf-8", "replace")

    def line_length(self, number: int) -> int:
        start, end = self.span(number)
        return end - start

    def line_at(self, offset: int) -> int:
        return bisect_right(self._starts, offset) - 1

    # -- search ------------------------------------------------------------------------------
    def search(self, needle: str, case_sensitive: bool, progress: Callable[[int, int], None] | None = None,
               cancelled: Callable[[], bool] | None = None) -> list[int]:
        """Numbers of the lines holding `needle`, over the whole file indexed, in file order.

        Scans the file in 1 MiB chunks; the chunks overlap by the needle's length so a match
        across a chunk border is found once. `progress(done_bytes, total)` is called per chunk."""
        if not needle:
            return []
        pattern = re.compile(re.escape(needle.encode()), 0 if case_sensitive else re.IGNORECASE)
        with self._lock:
            fd, total = self._fd, self.indexed
            if fd is not None:
                fd = os.dup(fd)
        if fd is None:
            return []
        found: list[int] = []
        overlap = max(len(needle.encode()) - 1, 0)
        try:
            position = 0
            while position < total and len(found) < MAX_MATCHES:
                if cancelled is not None and cancelled():
                    break
                read_from = max(position - overlap, 0)
                data = os.pread(fd, min(CHUNK, total - position) + (position - read_from), read_from)
                if not data:
                    break
                last = found[-1] if found else -1
                for match in pattern.finditer(data):
                    number = self.line_at(read_from + match.start())
                    if number != last:
                        found.append(number)
                        last = number
                position = read_from + len(data)
                if progress is not None:
                    progress(position, total)
        finally:
            os.close(fd)
        return found
