"""`snaptui ARGS` run in this process as the CLI runs it, with the time of each phase's edges (bench/dispatch.py).

The functions a `--batch` launch passes through are wrapped to note when they are entered and left; the store
adds when the job started, ended and had its end recorded. The times (time.time(), the store's clock) go as
JSON to $SNAPTUI_BENCH_MARKS. The modules wrapped are imported first: their import counts as start-up.
"""
from __future__ import annotations

import json
import os
import sys
import time
from typing import Any, Callable

marks: dict[str, float] = {"python up": time.time()}

from snaptui.cli import batch as batch_cli  # noqa: E402
from snaptui.cli.main import main as cli_main  # noqa: E402
from snaptui.engine import agent  # noqa: E402
from snaptui.engine.api import Engine  # noqa: E402
from snaptui.engine.snapshot import snapshots  # noqa: E402

marks["imported"] = time.time()
launched: list[Any] = []


def timed(owner: Any, name: str, label: str, keep: Callable[[Any], None] | None = None) -> None:
    inner = getattr(owner, name)

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        marks.setdefault(f"{label} <", time.time())
        try:
            out = inner(*args, **kwargs)
            if keep:
                keep((args, out))
            return out
        finally:
            marks[f"{label} >"] = time.time()

    setattr(owner, name, wrapper)


timed(Engine, "discover", "discover")
timed(Engine, "plan", "plan")
timed(Engine, "launch", "launch", launched.append)
timed(snapshots, "take_snapshot", "snapshot")
timed(agent, "ensure_agent", "ensure agent")
timed(batch_cli, "wait_for", "wait")
try:
    code = cli_main()   # as the `snaptui` program: sys.argv
finally:
    marks["main returned"] = time.time()
if launched:
    (engine, *_), sweep = launched[0]
    jobs = engine.jobs(sweep.id)
    marks["job started"] = min(j.attempt.started_at or 0 for j in jobs)
    marks["job ended"] = max(j.attempt.ended_at or 0 for j in jobs)
    marks["end recorded"] = max(e.at for e in engine.events_since(0, sweep.id) if e.new_state.is_final)
with open(os.environ["SNAPTUI_BENCH_MARKS"], "w") as out:
    json.dump(marks, out)
sys.exit(code)
