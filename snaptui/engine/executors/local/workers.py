"""The agent's pool of long-lived local workers (jobside/slot_worker.py): the dispatch mechanism.

Which attempt starts when (caps, GPU slots) is the executor's policy; this module only
hands a chosen attempt to an idle worker, starting one when none is idle, and tells the
agent the moment a worker finishes (`wait`), so the next job starts at once.
"""
from __future__ import annotations

import os
import select
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from snaptui.engine.jobside.slot_worker import encode_request

MAX_IDLE_WORKERS = 16


@dataclass
class Worker:
    process: subprocess.Popen
    busy: bool = False
    jobs: int = 0
    buffer: bytes = field(default=b"")

    @property
    def pid(self) -> int:
        return self.process.pid


class WorkerPool:
    def __init__(self, log_path: Path | None = None):
        self.workers: list[Worker] = []
        self.log_path = log_path

    def _start(self) -> Worker:
        log = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL
        try:
            process = subprocess.Popen([sys.executable, "-m", "snaptui.engine.jobside.slot_worker"],
                                       stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log,
                                       start_new_session=True, close_fds=True)
        finally:
            if log is not subprocess.DEVNULL:
                log.close()
        os.set_blocking(process.stdout.fileno(), False)
        worker = Worker(process)
        self.workers.append(worker)
        return worker

    def dispatch(self, spec, folder: Path, executor_id: str) -> int:
        """Hand one job to an idle worker (started if none is idle); returns the worker's pid."""
        self.collect()
        worker = next((w for w in self.workers if not w.busy), None) or self._start()
        worker.process.stdin.write(encode_request(spec, folder, executor_id))
        worker.process.stdin.flush()
        worker.busy = True
        worker.jobs += 1
        return worker.pid

    def collect(self) -> int:
        """Read what workers said; returns how many became idle. Dead workers are dropped."""
        freed = 0
        for worker in list(self.workers):
            try:
                chunk = worker.process.stdout.read() or b""
            except (BlockingIOError, ValueError):
                chunk = b""
            worker.buffer += chunk
            while b"\n" in worker.buffer:
                _, worker.buffer = worker.buffer.split(b"\n", 1)
                worker.busy = False
                freed += 1
            if worker.process.poll() is not None:
                self.workers.remove(worker)
        idle = [w for w in self.workers if not w.busy]
        for worker in idle[MAX_IDLE_WORKERS:]:
            self._stop(worker)
        return freed

    def wait(self, timeout: float) -> bool:
        """Sleep until a worker reports (True) or the timeout passes (False)."""
        fds = [w.process.stdout for w in self.workers if w.busy]
        if not fds:
            time.sleep(timeout)
            return False
        try:
            ready, _, _ = select.select(fds, [], [], timeout)
        except (OSError, ValueError):
            return False
        return bool(ready)

    def _stop(self, worker: Worker) -> None:
        """Closing its stdin ends a worker once it is idle; it never interrupts a job."""
        try:
            worker.process.stdin.close()
        except OSError:
            pass
        self.workers.remove(worker)

    def close(self) -> None:
        for worker in list(self.workers):
            self._stop(worker)
