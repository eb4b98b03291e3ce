"""Copy a command's stdout and stderr to the job's log files, recording the order they were written in.

Two files cannot say which of their lines came first; the runner therefore gives the command two pipes,
copies each chunk to its file as it comes, and appends a record of it to the order file (logs/logorder.py
reads it): the TUI's stdout+stderr view is then in true time order, also for what was written before it
was opened. The copies run in two threads of the runner; a chunk is written and recorded under one lock,
so the records are in the order the chunks reached the files. That is the order the command wrote them in
up to the threads' wake-up delay (a tenth of a millisecond or so): two writes to the two streams closer
together than that may be recorded in either order. A file that cannot be written (full disk)
is no longer written, and the pipe is still drained, so the command never blocks on it.
"""
from __future__ import annotations

import os
import threading
from pathlib import Path

CHUNK = 64 * 1024
LETTERS = (b"o", b"e")


class LogPump:
    def __init__(self, targets: tuple[int, int], order_path: Path) -> None:
        """`targets`: the descriptors of the stdout and stderr log files."""
        self.targets = targets
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self._order: int | None = None   # no order: the logs are still copied, and shown one after the other
        if all(_seekable(fd) for fd in targets):   # an srun step's are pipes to slurmstepd: no offsets to record
            try:
                self._order = os.open(order_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
            except OSError:
                pass

    def start(self, pipes: tuple[int, int]) -> None:
        for stream, pipe in enumerate(pipes):
            thread = threading.Thread(target=self._copy, args=(pipe, stream), daemon=True,
                                      name=f"snaptui log pump {LETTERS[stream].decode()}")
            thread.start()
            self._threads.append(thread)

    def _copy(self, pipe: int, stream: int) -> None:
        target, writable = self.targets[stream], True
        while True:
            try:
                data = os.read(pipe, CHUNK)
            except OSError:
                break
            if not data:
                break
            if not writable:
                continue
            with self._lock:
                try:
                    view = memoryview(data)
                    while view:
                        view = view[os.write(target, view):]
                except OSError:
                    writable = False
                    continue
                if self._order is not None:
                    try:
                        end = os.lseek(target, 0, os.SEEK_CUR)
                        os.write(self._order, LETTERS[stream] + b" %d\n" % end)
                    except OSError:
                        self._order = None

    def join(self, timeout: float) -> None:
        """Wait for both pipes to end (the command and everything that held them gone); a process that
        escaped the command's group and keeps a pipe open is not waited for longer than `timeout`."""
        for thread in self._threads:
            thread.join(timeout)
        if self._order is not None:
            os.close(self._order)
            self._order = None


def _seekable(fd: int) -> bool:
    try:
        os.lseek(fd, 0, os.SEEK_CUR)
    except OSError:
        return False
    return True
