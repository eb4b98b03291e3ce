"""Project configuration: snaptui.toml merged over the embedded defaults, a profile
chosen, then environment variables and --set overrides applied on top.

Precedence, lowest first: embedded defaults, snaptui.toml, the sweep file's
profile name, SNAPTUI_* environment variables, --profile / --set on the command line.
"""
from __future__ import annotations

import copy
import os
import re
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Mapping, Sequence

from snaptui.engine.errors import ConfigError, ConfigProblem, did_you_mean
from snaptui.engine.models import Setting
from .schema import Field, at_least_one, check_table, non_negative, positive
from .tomlsource import TomlSource, load_toml, parse_toml_text

CONFIG_FILENAME = "snaptui.toml"
EXECUTORS = ("local", "slurm")


def _valid_ref_component(prefix: str) -> str | None:
    bad = (not prefix or prefix.startswith(("/", ".", "-")) or prefix.endswith(("/", ".", ".lock"))
           or ".." in prefix or "//" in prefix or "@{" in prefix
           or re.search(r"[\x00-\x20~^:?*\[\\\x7f]", prefix))
    return "is not a valid git branch name prefix (no spaces, '..', '~^:?*[\\', or leading '-')" if bad else None


def _relative_inside(paths: list) -> str | None:
    for entry in paths:
        p = Path(entry)
        if not entry or p.is_absolute() or ".." in p.parts or entry.startswith("~"):
            return f"entry {entry!r} must be a relative path inside the repository (no '..', not absolute)"
    return None


def _exclude_patterns(patterns: list) -> str | None:
    for pattern in patterns:
        if not pattern.strip("/") or pattern.startswith("!") or ".." in Path(pattern).parts:
            return (f"pattern {pattern!r} must name paths inside the repository, like \"data/\" or \"*.ckpt\" "
                    f"('!' negations are not supported)")
    return None


def _regex(value: str) -> str | None:
    try:
        compiled = re.compile(value)
    except re.error as exc:
        return f"is not a valid regular expression: {exc}"
    return None if compiled.groups >= 2 else "must have two groups: (name) and (value)"


def _single_line(value) -> str | None:
    """Slurm values end up in #SBATCH lines: a newline would start a line of its own."""
    values = value if isinstance(value, list) else list(value.values()) if isinstance(value, dict) else [value]
    if any(isinstance(v, str) and any(c in v for c in "\n\r\x00") for v in values):
        return "must not contain line breaks"
    return None


SNAPSHOT_FIELDS = {
    "enabled": Field(bool),
    "branch_prefix": Field(str, _valid_ref_component),
    "worktree_root": Field(str),
    "symlink_paths": Field(list, _relative_inside, items=str),
    "push_to_remote": Field(bool),
    "remote": Field(str),
    "max_untracked_mb": Field(float, non_negative),
    "max_total_mb": Field(float, non_negative),
    "exclude": Field(list, lambda v: _exclude_patterns(v), items=str),
}
COMMON_PROFILE_FIELDS = {
    "executor": Field(str, lambda v: None if v in EXECUTORS else
                      f"unknown executor {v!r}; valid executors: {', '.join(EXECUTORS)}"),
    "timeout_min": Field(float, positive),
    "max_parallel_jobs": Field(int, at_least_one),
    "env": Field(dict, items=str),
    "snapshot": Field(bool),
}
LOCAL_FIELDS = {**COMMON_PROFILE_FIELDS, "gpus_per_node": Field(int, non_negative)}
SLURM_FIELDS = {
    **COMMON_PROFILE_FIELDS,
    "env": Field(dict, _single_line, items=str),
    "partition": Field(str, _single_line), "qos": Field(str, _single_line), "account": Field(str, _single_line),
    "gres": Field(str, _single_line), "gpus_per_node": Field(int, non_negative), "gpus_per_task": Field(int, non_negative),
    "cpus_per_task": Field(int, at_least_one), "cpus_per_gpu": Field(int, at_least_one),
    "mem_gb": Field(float, positive), "mem_per_cpu": Field(str, _single_line), "mem_per_gpu": Field(str, _single_line),
    "nodes": Field(int, at_least_one), "tasks_per_node": Field(int, at_least_one),
    "nodelist": Field(str, _single_line), "exclude": Field(str, _single_line), "constraint": Field(str, _single_line),
    "job_name": Field(str, _single_line), "comment": Field(str, _single_line),
    "array_parallelism": Field(int, at_least_one), "max_num_timeout": Field(int, non_negative),
    "max_array_size": Field(int, at_least_one), "jobs_per_task": Field(int, at_least_one),
    "signal_delay_s": Field(int, non_negative),
    "poll_interval_s": Field(float, positive),
    "allocation": Field((int, str), lambda v: None if str(v) == "current" or str(v).isdigit() else
                        'must be an allocation id (a number) or "current"'),
    "additional_parameters": Field(dict, _single_line), "setup": Field(list, _single_line, items=str), "srun_args": Field(list, _single_line, items=str),
}
PROFILE_FIELDS = {"local": LOCAL_FIELDS, "slurm": SLURM_FIELDS}
TOP_FIELDS = {
    "defaults": Field(dict), "snapshot": Field(dict), "results": Field(dict),
    "limits": Field(dict), "profiles": Field(dict), "keymap": Field(dict, items=str),
    "metrics": Field(dict), "local": Field(dict),
}
SECTION_FIELDS = {
    "defaults": {"profile": Field(str)},
    "snapshot": SNAPSHOT_FIELDS,
    "results": {"pattern": Field(str, _regex)},
    "limits": {"max_jobs": Field(int, at_least_one)},
    "local": {"max_jobs": Field(int, at_least_one), "gpus": Field(list, items=str)},
    "metrics": {"files": Field(list, items=str), "hung_after_min": Field(float, non_negative),
                "last_n": Field(int, at_least_one), "maximize": Field(list, items=str)},
}
ENV_OVERRIDES = {"SNAPTUI_MAX_PARALLEL_JOBS": "max_parallel_jobs", "SNAPTUI_TIMEOUT_MIN": "timeout_min"}


@dataclass(frozen=True)
class SnapshotSettings:
    enabled: bool = True
    branch_prefix: str = "snaptui"
    worktree_root: str = ""
    symlink_paths: tuple[str, ...] = ("outputs", "multirun", ".submitit")
    push_to_remote: bool = False
    remote: str = "origin"
    max_untracked_mb: float = 1
    max_total_mb: float = 100
    exclude: tuple[str, ...] = ()


@dataclass(frozen=True)
class EffectiveConfig:
    """Everything a launch needs to know, already merged and validated."""

    profile_name: str
    profile: dict[str, Any]
    snapshot: SnapshotSettings
    result_pattern: str
    max_jobs: int
    keymap: dict[str, str] = field(default_factory=dict)
    local: dict[str, Any] = field(default_factory=dict)  # [local]: the host-wide cap and GPU list

    @property
    def executor(self) -> str:
        """`allocation` for a Slurm profile that runs jobs as steps of an existing allocation."""
        if self.profile["executor"] == "slurm" and self.profile.get("allocation") is not None:
            return "allocation"
        return self.profile["executor"]

    def to_dict(self) -> dict[str, Any]:
        return {
            "profile": self.profile_name,
            "executor": dict(self.profile),
            "snapshot": {**self.snapshot.__dict__, "symlink_paths": list(self.snapshot.symlink_paths),
                         "exclude": list(self.snapshot.exclude)},
            "results": {"pattern": self.result_pattern},
            "limits": {"max_jobs": self.max_jobs},
            "local": dict(self.local),
        }


def _defaults_source() -> TomlSource:
    text = resources.files("snaptui.engine.config").joinpath("default_config.toml").read_text(encoding="utf-8")
    return parse_toml_text(text, Path("<embedded default_config.toml>"))


def _deep_merge(base: dict, over: Mapping) -> dict:
    out = copy.deepcopy(base)
    for key, value in over.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), dict):
            out[key] = _deep_merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def validate_project(source: TomlSource) -> list[ConfigProblem]:
    problems: list[ConfigProblem] = []
    data = source.data
    check_table(source, [], data, TOP_FIELDS, problems)
    for section, fields in SECTION_FIELDS.items():
        if isinstance(data.get(section), dict):
            check_table(source, [section], data[section], fields, problems)
    for name, profile in (data.get("profiles") or {}).items():
        if not isinstance(profile, dict):
            problems.append(source.problem(["profiles", name], "must be a table"))
            continue
        executor = profile.get("executor", "local")
        fields = PROFILE_FIELDS.get(executor, COMMON_PROFILE_FIELDS)
        check_table(source, ["profiles", name], profile, fields, problems)
    return problems


@dataclass
class ProjectConfig:
    """snaptui.toml of one repository, merged over the embedded defaults."""

    data: dict
    path: Path | None

    @classmethod
    def load(cls, repo_root: Path | None = None, path: Path | None = None) -> "ProjectConfig":
        defaults = _defaults_source()
        if path is None and repo_root is not None and (Path(repo_root) / CONFIG_FILENAME).is_file():
            path = Path(repo_root) / CONFIG_FILENAME
        if path is None:
            return cls(defaults.data, None)
        source = load_toml(path)
        problems = validate_project(source)
        if problems:
            raise ConfigError(path, problems)
        return cls(_deep_merge(defaults.data, source.data), Path(path))

    @property
    def profiles(self) -> dict[str, dict]:
        return self.data["profiles"]

    def resolve(self, *, profile: str | None = None, sweep_profile: str | None = None,
                sets: Sequence[str | Setting] = (), environ: Mapping[str, str] | None = None,
                no_snapshot: bool = False, sweep_file: Path | None = None) -> EffectiveConfig:
        """Pick the profile and apply environment and command-line overrides."""
        environ = os.environ if environ is None else environ
        name = profile or environ.get("SNAPTUI_PROFILE") or sweep_profile or self.data["defaults"]["profile"]
        if name not in self.profiles:
            origin = ("--profile" if profile else "SNAPTUI_PROFILE" if environ.get("SNAPTUI_PROFILE")
                      else "profile" if sweep_profile else "defaults.profile")
            file = None if origin in ("--profile", "SNAPTUI_PROFILE") else (
                sweep_file if origin == "profile" else self.path)
            hint = did_you_mean(name, self.profiles) or f"profiles: {', '.join(sorted(self.profiles))}"
            raise ConfigError.single(file, origin, f"unknown profile {name!r}", hint=hint)
        data = copy.deepcopy(self.data)
        merged = dict(data["profiles"][name])
        merged.setdefault("executor", "local")
        for var, key in ENV_OVERRIDES.items():
            if var in environ:
                merged[key] = _parse_scalar(environ[var])
                _check_override(merged, key, f"${var}", None)
        for item in sets:
            key, value, origin = _split_set(item)
            section, _, sub = key.partition(".")
            if sub and section in SECTION_FIELDS:
                data[section][sub] = value
                problems: list[ConfigProblem] = []
                check_table(TomlSource(None, {}), [section], {sub: value}, SECTION_FIELDS[section], problems)
                if problems:
                    raise ConfigError.single(origin, key, problems[0].message, hint=problems[0].hint)
            else:
                merged[key] = value
                _check_override(merged, key, origin, None)
        snapshot = dict(data["snapshot"])
        if merged.pop("snapshot", True) is False or no_snapshot:
            snapshot["enabled"] = False
        snapshot["symlink_paths"] = tuple(snapshot["symlink_paths"])
        snapshot["exclude"] = tuple(snapshot.get("exclude", ()))
        return EffectiveConfig(
            profile_name=name, profile=merged, snapshot=SnapshotSettings(**snapshot),
            result_pattern=data["results"]["pattern"], max_jobs=data["limits"]["max_jobs"],
            keymap=dict(data.get("keymap", {})), local=dict(data.get("local", {})),
        )


def _parse_scalar(text: str) -> Any:
    """Parse a command-line or environment value the way TOML would; bare words are strings."""
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


def _split_set(item: "str | Setting") -> tuple[str, Any, str]:
    """(key, value, origin) of a `--set key=value` text, or of a typed Setting as it is."""
    if isinstance(item, Setting):
        return item.key, item.value, item.origin
    key, sep, value = item.partition("=")
    if not sep or not key.strip():
        raise ConfigError.single("--set", item, "must look like key=value", hint="e.g. --set timeout_min=5")
    return key.strip(), _parse_scalar(value.strip()), "--set"


def _check_override(profile: dict, key: str, origin: str, line) -> None:
    fields = PROFILE_FIELDS.get(profile.get("executor"), COMMON_PROFILE_FIELDS)
    problems: list[ConfigProblem] = []
    check_table(TomlSource(None, {}), [], {key: profile[key]}, fields, problems)
    if problems:
        raise ConfigError.single(origin, key, problems[0].message, line, problems[0].hint)
