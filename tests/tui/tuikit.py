"""Helpers for the TUI tests: real sweeps on the conftest repos, waiting inside a pilot, screen text."""
from __future__ import annotations

import time
from pathlib import Path

from tests.conftest import write_sweep

TICKER = '''\
import sys, time
n = int(sys.argv[1].split("=", 1)[1]) if len(sys.argv) > 1 else 50
for i in range(n):
    print(f"tick {i}", flush=True)
    time.sleep(0.05)
print("needle in the haystack", flush=True)
time.sleep(30)
'''


def launch(engine, repo: Path, text: str, name: str = "sweep.toml"):
    """Plan and launch a sweep file (no snapshot: runs in the repository itself)."""
    path = write_sweep(repo, text, name)
    return engine.launch(engine.plan(path, no_snapshot=True))


def screen_text(app) -> str:
    """What the terminal shows now, as plain text."""
    strips = app.screen._compositor.render_strips()
    return "\n".join("".join(segment.text for segment in strip) for strip in strips)


async def until(pilot, predicate, timeout: float = 30.0, message: str = "condition", step: float = 0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        await pilot.pause(step)
    raise AssertionError(f"timed out after {timeout}s waiting for {message}\n--- screen ---\n"
                         f"{screen_text(pilot.app)}")


async def until_text(pilot, needle: str, timeout: float = 30.0):
    return await until(pilot, lambda: needle in screen_text(pilot.app), timeout, f"{needle!r} on screen")


def make_app(engine, **kwargs):
    from snaptui.app import SnaptuiApp

    kwargs.setdefault("poll_interval", 0.2)
    return SnaptuiApp(engine, **kwargs)
