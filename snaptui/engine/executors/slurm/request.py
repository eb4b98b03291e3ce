"""Whether the cluster can take what a Slurm profile asks for, checked before the snapshot (and by --dry-run),
and sbatch's own refusals turned into one line naming the setting.

The partition (sinfo), the QOS and account (sacctmgr) and what a partition's nodes hold (CPUs, memory, GPUs,
nodes, time limit) are read in one go; a question the cluster does not answer (sacctmgr restricted, sinfo
missing) is not asked. A request that cannot fit is refused with exit 2 before anything is written: sbatch
would refuse some of it, and would queue the rest (more CPUs per task than a node has: PartitionConfig)
where it could never start.
"""
from __future__ import annotations

import getpass
import re
from dataclasses import dataclass
from typing import Any, Mapping

from snaptui.engine.errors import ConfigError
from .limits import _run_together
from .settings import SlurmProfile


@dataclass(frozen=True)
class Partition:
    name: str
    default: bool
    up: bool
    cpus: int           # CPUs of its largest node
    mem_mb: int         # memory of its largest node
    gpus: int           # GPUs of its largest node
    nodes: int
    max_time_min: float | None   # None: no limit


@dataclass(frozen=True)
class ClusterOffer:
    """What the cluster offers this user; None where it did not say."""
    partitions: dict[str, Partition] | None
    qos: dict[str, float | None] | None      # QOS name -> its MaxWall in minutes (None: none)
    accounts: set[str] | None                # the user's accounts (their associations)


SINFO = ["sinfo", "-h", "-o", "%P|%c|%m|%G|%l|%D|%a"]


def read_offer() -> ClusterOffer:
    user = getpass.getuser()
    sinfo, qos, assoc = _run_together([
        SINFO, ["sacctmgr", "-n", "-P", "show", "qos", "format=Name,MaxWall"],
        ["sacctmgr", "-n", "-P", "show", "assoc", f"user={user}", "format=Account"]])
    return parse_offer(sinfo, qos, assoc)


def parse_offer(sinfo: str, qos: str, assoc: str) -> ClusterOffer:
    partitions: dict[str, Partition] = {}
    for line in sinfo.splitlines():
        parts = line.split("|")
        if len(parts) < 7:
            continue
        name, cpus, mem, gres, limit, nodes, avail = parts[:7]
        default = name.endswith("*")
        name = name.rstrip("*")
        found = Partition(name, default, avail == "up", _number(cpus), _number(mem), _gpus(gres), _number(nodes),
                          _minutes(limit))
        known = partitions.get(name)
        if known is not None:   # nodes of several kinds: one line each
            found = Partition(name, default or known.default, known.up or found.up, max(known.cpus, found.cpus),
                              max(known.mem_mb, found.mem_mb), max(known.gpus, found.gpus),
                              known.nodes + found.nodes, found.max_time_min)
        partitions[name] = found
    qos_limits = {line.split("|")[0]: _minutes((line.split("|") + [""])[1] or "infinite")
                  for line in qos.splitlines() if line.split("|")[0]}
    accounts = {line.split("|")[0] for line in assoc.splitlines() if line.split("|")[0]}
    return ClusterOffer(partitions or None, qos_limits or None, accounts or None)


def _number(text: str) -> int:
    match = re.match(r"\d+", text.strip())
    return int(match.group()) if match else 0


def _gpus(gres: str) -> int:
    """'gpu:2', 'gpu:a100:4(S:0-1)', 'gpu:2,shard:8' -> the GPUs of a node."""
    total = 0
    for item in gres.split(","):
        fields = re.sub(r"\(.*\)", "", item).split(":")
        if fields[0] == "gpu" and fields[-1].isdigit():
            total += int(fields[-1])
    return total


def _minutes(text: str) -> float | None:
    """Slurm's time limits: 'infinite', 'UNLIMITED', 'MM', 'MM:SS', 'HH:MM:SS', 'D-HH[:MM[:SS]]'."""
    text = text.strip()
    if not text or text.lower() in ("infinite", "unlimited", "n/a"):
        return None
    days, _, rest = text.rpartition("-")
    parts = [int(p) for p in rest.split(":") if p.isdigit()]
    if len(parts) == 1:
        minutes = parts[0] * 60.0 if days else float(parts[0])
    elif len(parts) == 2:
        minutes = parts[0] * 60 + parts[1] if days else parts[0] + parts[1] / 60
    elif len(parts) == 3:
        minutes = parts[0] * 60 + parts[1] + parts[2] / 60
    else:
        return None
    return minutes + (int(days) * 1440 if days.isdigit() else 0)


def _mem_mb(text: str | None) -> float | None:
    """'2G', '500M', '1T', '2048' (MB) -> MB."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([KMGT]?)B?\s*", text or "", re.IGNORECASE)
    if not match:
        return None
    scale = {"K": 1 / 1024, "M": 1, "G": 1024, "T": 1024 * 1024, "": 1}[match.group(2).upper()]
    return float(match.group(1)) * scale


def problems(profile: SlurmProfile, offer: ClusterOffer) -> list[tuple[str, str]]:
    """(setting, what is wrong) for each part of the request the cluster cannot take."""
    found: list[tuple[str, str]] = []
    partitions = offer.partitions
    if partitions is not None:
        if profile.partition is not None:
            names = [p.strip() for p in profile.partition.split(",")]
            unknown = [n for n in names if n not in partitions]
            if unknown:
                return [("partition", f"no partition {unknown[0]!r} on this cluster "
                                      f"(partitions: {', '.join(sorted(partitions))})")]
            chosen = [partitions[n] for n in names]
        else:
            chosen = [p for p in partitions.values() if p.default][:1]
        for part in chosen[:1]:
            found += _fits(profile, part)
    if offer.qos is not None and profile.qos is not None:
        if profile.qos not in offer.qos:
            found.append(("qos", f"no QOS {profile.qos!r} on this cluster (QOS: {', '.join(sorted(offer.qos))})"))
        elif (wall := offer.qos[profile.qos]) is not None and profile.timeout_min > wall:
            found.append(("timeout_min", f"{profile.timeout_min:g} min is over QOS {profile.qos}'s MaxWall of "
                                         f"{wall:g} min"))
    if offer.accounts is not None and profile.account is not None and profile.account not in offer.accounts:
        found.append(("account", f"{getpass.getuser()} has no account {profile.account!r} "
                                 f"(accounts: {', '.join(sorted(offer.accounts))})"))
    return found


def _fits(profile: SlurmProfile, part: Partition) -> list[tuple[str, str]]:
    found = []
    where = f"the nodes of partition {part.name}"
    tasks = profile.tasks_per_node or 1
    cpus = (profile.cpus_per_task or 1) * tasks
    if part.cpus and cpus > part.cpus:
        key = "cpus_per_task" if profile.cpus_per_task else "tasks_per_node"
        found.append((key, f"{cpus} CPUs per node asked, but {where} have at most {part.cpus}"))
    mem = profile.mem_gb * 1024 if profile.mem_gb is not None else None
    key = "mem_gb"
    if mem is None and profile.mem_per_cpu is not None and (per := _mem_mb(profile.mem_per_cpu)) is not None:
        mem, key = per * cpus, "mem_per_cpu"
    if part.mem_mb and mem is not None and mem > part.mem_mb:
        found.append((key, f"{mem / 1024:.3g} GB per node asked, but {where} have at most "
                           f"{part.mem_mb / 1024:.3g} GB"))
    gpus = profile.gpus_per_node or (profile.gpus_per_task or 0) * tasks or _gpus(profile.gres or "")
    if gpus and gpus > part.gpus:
        key = "gpus_per_node" if profile.gpus_per_node else "gpus_per_task" if profile.gpus_per_task else "gres"
        found.append((key, f"{gpus} GPUs per node asked, but {where} have " + (f"at most {part.gpus}" if part.gpus
                                                                              else "none")))
    if profile.nodes and part.nodes and profile.nodes > part.nodes:
        found.append(("nodes", f"{profile.nodes} nodes asked, but partition {part.name} has {part.nodes}"))
    if part.max_time_min is not None and profile.timeout_min > part.max_time_min:
        found.append(("timeout_min", f"{profile.timeout_min:g} min is over partition {part.name}'s time limit "
                                     f"of {part.max_time_min:g} min"))
    if not part.up:
        found.append(("partition", f"partition {part.name} is not up: jobs would wait until an admin brings it up"))
    return found


def check(profile: SlurmProfile, sources: Mapping[str, str], offer: ClusterOffer | None = None) -> None:
    """Refuse (ConfigError, exit 2) a request the cluster cannot take, naming the setting and where it was set."""
    found = problems(profile, offer if offer is not None else read_offer())
    if found:
        key, message = found[0]
        raise ConfigError.single(sources.get(key) if sources.get(key, "default") != "default" else None,
                                 key, message, hint=HINTS.get(key))


HINTS = {
    "partition": "sinfo lists the partitions; set partition in the profile or --set partition=NAME",
    "qos": "sacctmgr show qos lists them",
    "account": "sacctmgr show assoc user=$USER lists yours",
    "timeout_min": "ask for less time, or another partition or QOS",
}

# sbatch's refusals (its last "error:" line) -> the setting behind them
SBATCH_REFUSALS = [
    ("Invalid partition name", "partition"),
    ("invalid partition", "partition"),
    ("Invalid qos", "qos"),
    ("Invalid account", "account"),
    ("Memory specification can not be satisfied", "mem_gb"),
    ("Requested node configuration is not available", "cpus_per_task, mem_gb or gpus_per_node"),
    ("Requested time limit is invalid", "timeout_min"),
    ("Job violates accounting/QOS policy", "qos, account or timeout_min"),
    ("Invalid generic resource", "gres"),
    ("Invalid feature specification", "constraint"),
    ("Node count specification invalid", "nodes"),
]


def refusal(message: str, profile: SlurmProfile) -> ConfigError:
    """sbatch's refusal as one line naming the setting: `partition: sbatch refused it: Invalid partition
    name specified (partition = "nosuch")`."""
    lines = [line.strip() for line in message.splitlines() if line.strip()]
    said = next((line for line in reversed(lines) if "error:" in line), lines[-1] if lines else "no message")
    said = said.split("error:", 1)[-1].strip().removeprefix("Batch job submission failed:").strip()
    everything = " ".join(lines)
    key = next((key for pattern, key in SBATCH_REFUSALS if pattern.lower() in everything.lower()), "the request")
    if "Memory specification" in everything and profile.mem_gb is None and profile.mem_per_cpu is not None:
        key = "mem_per_cpu"
    values = _values(profile, key)
    return ConfigError.single(None, key, f"sbatch refused the jobs: {said}" + (f" ({values})" if values else ""))


def _values(profile: SlurmProfile, keys: str) -> str:
    shown = []
    for key in re.split(r",\s*|\s+or\s+", keys):
        value: Any = getattr(profile, key, None)
        if value not in (None, (), {}):
            shown.append(f"{key} = {value!r}")
    return ", ".join(shown)
