"""Which queued local jobs start now, and with which GPUs.

Three limits hold at once: each sweep's `max_parallel_jobs`; `[local] max_jobs` for all local
sweeps of the repository together (default: the CPU count), so three sweeps on a 2-core machine
do not run six jobs; and for jobs with `gpus_per_node = N`, N devices of the sweep's GPU list
that no running job holds (the "8 GPUs, 8 jobs" workstation). The devices a job holds are
recorded with its attempt (`proc["gpus"]`), so a restarted agent never hands them out twice.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Mapping

import msgspec

from snaptui.engine.config.model import LocalHostSettings
from snaptui.engine.config.settings import stored_config
from snaptui.engine.errors import ConfigError
from snaptui.engine.models import Attempt, Sweep

@dataclass
class Start:
    sweep: Sweep
    attempt: Attempt
    gpus: list[str] | None  # None: the job asked for none


def host_cap(sweeps: list[Sweep]) -> int:
    """[local] max_jobs of the newest sweep (its snaptui.toml is the freshest), else the CPU count."""
    for sweep in sorted(sweeps, key=lambda s: s.id, reverse=True):
        value = stored_config(sweep.config).local.max_jobs
        if value:
            return value
    return os.cpu_count() or 1


def gpus_per_job(sweep: Sweep) -> int:
    return getattr(stored_config(sweep.config).profile, "gpus_per_node", None) or 0


def plan_starts(started: list[Attempt], queued_sweeps: list[int], sweep_of: Callable[[int], Sweep],
                queued_of: Callable[[int, int], list[Attempt]]) -> list[Start]:
    """The queued attempts to start now, oldest sweep first, beside the `started` ones (claimed or
    running). `sweep_of(id)` gives a sweep, `queued_of(id, n)` its next n queued attempts: only as many
    are read as there is room for, however long the queue."""
    sweeps = {sweep_id: sweep_of(sweep_id) for sweep_id in {a.sweep_id for a in started} | set(queued_sweeps)}
    free_total = host_cap(list(sweeps.values())) - len(started)
    held = {gpu for a in started for gpu in (a.proc or {}).get("gpus") or ()}
    starts: list[Start] = []
    for sweep_id in sorted(queued_sweeps):
        if free_total <= 0:
            break
        sweep = sweeps[sweep_id]
        config = stored_config(sweep.config)
        running = sum(1 for a in started if a.sweep_id == sweep_id)
        free = min((config.profile.parallelism() or 1) - running, free_total)
        if free <= 0:
            continue
        need = gpus_per_job(sweep)
        pool = list(config.local.gpus or ())
        for attempt in queued_of(sweep_id, free):
            gpus = None
            if need:
                available = [g for g in pool if g not in held]
                if len(available) < need:
                    break
                gpus = available[:need]
                held.update(gpus)
            starts.append(Start(sweep, attempt, gpus))
            free_total -= 1
    return starts


def gpu_binding(gpus: list[str]) -> dict[str, str]:
    devices = ",".join(gpus)
    return {"CUDA_VISIBLE_DEVICES": devices, "GPU_DEVICE_ORDINAL": devices}


def visible_gpus(configured: list[str] | None, environ: Mapping[str, str], dev: Path = Path("/dev")) -> list[str]:
    """The machine's GPUs as the launch sees them: [local] gpus, else $CUDA_VISIBLE_DEVICES (set but
    empty means none, as for CUDA), else the NVIDIA device nodes present."""
    if configured is not None:
        return [str(g) for g in configured]
    if "CUDA_VISIBLE_DEVICES" in environ:
        return [g.strip() for g in environ["CUDA_VISIBLE_DEVICES"].split(",") if g.strip()]
    found = [int(m.group(1)) for p in dev.glob("nvidia*") if (m := re.fullmatch(r"nvidia(\d+)", p.name))]
    return [str(i) for i in sorted(found)]


def resolve_local_gpus(local: LocalHostSettings, need: int, environ: Mapping[str, str], file: Path | str | None,
                       key: str
                       ) -> LocalHostSettings:
    """The [local] table a local launch records, with its GPU list fixed at launch time. A request
    for more GPUs than the machine shows is bad input: nothing is launched."""
    if not need:
        return local
    pool = visible_gpus(list(local.gpus) if local.gpus is not None else None, environ)
    if len(pool) < need:
        have = f"only {len(pool)} ({', '.join(pool)})" if pool else "none"
        raise ConfigError.single(file, key, f"asks for {need} GPU{'s' if need > 1 else ''} per job;"
                                 f" this machine shows {have}",
                                 hint="list devices in snaptui.toml [local] gpus = [...] or set CUDA_VISIBLE_DEVICES")
    return msgspec.structs.replace(local, gpus=tuple(pool))
