"""Fault injection for the fault suite: die at a named step, as SIGKILL would make a process die.

Only active when SNAPTUI_FAULT_KILL_AT names the step; a real scheduler or a real
kill cannot hit these instants reliably, which is why the hook exists.
"""
from __future__ import annotations

import os
import signal

ENV = "SNAPTUI_FAULT_KILL_AT"


def point(name: str) -> None:
    if os.environ.get(ENV) == name:
        os.kill(os.getpid(), signal.SIGKILL)
