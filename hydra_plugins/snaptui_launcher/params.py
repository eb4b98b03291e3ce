"""Hydra launcher fields -> a snaptui profile and typed settings (what ``--set`` takes, as values)."""
from __future__ import annotations

import logging
import os
from typing import Any, Dict, List, Tuple

from omegaconf import DictConfig, ListConfig, OmegaConf
from snaptui.engine.models import Setting

log = logging.getLogger(__name__)

# Hydra launcher field -> snaptui profile key. Only fields that are set (not None) are applied.
COMMON_FIELDS = {"timeout_min": "timeout_min"}
LOCAL_FIELDS = {"max_parallel_jobs": "max_parallel_jobs"}
SLURM_FIELDS = {
    "cpus_per_task": "cpus_per_task", "gpus_per_node": "gpus_per_node", "tasks_per_node": "tasks_per_node",
    "mem_gb": "mem_gb", "nodes": "nodes", "name": "job_name", "partition": "partition", "qos": "qos",
    "comment": "comment", "constraint": "constraint", "exclude": "exclude", "gres": "gres",
    "cpus_per_gpu": "cpus_per_gpu", "gpus_per_task": "gpus_per_task", "mem_per_gpu": "mem_per_gpu",
    "mem_per_cpu": "mem_per_cpu", "account": "account", "signal_delay_s": "signal_delay_s",
    "max_num_timeout": "max_num_timeout", "additional_parameters": "additional_parameters",
    "array_parallelism": "array_parallelism", "setup": "setup", "srun_args": "srun_args",
}
# Accepted on snaptui_local for compatibility with submitit_local, but meaningless there.
LOCAL_IGNORED = ("cpus_per_task", "gpus_per_node", "tasks_per_node", "mem_gb", "nodes", "name")
SNAPSHOT_FIELDS = ("enabled", "branch_prefix", "symlink_paths", "push_to_remote", "remote", "worktree_root",
                   "exclude", "max_untracked_mb", "max_total_mb")


def plain(value: Any) -> Any:
    if isinstance(value, (DictConfig, ListConfig)):
        return OmegaConf.to_container(value, resolve=True)
    return value


def profile_and_sets(params: Dict[str, Any], kind: str, engine: Any) -> Tuple[str, List[Any]]:
    """The snaptui.toml profile to start from and the settings the launcher's fields make.

    ``profile`` if given (it must use this launcher's executor), else the first of $SNAPTUI_PROFILE,
    the project's default profile and the profile named like the executor that uses this executor,
    else the default profile switched over to this executor."""
    from snaptui.engine.errors import ConfigError

    profiles = engine.profiles

    def kind_of(name: str) -> str:
        return profiles.get(name, {}).get("executor", "local")

    profile = params.get("profile")
    if profile:
        if profile not in profiles:
            raise ConfigError.single("hydra.launcher.profile", profile, "no such profile in snaptui.toml",
                                     hint=f"profiles: {', '.join(sorted(profiles))}")
        if kind_of(profile) != kind:
            raise ConfigError.single("hydra.launcher.profile", profile,
                                     f"uses the {kind_of(profile)} executor, not {kind}",
                                     hint=f"use hydra/launcher=snaptui_{kind_of(profile)}")
    else:
        candidates = [os.environ.get("SNAPTUI_PROFILE"), engine.default_profile, kind]
        profile = next((p for p in candidates if p and p in profiles and kind_of(p) == kind), None)
        if profile is None:  # no profile of this kind: start from the default one, switched over
            profile = engine.default_profile
    sets = [Setting("executor", kind, "hydra/launcher")]
    fields = dict(COMMON_FIELDS, **(SLURM_FIELDS if kind == "slurm" else LOCAL_FIELDS))
    for field_name, key in fields.items():
        value = params.get(field_name)
        if value is None or value == {} or value == []:
            continue
        sets.append(Setting(key, value, f"hydra.launcher.{field_name}"))
    if kind == "local":
        ignored = [f for f in LOCAL_IGNORED if params.get(f) is not None]
        if ignored:
            log.warning(f"snaptui: {', '.join(ignored)} mean nothing to the local executor; ignored")
    snapshot = params.get("snapshot") or {}
    for field_name in SNAPSHOT_FIELDS:
        if snapshot.get(field_name) is not None:
            sets.append(Setting(f"snapshot.{field_name}", snapshot[field_name], f"hydra.launcher.snapshot.{field_name}"))
    return profile, sets

