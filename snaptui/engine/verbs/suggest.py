"""What to resubmit failed jobs with, from why they ended: the pre-filled fields of the TUI's resubmit dialog."""
from __future__ import annotations

import math
from typing import Any

from snaptui.engine.config.settings import attempt_config
from snaptui.engine.errors import SnaptuiError
from snaptui.engine.models import Job
from snaptui.engine.states import Cause
from snaptui.engine.store.store import Store

MEMORY_HEADROOM = 1.25   # the measured peak plus a quarter
RESOURCES = ("timeout_min", "mem_gb", "cpus_per_task", "gpus_per_node")


def current_resources(store: Store, job: Job) -> dict[str, float | None]:
    """The resources the job's latest attempt ran with, of those its profile has (None: not set)."""
    profile = attempt_config(_sweep_config(store, job.sweep_id), job.attempt.changes).profile
    return {key: getattr(profile, key) for key in RESOURCES
            if hasattr(profile, key) and key not in profile.FIXED_ON_RESUBMIT}


def suggestions(store: Store, jobs: list[Job]) -> dict[str, float]:
    """timeout_min: twice the longest limit that ran out; mem_gb: the largest measured peak + 25% of the jobs
    that ran out of memory (twice what they asked for when no peak was measured). Only what their causes call
    for; nothing for an exit code (the code must change, not the request)."""
    found: dict[str, float] = {}
    configs: dict[int, dict[str, Any]] = {}
    for job in jobs:
        attempt = job.attempt
        if attempt.cause not in (Cause.TIMEOUT.value, Cause.OUT_OF_MEMORY.value):
            continue
        if job.sweep_id not in configs:
            configs[job.sweep_id] = _sweep_config(store, job.sweep_id)
        profile = attempt_config(configs[job.sweep_id], attempt.changes).profile
        if attempt.cause == Cause.TIMEOUT.value:
            wanted: float = math.ceil(profile.timeout_min * 2)
            found["timeout_min"] = max(found.get("timeout_min", 0), wanted)
        else:
            peak_mb = (attempt.usage or {}).get("peak_rss_mb")
            asked: float | None = getattr(profile, "mem_gb", None)   # a Slurm profile's
            if peak_mb:
                wanted = math.ceil(peak_mb * MEMORY_HEADROOM / 1024 * 4) / 4   # quarter GB steps
            elif asked:
                wanted = asked * 2
            else:
                continue
            found["mem_gb"] = max(found.get("mem_gb", 0), wanted)
    return found


def _sweep_config(store: Store, sweep_id: int) -> dict[str, Any]:
    sweep = store.sweep(sweep_id)
    if sweep is None:   # removed since its jobs were read
        raise SnaptuiError(f"no sweep {sweep_id}: it was removed")
    return sweep.config
