"""The per-repository agent: one detached process that keeps jobs moving.

It starts queued local attempts as slots free up and polls every executor for the
state of active attempts, writing what it sees to the store. It runs in its own
session (closing a terminal or the TUI never reaches it) and exits once nothing is
active. Any snaptui process starts it when needed (`ensure_agent`) and nudges it
with `wake`.

Exactly one agent per repository: the agent records its PID and start time in
`agent.lock` (and holds an flock on it as a second guard), so liveness is probed by
reading the record, never by taking the lock (a probe that took the lock made an agent
starting at that instant give up). Starting an agent and an agent deciding to exit both
happen under a second lock, `agent.start`, so a caller either sees a live agent that
will still look at its work, or starts the next one and waits until it has recorded
itself.
"""
from __future__ import annotations

import fcntl
import json
import logging
import os
import select
import signal
import sqlite3
import stat
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Callable, Iterator

from .errors import StoreUnusable
from .procs import identity, is_alive, terminate
from .store.store import Store, state_dir

if TYPE_CHECKING:
    from .executors.base import Executor

LOCK_NAME = "agent.lock"
START_LOCK_NAME = "agent.start"
WAKE_NAME = "agent.wake"
BELL_NAME = "agent.bell"  # a FIFO the agent listens on: `wake` rings it, and the agent looks at once
LOG_NAME = "agent.log"
HEARTBEAT_NAME = "agent.heartbeat"  # touched every tick: its age says whether the agent still looks at jobs
# a tick (a slow scheduler's answer included) never takes this long
STALE_AFTER_S = float(os.environ.get("SNAPTUI_AGENT_STALE_S", "30"))
IDLE_EXIT_S = float(os.environ.get("SNAPTUI_AGENT_IDLE_S", "30"))
TICK_S = float(os.environ.get("SNAPTUI_AGENT_TICK_S", "0.2"))
START_TIMEOUT_S = 60.0

log = logging.getLogger("snaptui.agent")


def _lock_path(repo_root: Path) -> Path:
    return state_dir(repo_root) / LOCK_NAME


def agent_identity(repo_root: Path) -> dict[str, Any] | None:
    """The running agent's recorded PID and start time, or None when no agent runs."""
    try:
        record = json.loads(_lock_path(repo_root).read_text() or "null")
    except (OSError, ValueError):
        return None
    return record if isinstance(record, dict) and is_alive(record) else None


def agent_running(repo_root: Path) -> bool:
    return agent_identity(repo_root) is not None


@contextmanager
def _start_lock(repo_root: Path) -> Iterator[None]:
    """Serialises starting an agent with an agent deciding to exit."""
    directory = state_dir(repo_root)
    directory.mkdir(mode=0o700, exist_ok=True)
    with open(directory / START_LOCK_NAME, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def ensure_agent(repo_root: Path) -> None:
    """Leave exactly one agent running for the repository, started by us if none was."""
    repo_root = Path(repo_root)
    with _start_lock(repo_root):
        if agent_running(repo_root):
            wake(repo_root)
            return
        directory = state_dir(repo_root)
        read_end, write_end = os.pipe()
        try:
            with open(directory / LOG_NAME, "ab") as log_file:
                os.chmod(directory / LOG_NAME, 0o600)
                proc = subprocess.Popen(
                    [sys.executable, "-m", "snaptui.engine.agent", str(repo_root), "--ready-fd", str(write_end)],
                    stdin=subprocess.DEVNULL, stdout=log_file, stderr=log_file, pass_fds=(write_end,),
                    start_new_session=True, close_fds=True, cwd=str(repo_root),
                )
            os.close(write_end)
            write_end = -1
            # The agent writes one byte once its record is in place, or the pipe closes if it dies first.
            ready, _, _ = select.select([read_end], [], [], START_TIMEOUT_S)
            if ready:
                os.read(read_end, 1)
            else:
                log.error("the agent (pid %s) did not start within %.0f s", proc.pid, START_TIMEOUT_S)
        finally:
            os.close(read_end)
            if write_end >= 0:
                os.close(write_end)


def stop_agent(repo_root: Path, grace_s: float = 3.0) -> bool:
    """Stop the recorded agent (by PID and start time, never by name); True if one ran."""
    ident = agent_identity(Path(repo_root))
    if ident is None:
        return False
    terminate([(ident, False)], grace_s)
    return True


def heartbeat_age(repo_root: Path) -> float | None:
    """Seconds since the agent last finished a tick, or None if it never did."""
    try:
        return max(0.0, time.time() - (state_dir(repo_root) / HEARTBEAT_NAME).stat().st_mtime)
    except OSError:
        return None


def stale_agent(repo_root: Path) -> str | None:
    """Why the states shown may be out of date although an agent runs (stopped, stuck), or None."""
    ident = agent_identity(repo_root)
    age = heartbeat_age(repo_root)
    if ident is None or age is None or age < STALE_AFTER_S:
        return None
    return (f"the snaptui agent (pid {ident['pid']}) has not looked at jobs for {age:.0f} s (stopped or stuck?): "
            f"the states shown may be out of date")


def wake(repo_root: Path) -> None:
    """Ask the agent to poll now instead of waiting for its next interval: the wake file's new mtime
    says "poll the schedulers", the bell makes the agent look at once (a launch's first job started up
    to a tick, 0.2 s, after it was queued)."""
    path = state_dir(repo_root) / WAKE_NAME
    try:
        path.touch(mode=0o600)
        os.utime(path)
    except OSError:
        pass
    _ring(state_dir(repo_root) / BELL_NAME)


def _ring(bell: Path) -> None:
    try:
        fd = os.open(bell, os.O_WRONLY | os.O_NONBLOCK)
    except OSError:  # no agent listens (ENXIO), or none made a bell yet: it looks at its next tick
        return
    try:
        if stat.S_ISFIFO(os.fstat(fd).st_mode):
            os.write(fd, b"w")
    except OSError:  # full: the agent has a ring pending anyway
        pass
    finally:
        os.close(fd)


def open_bell(repo_root: Path) -> int | None:
    """The agent's end of its bell (made if missing), non-blocking; None where no FIFO can be had (the
    agent then looks at its tick, as before). Opened read-write, so it never reads an end-of-file."""
    path = state_dir(repo_root) / BELL_NAME
    try:
        os.mkfifo(path, 0o600)
    except FileExistsError:
        pass
    except OSError:
        return None
    try:
        fd = os.open(path, os.O_RDWR | os.O_NONBLOCK)
    except OSError:
        return None
    if not stat.S_ISFIFO(os.fstat(fd).st_mode):
        os.close(fd)
        return None
    return fd


class Agent:
    def __init__(self, repo_root: Path) -> None:
        self.repo_root = Path(repo_root)
        self.store = Store.for_repo(self.repo_root)
        self.executors: dict[str, Executor] = {}
        self.next_poll: dict[str, float] = {}
        self.wake_mtime = 0.0
        self.logged: dict[str, float] = {}
        self._heartbeat = state_dir(self.repo_root) / HEARTBEAT_NAME
        self.bell = open_bell(self.repo_root)

    def _executor(self, name: str) -> Executor:
        """Executors are made on first use: a repo with only local sweeps never imports Slurm code."""
        from .executors import executor_for

        if name not in self.executors:
            self.executors[name] = executor_for(name, self.store, self.repo_root)
            self.next_poll[name] = 0.0
        return self.executors[name]

    def _woken(self) -> bool:
        try:
            mtime = (state_dir(self.repo_root) / WAKE_NAME).stat().st_mtime
        except OSError:
            return False
        if mtime != self.wake_mtime:
            self.wake_mtime = mtime
            return True
        return False

    def tick(self) -> bool:
        """One round over every executor; True while anything is active. Raises StoreUnusable when the
        store was deleted, emptied or replaced: the agent stops rather than write into a ghost."""
        self.store.check_intact()
        woken = self._woken()
        # Started attempts (about as many as run) and the executors with queued ones: never the whole queue,
        # so a tick costs the same with 100,000 jobs waiting as with 10.
        by_executor: dict[str, list[Any]] = {}
        for attempt, executor_name in self.store.started_attempts_with_executor():
            by_executor.setdefault(executor_name, []).append(attempt)
        for _, executor_name in self.store.queued_sweeps():
            by_executor.setdefault(executor_name, [])
        canaries = self.store.canary_sweeps()   # held jobs wait for their canary's verdict (executors/canary.py)
        if canaries:
            from .executors.canary import watch_canaries
            self._guarded("watching canaries failed", watch_canaries, self.store, self._executor, canaries)
        for name, started in by_executor.items():
            executor = self._executor(name)
            submitted = [a for a in started if a.executor_id is not None]
            now = time.monotonic()
            self._guarded(f"quick poll of {name} failed", executor.quick_poll, submitted)
            if woken or now >= self.next_poll[name]:
                self._guarded(f"polling {name} failed", executor.poll, submitted)
                self.next_poll[name] = now + executor.poll_interval()
            self._guarded(f"starting queued {name} jobs failed", executor.dispatch_queued)
        return bool(by_executor or canaries)

    def _guarded(self, what: str, step: Callable[..., object], *args: object) -> None:
        """One step of a tick: its failure is logged (_log_failure) and the agent goes on with the next."""
        try:
            step(*args)
        except sqlite3.DatabaseError as exc:
            if not isinstance(exc, sqlite3.OperationalError):  # damaged, not busy or full: stop, never spin
                raise StoreUnusable(f"the store {self.store.path} is damaged ({exc})") from exc
            self._log_failure(what, exc)
        except Exception as exc:  # noqa: BLE001 - logged (once a minute when it repeats); the agent goes on
            self._log_failure(what, exc)

    def _log_failure(self, what: str, exc: Exception) -> None:
        """A failure that repeats every tick (a full disk) is logged once a minute, not 5 times a second."""
        key = f"{what}: {exc}"
        now = time.monotonic()
        if now - self.logged.get(key, -1e9) > 60:
            self.logged[key] = now
            log.error("%s", what, exc_info=exc)

    def run(self, lock_handle: IO[str]) -> None:
        self._beat()
        idle_since = None
        while True:
            try:
                busy = self.tick()
            except StoreUnusable as exc:
                log.error("stopping: %s (running jobs finish and record their ends in their job folders)", exc)
                return
            self._beat()
            if busy:
                idle_since = None
            else:
                idle_since = idle_since or time.monotonic()
                if time.monotonic() - idle_since >= IDLE_EXIT_S and self._release(lock_handle):
                    return
            self._sleep(TICK_S)

    def _beat(self) -> None:
        try:
            os.utime(self._heartbeat)
        except OSError:
            try:
                self._heartbeat.touch(mode=0o600)
            except OSError:
                pass

    def _sleep(self, seconds: float) -> None:
        """Wait for the next tick, or less: a ring of the bell (a launch, a cancel) and a local worker
        finishing a job wake the agent at once, so a job starts the moment it is queued or a slot frees."""
        bells = (self.bell,) if self.bell is not None else ()
        waker = next((e for e in self.executors.values() if e.wakes_agent), None)
        if waker is not None:
            waker.wait_for_event(seconds, also=bells)
        elif bells:
            select.select(bells, [], [], seconds)
        else:
            time.sleep(seconds)
        if self.bell is not None:
            try:
                while os.read(self.bell, 4096):  # rings while asleep are one: all were for this tick
                    pass
            except OSError:  # drained (EAGAIN)
                pass

    def _release(self, lock_handle: IO[str]) -> bool:
        """Exit only if, under the start lock, nothing is active: a caller that saw us alive relies on us."""
        with _start_lock(self.repo_root):
            if self.store.active_executors():
                return False
            lock_handle.seek(0)
            lock_handle.truncate()
            lock_handle.flush()
            fcntl.flock(lock_handle, fcntl.LOCK_UN)
            return True


def _signal_ready(ready_fd: int | None) -> None:
    if ready_fd is not None:
        try:
            os.write(ready_fd, b"1")
            os.close(ready_fd)
        except OSError:
            pass


def main(argv: list[str]) -> int:
    repo_root = Path(argv[0])
    ready_fd = int(argv[argv.index("--ready-fd") + 1]) if "--ready-fd" in argv else None
    os.umask(0o077)  # job folders and logs it creates are the user's alone; commands get theirs back
    logging.basicConfig(level=logging.INFO, format=f"%(asctime)s agent[{os.getpid()}] %(levelname)s %(message)s")
    handle = os.fdopen(os.open(_lock_path(repo_root), os.O_RDWR | os.O_CREAT, 0o600), "r+")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        _signal_ready(ready_fd)
        return 0  # another agent serves this repository
    handle.seek(0)
    handle.truncate()
    handle.write(json.dumps(identity(os.getpid())))
    handle.flush()
    _signal_ready(ready_fd)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    log.info("agent started for %s", repo_root)
    try:
        Agent(repo_root).run(handle)
    except StoreUnusable as exc:
        log.error("not starting: %s", exc)
    finally:
        log.info("agent exiting")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
