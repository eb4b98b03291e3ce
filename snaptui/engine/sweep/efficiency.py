"""How well jobs used what they asked for, from their attempts' usage (the runner's measure, and on Slurm
sacct's): time of the limit, memory peak of the request, CPU efficiency, GPU utilisation; and one line of
advice for a sweep ("longest job 12 min of 60; peak memory 3.1 GB of 32; CPU 41% of 8 cores")."""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterable

if TYPE_CHECKING:
    from snaptui.engine.models import Attempt, Job


@dataclass(frozen=True)
class Efficiency:
    elapsed_s: float | None = None
    limit_s: float | None = None
    peak_mb: float | None = None
    mem_req_mb: float | None = None
    cpu_pct: float | None = None      # CPU time over elapsed x CPUs asked
    cpus: int = 1
    gpu_pct: float | None = None

    @property
    def time_pct(self) -> float | None:
        return 100 * self.elapsed_s / self.limit_s if self.elapsed_s is not None and self.limit_s else None

    @property
    def mem_pct(self) -> float | None:
        return 100 * self.peak_mb / self.mem_req_mb if self.peak_mb is not None and self.mem_req_mb else None


def efficiency(attempt: Attempt) -> Efficiency | None:
    """What one attempt used of what it asked for; None before it reported any usage."""
    usage = attempt.usage or {}
    if not usage:
        return None
    elapsed, cpu, cpus = usage.get("elapsed_s"), usage.get("cpu_s"), usage.get("cpus") or 1
    cpu_pct = 100 * cpu / (elapsed * cpus) if cpu is not None and elapsed else None
    return Efficiency(elapsed, usage.get("limit_s"), usage.get("peak_rss_mb") or None, usage.get("mem_req_mb"),
                      cpu_pct, cpus, usage.get("gpu_util_pct"))


def _minutes(seconds: float) -> str:
    minutes = seconds / 60
    return f"{minutes:.0f} min" if minutes >= 10 else f"{minutes:.1f} min" if minutes >= 1 else f"{seconds:.0f} s"


def _gb(mb: float) -> str:
    gb = mb / 1024
    return f"{gb:.1f} GB" if gb >= 0.95 else f"{mb:.0f} MB"


def advice(jobs: Iterable[Job]) -> str:
    """One line for a sweep: its longest job against its limit, the memory peak against the request, the
    CPU efficiency of all (weighted by time) and GPU utilisation; and what to ask for next time when most
    of a request went unused. '' when no job has reported usage."""
    measured = [(elapsed, e) for job in jobs
                if (e := efficiency(job.attempt)) is not None and (elapsed := e.elapsed_s)]
    if not measured:
        return ""
    parts: list[str] = []
    hints: list[str] = []
    longest = max(elapsed for elapsed, _ in measured)
    limit = max((e.limit_s for _, e in measured if e.limit_s), default=None)
    parts.append(f"longest job {_minutes(longest)}" + (f" of {limit / 60:g}" if limit else ""))
    if limit and longest < limit / 4:
        hints.append(f"timeout_min={max(1, math.ceil(longest * 2 / 60))}")
    peaks = [e.peak_mb for _, e in measured if e.peak_mb]
    if peaks:
        asked = max((e.mem_req_mb for _, e in measured if e.mem_req_mb), default=None)
        parts.append(f"peak memory {_gb(max(peaks))}" + (f" of {asked / 1024:g}" if asked else ""))
        if asked and max(peaks) < asked / 4:
            hints.append(f"mem_gb={max(0.25, math.ceil(max(peaks) * 1.25 / 1024 * 4) / 4):g}")
    with_cpu = [(pct, elapsed, e.cpus) for elapsed, e in measured if (pct := e.cpu_pct) is not None]
    if with_cpu:
        busy = sum(pct * elapsed * cpus for pct, elapsed, cpus in with_cpu)
        capacity = sum(elapsed * cpus for _, elapsed, cpus in with_cpu)
        cpus = max(cpus for _, _, cpus in with_cpu)
        pct = busy / capacity
        parts.append(f"CPU {pct:.0f}% of {cpus} core{'s' if cpus != 1 else ''}")
        if cpus > 1 and pct < 100 / cpus:
            hints.append("cpus_per_task=1")
    gpus = [e.gpu_pct for _, e in measured if e.gpu_pct is not None]
    if gpus:
        parts.append(f"GPU {sum(gpus) / len(gpus):.0f}% busy")
    line = "; ".join(parts)
    return line + (f" (ask for less: {', '.join(hints)})" if hints else "")
