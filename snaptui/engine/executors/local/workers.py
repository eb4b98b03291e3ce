"""The agent's pool of long-lived local workers (jobside/slot_worker.py): the dispatch mechanism.

Which attempt starts when (caps, GPU slots) is the executor's policy; this module only
hands a chosen attempt to an idle worker, starting one when none is idle, and tells the
agent the moment a worker finishes (`wait`), so the next job starts at once.
"""
from __future__ import annotations

import json
import os
import select
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, IO

from snaptui.engine.jobside.runspec import RunSpec
from snaptui.engine.procs import identity
from snaptui.engine.jobside.slot_worker import encode_request
from snaptui.engine.jobside.subreaper import become_subreaper

MAX_IDLE_WORKERS = 16
MAX_LAST_WORDS = 4096


@dataclass
class Worker:
    process: subprocess.Popen[Any]
    busy: bool = False
    jobs: int = 0
    buffer: bytes = field(default=b"")
    running: str | None = None  # the executor id of the job it runs
    identity: dict[str, Any] | None = None  # its pid and start time, read once, not from /proc for every job
    retiring: bool = False  # it said it takes no other job (a warm slot whose preload changed): it exits

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def stdin(self) -> IO[bytes]:
        assert self.process.stdin is not None   # started with stdin=PIPE
        return self.process.stdin

    @property
    def stdout(self) -> IO[bytes]:
        assert self.process.stdout is not None   # started with stdout=PIPE
        return self.process.stdout


def parse_done(line: bytes) -> dict[str, Any] | None:
    """A worker's `done {...}` line: the job's end as its runner saw it (None from an older worker)."""
    try:
        outcome = json.loads(line.split(b" ", 1)[1])
    except (IndexError, ValueError):
        return None
    return outcome if isinstance(outcome, dict) else None


class WorkerPool:
    def __init__(self, log_path: Path | None = None) -> None:
        self.workers: list[Worker] = []
        self.log_path = log_path
        self.last_words: dict[str, dict[str, Any]] = {}  # executor id -> the job's end, as its worker reported it
        self.lost: list[str] = []  # executor ids of jobs whose worker died while running them
        become_subreaper()  # a killed worker's command is re-parented to us, so its end is still seen

    def _start(self) -> Worker:
        log: IO[bytes] | int = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL
        try:
            process = subprocess.Popen([sys.executable, "-m", "snaptui.engine.jobside.slot_worker"],
                                       stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log,
                                       start_new_session=True, close_fds=True)
        finally:
            if not isinstance(log, int):
                log.close()
        worker = Worker(process)
        os.set_blocking(worker.stdout.fileno(), False)
        self.workers.append(worker)
        return worker

    def dispatch(self, spec: RunSpec, folder: Path, executor_id: str) -> dict[str, Any]:
        """Hand one job to an idle worker (started if none is idle); returns the worker's identity (pid, start
        time: what tells it from a later process with its pid)."""
        self.collect()
        worker = next((w for w in self.workers if not w.busy), None) or self._start()
        worker.stdin.write(encode_request(spec, folder, executor_id))
        worker.stdin.flush()
        worker.busy = True
        worker.running = executor_id
        worker.jobs += 1
        if worker.identity is None:
            worker.identity = identity(worker.pid) or {"pid": worker.pid}
        return dict(worker.identity)

    def collect(self) -> int:
        """Read what workers said; returns how many became idle. Dead workers are dropped."""
        freed = 0
        for worker in list(self.workers):
            try:
                chunk = worker.stdout.read() or b""
            except (BlockingIOError, ValueError):
                chunk = b""
            worker.buffer += chunk
            while b"\n" in worker.buffer:
                line, worker.buffer = worker.buffer.split(b"\n", 1)
                outcome = parse_done(line)
                if outcome and outcome.get("retire"):
                    worker.retiring = True
                if outcome and worker.running:
                    self.last_words[worker.running] = outcome
                    while len(self.last_words) > MAX_LAST_WORDS:  # most are never needed (the manifest said it)
                        del self.last_words[next(iter(self.last_words))]
                worker.busy, worker.running = False, None
                freed += 1
            if worker.retiring and not worker.busy:
                self._stop(worker)   # never handed another job; the next dispatch starts a new worker
                continue
            if worker.process.poll() is not None:
                if worker.busy and worker.running:
                    self.lost.append(worker.running)
                self.workers.remove(worker)
        idle = [w for w in self.workers if not w.busy]
        for worker in idle[MAX_IDLE_WORKERS:]:
            self._stop(worker)
        return freed

    def wait(self, timeout: float, also: tuple[int, ...] = ()) -> bool:
        """Sleep until a worker reports (True), a descriptor of `also` is readable or the timeout passes."""
        if not also and not any(w.busy for w in self.workers):
            time.sleep(timeout)
            return False
        try:
            busy = [w.stdout.fileno() for w in self.workers if w.busy]
            ready, _, _ = select.select([*busy, *also], [], [], timeout)
        except (OSError, ValueError):
            return False
        return any(fd in busy for fd in ready)

    def _stop(self, worker: Worker) -> None:
        """Closing its stdin ends a worker once it is idle; it never interrupts a job."""
        try:
            worker.stdin.close()
        except OSError:
            pass
        self.workers.remove(worker)

    def close(self) -> None:
        for worker in list(self.workers):
            self._stop(worker)
