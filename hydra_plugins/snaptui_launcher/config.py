"""Hydra configs of the snaptui launchers: ``hydra/launcher=snaptui_local`` and ``snaptui_slurm``.

Parameter names are those of Hydra's submitit launcher wherever the meaning is the same, so
``hydra/launcher=submitit_slurm`` -> ``hydra/launcher=snaptui_slurm`` is a one-word change.

Precedence, lowest first: snaptui's embedded defaults, the snaptui.toml profile (``profile``, or
the project's default profile when it uses the right executor, else the profile named ``local`` /
``slurm``), then every field set here. A field left at ``None`` takes the profile's value; with no
snaptui.toml the effective values equal Hydra's submitit launcher's defaults (timeout_min 60,
array_parallelism 256, max_num_timeout 0, tasks_per_node 1, nodes 1), with these deliberate
differences, all from snaptui's embedded ``slurm`` profile:
  * partition "debug", cpus_per_task 1, mem_gb 1 (Hydra leaves these to the cluster);
  * signal_delay_s: snaptui warns min(90 s, a quarter of the time limit) before the end instead of
    a fixed 120 s, which for short limits would arrive at once.
``submitit_folder`` and ``stderr_to_stdout`` are accepted so existing configs load, and ignored:
snaptui keeps every attempt's logs under ``<repo>/.submitit/<job id>/`` (``snaptui logs SWEEP/N``).
"""

from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional

from hydra.core.config_store import ConfigStore


@dataclass
class SnapshotConf:
    """The ``[snapshot]`` section of snaptui.toml; ``None`` keeps snaptui.toml's value."""

    enabled: Optional[bool] = None          # false: run the live repository (no snapshot)
    branch_prefix: Optional[str] = None     # snapshot branches are <prefix>/...
    symlink_paths: Optional[List[str]] = None  # default: outputs, multirun, .submitit
    push_to_remote: Optional[bool] = None
    remote: Optional[str] = None            # where push_to_remote pushes (default: origin)
    worktree_root: Optional[str] = None     # where snapshot worktrees go
    exclude: Optional[List[str]] = None     # gitignore-style patterns kept out of the snapshot
    max_untracked_mb: Optional[float] = None  # larger untracked files are linked, not committed
    max_total_mb: Optional[float] = None    # a snapshot copying more than this is refused


@dataclass
class SnaptuiBaseConf:
    # What snaptui adds.
    profile: Optional[str] = None           # a snaptui.toml profile to start from
    wait: bool = True                       # false: return right after submission (basic sweeper only)
    snapshot: SnapshotConf = field(default_factory=SnapshotConf)
    env: Dict[str, str] = field(default_factory=dict)  # extra environment variables for the jobs

    # Hydra's submitit launcher's names (see the module docstring for defaults).
    timeout_min: Optional[float] = None
    cpus_per_task: Optional[int] = None
    gpus_per_node: Optional[int] = None
    tasks_per_node: Optional[int] = None
    mem_gb: Optional[float] = None
    nodes: Optional[int] = None
    name: Optional[str] = None              # the Slurm job name (snaptui's default: snaptui-<app name>)
    submitit_folder: Optional[str] = None   # accepted for compatibility; ignored
    stderr_to_stdout: bool = False          # accepted for compatibility; ignored


@dataclass
class SnaptuiLocalConf(SnaptuiBaseConf):
    _target_: str = "hydra_plugins.snaptui_launcher.launcher.SnaptuiLocalLauncher"
    # How many jobs run at once (the profile's max_parallel_jobs; snaptui's default is 4).
    # submitit's local executor has no cap; snaptui's agent enforces this one.
    max_parallel_jobs: Optional[int] = None


@dataclass
class SnaptuiSlurmConf(SnaptuiBaseConf):
    _target_: str = "hydra_plugins.snaptui_launcher.launcher.SnaptuiSlurmLauncher"
    partition: Optional[str] = None
    qos: Optional[str] = None
    comment: Optional[str] = None
    constraint: Optional[str] = None
    exclude: Optional[str] = None
    gres: Optional[str] = None
    cpus_per_gpu: Optional[int] = None
    gpus_per_task: Optional[int] = None
    mem_per_gpu: Optional[str] = None
    mem_per_cpu: Optional[str] = None
    account: Optional[str] = None
    signal_delay_s: Optional[int] = None
    max_num_timeout: Optional[int] = None
    additional_parameters: Dict[str, Any] = field(default_factory=dict)
    array_parallelism: Optional[int] = None
    setup: Optional[List[str]] = None
    srun_args: Optional[List[str]] = None


ConfigStore.instance().store(group="hydra/launcher", name="snaptui_local", node=SnaptuiLocalConf,
                             provider="snaptui_launcher")
ConfigStore.instance().store(group="hydra/launcher", name="snaptui_slurm", node=SnaptuiSlurmConf,
                             provider="snaptui_launcher")
