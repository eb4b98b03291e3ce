"""Every process a job starts ends with the job, also the ones that daemonize.

A job's command runs in its own process group, and killing that group at the job's end (or on cancel)
used to be all: a child that called setsid() (a daemon, `nohup ... &` under setsid, a server a test
starts) left the group and outlived the job, and when its parent exited it was re-parented to init,
out of anyone's sight. A process that declares itself a *child subreaper* (Linux prctl
PR_SET_CHILD_SUBREAPER) adopts its orphaned descendants instead of init. The process running a job
(a local slot worker, a Slurm task's runner) does so, notes which children it already had, and once
the command has ended ends whatever else is still its child: the job's escaped descendants.

The agent does so too: when a slot worker is killed, the command it ran is re-parented to the agent,
which then sees its exit status (executors/local/orphans.py) and records the job's real end.

Not Linux, or prctl refused: `become_subreaper` returns False and only the process group is ended,
as before.
"""
from __future__ import annotations

import ctypes
import os
import signal
import time

import psutil

from snaptui.engine.procs import wait_for_exit

PR_SET_CHILD_SUBREAPER = 36
GRACE_S = 2.0

_is_subreaper = False


def become_subreaper() -> bool:
    """Adopt orphaned descendants from now on; False where the OS does not offer it."""
    global _is_subreaper
    if _is_subreaper:
        return True
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        _is_subreaper = libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
    except (OSError, AttributeError):
        _is_subreaper = False
    return _is_subreaper


def children() -> set[int]:
    """This process's children now (what a job must not end: the agent a CLI started, ...)."""
    try:
        return {child.pid for child in _children()}
    except psutil.Error:
        return set()


def _children() -> list[psutil.Process]:
    """This process's children, from the kernel's list of each of its threads' children: psutil's
    children() reads the stat file of every process on the machine (~20 ms twice a job on a busy host,
    more with more processes). psutil where the kernel does not keep those lists."""
    pids = _children_from_proc()
    if pids is None:
        return psutil.Process().children()
    found = []
    for pid in sorted(pids):
        try:
            found.append(psutil.Process(pid))
        except psutil.NoSuchProcess:
            pass
    return found


def _children_from_proc() -> set[int] | None:
    pids: set[int] = set()
    try:
        for tid in os.listdir("/proc/self/task"):
            try:
                with open(f"/proc/self/task/{tid}/children") as listing:
                    pids.update(int(pid) for pid in listing.read().split())
            except FileNotFoundError:
                if tid == str(os.getpid()):  # the main thread's list missing: the kernel keeps none
                    return None
    except OSError:
        return None
    return pids


def end_adopted(spared: set[int], grace_s: float = GRACE_S) -> list[int]:
    """End every descendant of this process except the children in `spared` and theirs: SIGTERM,
    then SIGKILL after `grace_s`, then reap them. Returns the pids that had to be ended."""
    try:
        found = [c for c in _children() if c.pid not in spared]
        targets = found + [d for c in found for d in _descendants(c)]
    except psutil.Error:
        return []
    targets = [p for p in targets if _running(p)]
    if not targets:
        _reap(found)
        return []
    for proc in targets:
        _signal(proc, signal.SIGTERM)
    _, alive = psutil.wait_procs(targets, timeout=grace_s)
    for proc in alive:
        _signal(proc, signal.SIGKILL)
    psutil.wait_procs(alive, timeout=grace_s)
    _reap(found)
    return [p.pid for p in targets]


def _descendants(proc: psutil.Process) -> list[psutil.Process]:
    try:
        return proc.children(recursive=True)
    except psutil.Error:
        return []


def _running(proc: psutil.Process) -> bool:
    try:
        return proc.is_running() and proc.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def _signal(proc: psutil.Process, signum: int) -> None:
    try:
        proc.send_signal(signum)
    except psutil.Error:
        pass


def _reap(procs: list[psutil.Process]) -> None:
    """Collect the exit of adopted children (else they stay zombies of this long-lived process)."""
    deadline = time.monotonic() + GRACE_S
    for proc in procs:
        wait_for_exit(proc.pid, max(0.0, deadline - time.monotonic()))
