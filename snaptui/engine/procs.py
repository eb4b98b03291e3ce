"""Process identity that survives PID reuse: a PID only counts with its start time."""
from __future__ import annotations

import os
import select
import signal
import time
from contextlib import contextmanager
from typing import Any, Callable, Iterator

import psutil

def start_time(pid: int) -> float | None:
    """When the process started (psutil's create_time), or None if it is gone or not readable."""
    try:
        return psutil.Process(pid).create_time()
    except psutil.Error:
        return None


def identity(pid: int) -> dict[str, Any] | None:
    ctime = start_time(pid)
    return None if ctime is None else {"pid": pid, "ctime": ctime}


def is_alive(ident: dict[str, Any] | None) -> bool:
    """True only if the same process (same PID and start time) still runs and is not a zombie."""
    if not ident or not ident.get("pid"):
        return False
    try:
        proc = psutil.Process(ident["pid"])
        if ident.get("ctime") is not None and abs(proc.create_time() - ident["ctime"]) > 0.01:
            return False
        return proc.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def signal_process(ident: dict[str, Any] | None, signum: int, *, group: bool = False) -> bool:
    """Signal a process (or its group) only if it is still the one we recorded."""
    if ident is None or not is_alive(ident):
        return False
    try:
        if group:
            os.killpg(ident["pid"], signum)
        else:
            os.kill(ident["pid"], signum)
        return True
    except (ProcessLookupError, PermissionError):
        return False


def terminate(idents: list[tuple[dict[str, Any] | None, bool]], grace_s: float = 3.0) -> None:
    """SIGTERM each (process or group), then SIGKILL whatever is left after the grace period."""
    for ident, group in idents:
        signal_process(ident, signal.SIGTERM, group=group)
    deadline = time.monotonic() + grace_s
    while time.monotonic() < deadline and any(is_alive(i) for i, _ in idents):
        time.sleep(0.05)
    for ident, group in idents:
        signal_process(ident, signal.SIGKILL, group=group)


PRIVATE_UMASK = 0o077


def current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextmanager
def private_umask() -> Iterator[None]:
    """Files snaptui creates (worktrees, job folders, logs, manifests) are the user's alone;
    the job's own command runs with the user's usual umask again (see runner)."""
    old = os.umask(PRIVATE_UMASK)
    try:
        yield
    finally:
        os.umask(old)


FALLBACK_WAIT_S = 0.005   # without pidfds: the longest an exit_event wait sleeps, for its caller's own polling


@contextmanager
def exit_event(pid: int) -> Iterator[Callable[[float], object]]:
    """`wait(timeout)`: returns the moment process `pid` exits, or after `timeout` seconds (a pidfd, Linux
    5.3+). A loop of sleeps wakes up to a sleep late; every job of a sweep paid that once at its end.
    Without pidfds the wait sleeps a few milliseconds at most and the caller polls as before."""
    try:
        fd = os.pidfd_open(pid)
    except (AttributeError, OSError):
        yield lambda timeout: time.sleep(max(0.0, min(timeout, FALLBACK_WAIT_S)))
        return
    poller = select.poll()
    poller.register(fd, select.POLLIN)
    try:
        yield lambda timeout: poller.poll(timeout * 1000)
    finally:
        os.close(fd)


def wait_for_exit(pid: int, timeout: float) -> bool:
    """Reap the child `pid` within `timeout` seconds; True once it is gone (or not ours to wait for)."""
    deadline = time.monotonic() + timeout
    with exit_event(pid) as exited:
        while True:
            try:
                done, _ = os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                return True
            if done:
                return True
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            exited(left)
