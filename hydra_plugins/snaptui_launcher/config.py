"""Hydra configs of the snaptui launchers: ``hydra/launcher=snaptui_local`` and ``snaptui_slurm``.

Their fields are made from snaptui's declared settings (a profile's keys for that executor, and the
``[snapshot]`` table): a setting added to snaptui is a launcher field too, with the same name, except
where Hydra's submitit launcher names it otherwise (``HYDRA_NAMES``), so ``hydra/launcher=submitit_slurm``
-> ``hydra/launcher=snaptui_slurm`` is a one-word change.

Precedence, lowest first: snaptui's defaults, the snaptui.toml profile (``profile``, or the project's
default profile when it uses the right executor, else the profile named ``local`` / ``slurm``), then every
field set here. A field left at ``None`` takes the profile's value; with no snaptui.toml the effective
values equal Hydra's submitit launcher's defaults (timeout_min 60, array_parallelism 256, max_num_timeout 0,
tasks_per_node 1, nodes 1), with these deliberate differences, all from snaptui's built-in ``slurm`` profile:
  * partition "debug", cpus_per_task 1, mem_gb 1 (Hydra leaves these to the cluster);
  * signal_delay_s: snaptui warns min(90 s, a quarter of the time limit) before the end instead of
    a fixed 120 s, which for short limits would arrive at once.
``submitit_folder`` and ``stderr_to_stdout`` are accepted so existing configs load, and ignored:
snaptui keeps every attempt's logs under ``<repo>/.submitit/<job id>/`` (``snaptui logs SWEEP/N``).
"""

from dataclasses import field, make_dataclass
from typing import Any, Dict, List, Optional, Tuple

from hydra.core.config_store import ConfigStore
from snaptui.engine.views import profile_settings, table_settings

# snaptui setting -> the name Hydra's submitit launcher gives it, per executor.
HYDRA_NAMES = {"local": {}, "slurm": {"job_name": "name", "max_parallel_jobs": "array_parallelism"}}
NOT_FIELDS = ("executor", "snapshot")   # chosen by the launcher / the ``snapshot`` group below
# submitit_local's fields that snaptui's local executor has no use for: accepted, warned about, ignored.
LOCAL_IGNORED = ("cpus_per_task", "tasks_per_node", "mem_gb", "nodes", "name")
_TYPES = {str: str, int: int, float: float, bool: bool}


def _hydra_type(setting: Any) -> Any:
    if setting.kinds == (list,):
        return Optional[List[_TYPES.get(setting.items, Any)]]
    if setting.kinds == (dict,):
        return Dict[str, _TYPES.get(setting.items, Any)]
    if len(setting.kinds) == 1 and setting.kinds[0] in _TYPES:
        return Optional[_TYPES[setting.kinds[0]]]
    return Any


def _fields(settings: Dict[str, Any], names: Dict[str, str]) -> List[Tuple[str, Any, Any]]:
    """One Hydra field per setting, defaulting to None (the profile's value) or an empty table."""
    made = []
    for name, setting in settings.items():
        if name in NOT_FIELDS:
            continue
        about = {"help": setting.help, "setting": name}
        default = field(default_factory=dict, metadata=about) if setting.kinds == (dict,) else \
            field(default=None, metadata=about)
        made.append((names.get(name, name), _hydra_type(setting), default))
    return made


def launcher_fields(executor: str) -> Dict[str, str]:
    """Hydra launcher field -> the snaptui setting it sets, for this executor."""
    names = HYDRA_NAMES[executor]
    return {names.get(name, name): name for name in profile_settings(executor) if name not in NOT_FIELDS}


SnapshotConf = make_dataclass("SnapshotConf", _fields(table_settings("snapshot"), {}))
SnapshotConf.__doc__ = "The ``[snapshot]`` table of snaptui.toml; ``None`` keeps snaptui.toml's value."

_BASE = [
    ("profile", Optional[str], field(default=None)),           # a snaptui.toml profile to start from
    ("wait", bool, field(default=True)),                        # false: return right after submission
    ("snapshot", SnapshotConf, field(default_factory=SnapshotConf)),
    ("submitit_folder", Optional[str], field(default=None)),   # accepted for compatibility; ignored
    ("stderr_to_stdout", bool, field(default=False)),           # accepted for compatibility; ignored
]
SnaptuiLocalConf = make_dataclass("SnaptuiLocalConf", [
    ("_target_", str, field(default="hydra_plugins.snaptui_launcher.launcher.SnaptuiLocalLauncher")),
    *_BASE,
    ("warm", bool, field(default=True)),  # jobs fork from a slot that imported the task's imports (preload.py)
    *_fields(profile_settings("local"), HYDRA_NAMES["local"]),
    *((name, Optional[Any], field(default=None)) for name in LOCAL_IGNORED)])
SnaptuiSlurmConf = make_dataclass("SnaptuiSlurmConf", [
    ("_target_", str, field(default="hydra_plugins.snaptui_launcher.launcher.SnaptuiSlurmLauncher")),
    *_BASE, *_fields(profile_settings("slurm"), HYDRA_NAMES["slurm"])])
for _conf in (SnapshotConf, SnaptuiLocalConf, SnaptuiSlurmConf):
    _conf.__module__ = __name__

ConfigStore.instance().store(group="hydra/launcher", name="snaptui_local", node=SnaptuiLocalConf,
                             provider="snaptui_launcher")
ConfigStore.instance().store(group="hydra/launcher", name="snaptui_slurm", node=SnaptuiSlurmConf,
                             provider="snaptui_launcher")
