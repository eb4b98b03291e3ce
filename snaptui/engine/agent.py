"""The per-repository agent: one detached process that keeps jobs moving.

It starts queued local attempts as slots free up and polls every executor for the
state of active attempts, writing what it sees to the store. It runs in its own
session (closing a terminal or the TUI never reaches it), holds an flock so only
one runs per repository, and exits once nothing is active. Any snaptui process
starts it when needed (`ensure_agent`) and nudges it with `wake`.
"""
from __future__ import annotations

import fcntl
import logging
import os
import subprocess
import sys
import time
from pathlib import Path

from .store import Store, state_dir

LOCK_NAME = "agent.lock"
WAKE_NAME = "agent.wake"
LOG_NAME = "agent.log"
IDLE_EXIT_S = 30.0
TICK_S = 0.2

log = logging.getLogger("snaptui.agent")


def _lock_path(repo_root: Path) -> Path:
    return state_dir(repo_root) / LOCK_NAME


def agent_running(repo_root: Path) -> bool:
    path = _lock_path(repo_root)
    if not path.exists():
        return False
    with open(path, "a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(handle, fcntl.LOCK_UN)
        return False


def ensure_agent(repo_root: Path) -> None:
    """Start the agent unless one runs; a lost race is harmless (the loser exits at once)."""
    repo_root = Path(repo_root)
    if agent_running(repo_root):
        wake(repo_root)
        return
    directory = state_dir(repo_root)
    directory.mkdir(mode=0o700, exist_ok=True)
    log_file = open(directory / LOG_NAME, "ab")
    os.chmod(directory / LOG_NAME, 0o600)
    subprocess.Popen(
        [sys.executable, "-m", "snaptui.engine.agent", str(repo_root)],
        stdin=subprocess.DEVNULL, stdout=log_file, stderr=log_file,
        start_new_session=True, close_fds=True, cwd=str(repo_root),
    )
    log_file.close()


def wake(repo_root: Path) -> None:
    """Ask the agent to poll now instead of waiting for its next interval."""
    path = state_dir(repo_root) / WAKE_NAME
    try:
        path.touch(mode=0o600)
        os.utime(path)
    except OSError:
        pass


class Agent:
    def __init__(self, repo_root: Path):
        self.repo_root = Path(repo_root)
        self.store = Store.for_repo(self.repo_root)
        self.executors: dict = {}
        self.next_poll: dict[str, float] = {}
        self.wake_mtime = 0.0
        self.logged: dict[str, float] = {}

    def _executor(self, name: str):
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
        """One round over every executor; True while anything is active."""
        woken = self._woken()
        active_any = False
        by_executor: dict[str, list] = {}
        for attempt, executor_name in self.store.active_attempts_with_executor():
            by_executor.setdefault(executor_name, []).append(attempt)
        for name, active in by_executor.items():
            active_any = True
            executor = self._executor(name)
            now = time.monotonic()
            try:
                executor.quick_poll([a for a in active if a.executor_id is not None])
            except Exception as exc:
                self._log_failure(f"quick poll of {name} failed", exc)
            if woken or now >= self.next_poll[name]:
                try:
                    executor.poll([a for a in active if a.executor_id is not None])
                except Exception as exc:
                    self._log_failure(f"polling {name} failed", exc)
                self.next_poll[name] = now + executor.poll_interval()
            if executor.submits_from_agent:
                try:
                    executor.start_queued(self.store.active_attempts(executor=name))
                except Exception as exc:
                    self._log_failure(f"starting queued {name} jobs failed", exc)
        return active_any

    def _log_failure(self, what: str, exc: Exception) -> None:
        """A failure that repeats every tick (a full disk) is logged once a minute, not 5 times a second."""
        key = f"{what}: {exc}"
        now = time.monotonic()
        if now - self.logged.get(key, -1e9) > 60:
            self.logged[key] = now
            log.error("%s", what, exc_info=exc)

    def run(self, lock_handle) -> None:
        idle_since = None
        while True:
            if self.tick():
                idle_since = None
            else:
                idle_since = idle_since or time.monotonic()
                if time.monotonic() - idle_since > IDLE_EXIT_S and self._release(lock_handle):
                    return
            time.sleep(TICK_S)

    def _release(self, lock_handle) -> bool:
        """Drop the lock, then look once more: a launch that saw us running relies on us."""
        fcntl.flock(lock_handle, fcntl.LOCK_UN)
        if not self.store.active_attempts():
            return True
        try:
            fcntl.flock(lock_handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True  # a new agent took over
        return False


def main(argv: list[str]) -> int:
    repo_root = Path(argv[0])
    os.umask(0o077)  # job folders and logs it creates are the user's alone; commands get theirs back
    logging.basicConfig(level=logging.INFO, format=f"%(asctime)s agent[{os.getpid()}] %(levelname)s %(message)s")
    handle = open(_lock_path(repo_root), "a")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return 0  # another agent serves this repository
    log.info("agent started for %s", repo_root)
    try:
        Agent(repo_root).run(handle)
    finally:
        log.info("agent exiting: nothing active")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
