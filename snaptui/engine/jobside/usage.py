"""What a job used, measured by its runner: the CPU time of its command's process tree, its peak memory (the
tree's resident set, sampled) and, where it has GPUs and nvidia-smi is there, how busy they were.

Slurm's accounting says the same from outside (sacct's TotalCPU, MaxRSS), but only on Slurm and, for memory,
from a sampler that may run every 30 s; this works for local jobs too and samples every SAMPLE_S.
"""
from __future__ import annotations

import os
import resource
import shutil
import subprocess
import threading
import time
from typing import Any, Mapping

SAMPLE_S = 1.0
NVIDIA_SMI_TIMEOUT_S = 5


class UsageSampler:
    """Samples the process tree of `pid` in a thread until `stop()`; `usage()` sums it up."""

    def __init__(self, pid: int, env: dict[str, str] | None = None, interval: float = SAMPLE_S):
        self.pid = pid
        self.interval = interval
        self.started = time.time()
        self.cpu_before = _children_cpu()
        self.peak_rss = 0
        self.samples = 0
        self.gpu_busy: list[float] = []
        self.gpu_mem_peak = 0.0
        self._gpus = _visible_gpus(env or {})
        self._nvidia_smi = shutil.which("nvidia-smi", path=(env or {}).get("PATH")) or "nvidia-smi"
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, name="snaptui-usage", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            import psutil
        except ImportError:
            return
        wait = min(0.2, self.interval)   # a first look soon: short jobs get one too
        while not self._done.wait(wait):
            wait = self.interval
            try:
                root = psutil.Process(self.pid)
                tree = [root, *root.children(recursive=True)]
            except psutil.Error:
                continue
            rss = 0
            for proc in tree:
                try:
                    rss += proc.memory_info().rss
                except psutil.Error:
                    pass
            self.peak_rss = max(self.peak_rss, rss)
            self.samples += 1
            if self._gpus:
                self._sample_gpus()

    def _sample_gpus(self) -> None:
        found = gpu_sample(self._gpus, self._nvidia_smi)
        if found is None:
            self._gpus = []   # no nvidia-smi answer: stop asking
            return
        busy, memory = found
        self.gpu_busy.append(busy)
        self.gpu_mem_peak = max(self.gpu_mem_peak, memory)

    def stop(self) -> dict[str, Any]:
        """Stop sampling (the command has been reaped) and return what it used."""
        self._done.set()
        self._thread.join(timeout=2)
        cpu = max(0.0, _children_cpu() - self.cpu_before)
        usage: dict[str, Any] = {"elapsed_s": round(time.time() - self.started, 3), "cpu_s": round(cpu, 3),
                                 "peak_rss_mb": round(self.peak_rss / 2 ** 20, 1), "samples": self.samples,
                                 "source": "runner"}
        if self.gpu_busy:
            usage["gpu_util_pct"] = round(sum(self.gpu_busy) / len(self.gpu_busy), 1)
            usage["gpu_mem_peak_mb"] = round(self.gpu_mem_peak, 1)
        return usage


def _children_cpu() -> float:
    """User + system CPU seconds of every child this process has reaped (and of their reaped children)."""
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def _visible_gpus(env: dict[str, str]) -> list[str]:
    """The job's GPUs, as CUDA_VISIBLE_DEVICES names them (indexes or UUIDs); none without nvidia-smi."""
    visible = env.get("CUDA_VISIBLE_DEVICES", "")
    names = [v.strip() for v in visible.split(",") if v.strip() and v.strip() != "-1"]
    return names if names and shutil.which("nvidia-smi", path=env.get("PATH")) else []


def gpu_sample(gpus: list[str], nvidia_smi: str = "nvidia-smi") -> tuple[float, float] | None:
    """(mean utilisation %, memory used MB summed) over these GPUs, from nvidia-smi (the one on the job's
    PATH); None when it cannot say."""
    try:
        out = subprocess.run([nvidia_smi, "--query-gpu=index,uuid,utilization.gpu,memory.used",
                              "--format=csv,noheader,nounits"], capture_output=True, text=True,
                             timeout=NVIDIA_SMI_TIMEOUT_S)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if out.returncode != 0:
        return None
    busy, memory = [], 0.0
    for line in out.stdout.splitlines():
        fields = [f.strip() for f in line.split(",")]
        if len(fields) < 4 or (fields[0] not in gpus and fields[1] not in gpus):
            continue
        try:
            busy.append(float(fields[2]))
            memory += float(fields[3])
        except ValueError:
            continue
    return (sum(busy) / len(busy), memory) if busy else None


def own_cpus(environ: Mapping[str, str] | None = None) -> int:
    """The CPUs this job may use: Slurm's allocation for the task, else this process's affinity."""
    env: Mapping[str, str] = os.environ if environ is None else environ
    for name in ("SLURM_CPUS_PER_TASK", "SLURM_CPUS_ON_NODE"):
        if env.get(name, "").isdigit():
            return int(env[name])
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1
