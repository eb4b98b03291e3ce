"""Copy a command's stdout and stderr to the job's log files, recording the order they were written in.

Two files cannot say which of their lines came first; the runner therefore gives the command two pipes,
and a pump copies each chunk to its file as it comes and appends a record of it to the order file
(logs/logorder.py reads it): the TUI's stdout+stderr view is then in true time order, also for what was
written before it was opened. Chunks are recorded in the order the pump read them, which is the order
the command wrote them in up to the pump's wake-up delay: two writes to the two streams closer together
than that may be recorded in either order. A file that cannot be written (full disk) is no longer
written, and the pipe is still drained, so the command never blocks on it.

The pump is a process of its own (forked from the runner, a single-threaded poll loop), not a thread
of the runner: the command must never depend on the life of the process that started it. A slot
worker killed while its job runs (out of memory, kill -9) would otherwise close the pipes' read ends,
and the command's next write would fail (EPIPE: exit 1 for a Python program that succeeded). The
orphaned pump is re-parented to the nearest subreaper (the agent) and drains the pipes to the end.
It ignores the signals a terminal or Slurm send to a whole task (the command gets them, and what it
prints as it stops still reaches its log); it ends when both pipes end, or when killed.
"""
from __future__ import annotations

import os
import select
import signal
from pathlib import Path

from snaptui.engine.procs import wait_for_exit

CHUNK = 64 * 1024
LETTERS = (b"o", b"e")
IGNORED_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGUSR1, signal.SIGUSR2)


class LogPump:
    def __init__(self, targets: tuple[int, int], order_path: Path) -> None:
        """`targets`: the descriptors of the stdout and stderr log files."""
        self.targets = targets
        self.order_path = order_path
        self.pid: int | None = None

    def start(self) -> tuple[int, int]:
        """Make the two pipes and fork the pump; returns their write ends, for the command (the caller
        closes them once the command has them)."""
        out_read, out_write = os.pipe()
        err_read, err_write = os.pipe()
        pid = os.fork()
        if pid == 0:   # the pump: only os-level calls from here on (the runner may have had threads)
            code = 0
            try:
                os.close(out_write)
                os.close(err_write)
                for signum in IGNORED_SIGNALS:
                    signal.signal(signum, signal.SIG_IGN)
                self._copy((out_read, err_read))
            except BaseException:   # noqa: BLE001 - a forked child must never return into the runner
                code = 1
            finally:
                os._exit(code)
        os.close(out_read)
        os.close(err_read)
        self.pid = pid
        return out_write, err_write

    def _copy(self, pipes: tuple[int, int]) -> None:
        order = self._open_order()
        streams = {pipe: stream for stream, pipe in enumerate(pipes)}
        writable = [True, True]
        poller = select.poll()
        for pipe in pipes:
            poller.register(pipe, select.POLLIN)
        while streams:
            for pipe, _event in poller.poll():
                try:
                    data = os.read(pipe, CHUNK)
                except OSError:
                    data = b""
                if not data:
                    poller.unregister(pipe)
                    del streams[pipe]
                    continue
                stream = streams[pipe]
                if not writable[stream]:
                    continue
                target = self.targets[stream]
                try:
                    view = memoryview(data)
                    while view:
                        view = view[os.write(target, view):]
                except OSError:
                    writable[stream] = False
                    continue
                if order is not None:
                    try:
                        end = os.lseek(target, 0, os.SEEK_CUR)
                        os.write(order, LETTERS[stream] + b" %d\n" % end)
                    except OSError:
                        order = None

    def _open_order(self) -> int | None:
        """The order file, or None where there are no offsets to record (an srun step's descriptors are
        pipes to slurmstepd): the logs are still copied, and shown one after the other."""
        if not all(_seekable(fd) for fd in self.targets):
            return None
        try:
            return os.open(self.order_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        except OSError:
            return None

    def join(self, timeout: float) -> None:
        """Wait for both pipes to end (the command and everything that held them gone); a process that
        escaped the command's group and keeps a pipe open is not waited for longer than `timeout`."""
        if self.pid is None:
            return
        if not wait_for_exit(self.pid, timeout):
            try:
                os.kill(self.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            wait_for_exit(self.pid, 5.0)
        self.pid = None


def _seekable(fd: int) -> bool:
    try:
        os.lseek(fd, 0, os.SEEK_CUR)
    except OSError:
        return False
    return True
