"""Project configuration: snaptui.toml over the declared defaults (model.py), a profile chosen, then
environment variables and --set overrides applied on top, each value remembering where it came from.

Precedence, lowest first: the declared defaults, the built-in profiles, snaptui.toml, the sweep
file's profile name, SNAPTUI_* environment variables, --profile / --set on the command line (or the
Hydra launcher's fields).
"""
from __future__ import annotations

import dataclasses
import logging
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Sequence, TypeVar

import msgspec

from snaptui.engine.errors import ConfigError, did_you_mean
from snaptui.engine.models import Setting
from .check import problem_with, validate_project
from .declare import info, user_settings
from .executors import profile_class
from .model import (BUILTIN_PROFILES, SECTIONS, Defaults, LimitsSettings, LocalHostSettings, MetricsSettings,
                    Profile, ResultsSettings, SnapshotSettings, Table, TuiSettings)
from .tomlsource import TomlSource, load_toml

CONFIG_FILENAME = "snaptui.toml"
T = TypeVar("T", bound=Table)
DEFAULT = "default"
log = logging.getLogger("snaptui.config")


@dataclass(frozen=True)
class EffectiveConfig:
    """Everything a launch needs to know, merged and validated; `sources` says where each value came
    from, by the key `--set` takes (``timeout_min``, ``snapshot.enabled``; absent: its default)."""

    profile_name: str
    profile: Profile
    snapshot: SnapshotSettings = SnapshotSettings()
    results: ResultsSettings = ResultsSettings()
    limits: LimitsSettings = LimitsSettings()
    local: LocalHostSettings = LocalHostSettings()
    metrics: MetricsSettings = MetricsSettings()   # read from snaptui.toml as it is now, not recorded
    tui: TuiSettings = TuiSettings()               # likewise
    sources: Mapping[str, str] = field(default_factory=dict)

    @property
    def executor(self) -> str:
        """The executor that runs the jobs (``allocation`` for a Slurm profile with an allocation)."""
        return self.profile.runs_on()

    def chosen_settings(self) -> dict[str, Any]:
        """The profile's values that something other than its declared defaults set, in the order they were
        (a whole number of minutes as 5, not 5.0)."""
        values = _plain(self.profile)
        return {key: int(v) if isinstance(v := values[key], float) and v.is_integer() else v
                for key, source in self.sources.items() if key in values and source != DEFAULT}

    def to_dict(self) -> dict[str, Any]:
        """The record kept with the sweep (and in each job's manifest); `from_dict` reads it back."""
        return {
            "profile": self.profile_name,
            "executor": _plain(self.profile),
            "snapshot": _plain(self.snapshot),
            "results": _plain(self.results),
            "limits": _plain(self.limits),
            "local": _plain(self.local),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> EffectiveConfig:
        """A sweep's recorded config, whichever snaptui recorded it: keys it does not know are ignored
        and a value it cannot read takes its default (with a warning in the log)."""
        data = data or {}
        recorded = dict(data.get("executor") or {})
        kind = profile_class(recorded.get("executor"))
        return cls(
            profile_name=str(data.get("profile") or ""),
            profile=_read(kind, kind.upgrade(recorded)),
            snapshot=_read(SnapshotSettings, data.get("snapshot")),
            results=_read(ResultsSettings, data.get("results")),
            limits=_read(LimitsSettings, data.get("limits")),
            local=_read(LocalHostSettings, data.get("local")),
        )


def _plain(table: Table) -> dict[str, Any]:
    """A table as TOML and JSON write it: unset (None) values left out, lists as lists."""
    return {k: list(v) if isinstance(v, tuple) else v for k, v in msgspec.to_builtins(table).items() if v is not None}


def _read(cls: type[Table], recorded: Any) -> Any:
    values = dict(recorded) if isinstance(recorded, Mapping) else {}
    try:
        return msgspec.convert(values, cls, strict=False)
    except msgspec.ValidationError:
        settings = info(cls)
        kept = {}
        for key, value in values.items():
            try:
                kept[key] = msgspec.convert(value, settings[key].annotation, strict=False) if key in settings else value
            except msgspec.ValidationError:
                log.warning("recorded %s = %r cannot be read; its default is used", key, value)
        return msgspec.convert(kept, cls, strict=False)


def stored_config(data: Mapping[str, Any] | None) -> EffectiveConfig:
    """A sweep's recorded config (``sweep.config``), typed."""
    return EffectiveConfig.from_dict(data)


@dataclass
class ProjectConfig:
    """snaptui.toml of one repository, validated, with the tables it sets typed."""

    source: TomlSource
    path: Path | None

    def __post_init__(self) -> None:
        self._tables = {name: msgspec.convert(self.source.data.get(name) or {}, cls, strict=False)
                        for name, cls in SECTIONS.items()}

    def _table(self, cls: type[T]) -> T:
        found = next(table for table in self._tables.values() if type(table) is cls)
        assert isinstance(found, cls)
        return found

    @classmethod
    def load(cls, repo_root: Path | None = None, path: Path | None = None) -> ProjectConfig:
        if path is None and repo_root is not None and (Path(repo_root) / CONFIG_FILENAME).is_file():
            path = Path(repo_root) / CONFIG_FILENAME
        if path is None:
            return cls(TomlSource(None, {}), None)
        source = load_toml(path)
        problems = validate_project(source)
        if problems:
            raise ConfigError(path, problems)
        return cls(source, Path(path))

    # -- the tables as written (with their defaults), before any profile or override -------------------
    @property
    def defaults(self) -> Defaults:
        return self._table(Defaults)

    @property
    def snapshot(self) -> SnapshotSettings:
        return self._table(SnapshotSettings)

    @property
    def results(self) -> ResultsSettings:
        return self._table(ResultsSettings)

    @property
    def metrics(self) -> MetricsSettings:
        return self._table(MetricsSettings)

    @property
    def tui(self) -> TuiSettings:
        return self._table(TuiSettings)

    @property
    def keymap(self) -> dict[str, str]:
        return dict(self.source.data.get("keymap") or {})

    @property
    def profiles(self) -> dict[str, dict[str, Any]]:
        """Profile name -> its keys as written over its built-in one (``executor`` always there)."""
        written = self.source.data.get("profiles") or {}
        names = [*BUILTIN_PROFILES, *(n for n in written if n not in BUILTIN_PROFILES)]
        return {name: {"executor": "local", **BUILTIN_PROFILES.get(name, {}), **written.get(name, {})}
                for name in names}

    def where(self, *keys: str) -> str:
        """Where a key of snaptui.toml was written: ``snaptui.toml:12``."""
        line = self.source.line(*keys)
        name = self.path.name if self.path else CONFIG_FILENAME
        return f"{name}:{line}" if line else name

    # -- resolving -------------------------------------------------------------------------------------
    def resolve(self, *, profile: str | None = None, sweep_profile: str | None = None,
                sets: Sequence[str | Setting] = (), environ: Mapping[str, str] | None = None,
                no_snapshot: bool = False, sweep_file: Path | None = None) -> EffectiveConfig:
        """Pick the profile and apply environment and command-line overrides."""
        environ = os.environ if environ is None else environ
        profiles = self.profiles
        name, origin = self._profile_name(profile, sweep_profile, environ, sweep_file)
        if name not in profiles:
            from_sweep = origin.startswith("sweep file")
            file = None if origin in ("--profile", "$SNAPTUI_PROFILE") else sweep_file if from_sweep else self.path
            key = {"--profile": "--profile", "$SNAPTUI_PROFILE": "SNAPTUI_PROFILE"}.get(origin) or (
                "profile" if from_sweep else "defaults.profile")
            hint = did_you_mean(name, profiles) or f"profiles: {', '.join(sorted(profiles))}"
            raise ConfigError.single(file, key, f"unknown profile {name!r}", hint=hint)
        sources: dict[str, str] = {"defaults.profile": origin}
        values: dict[str, Any] = {}
        written = (self.source.data.get("profiles") or {}).get(name, {})
        for key, value in {"executor": "local", **BUILTIN_PROFILES.get(name, {})}.items():
            values[key] = value
            sources[key] = f"built-in profile {name}" if key in BUILTIN_PROFILES.get(name, {}) else DEFAULT
        for key, value in written.items():
            values[key] = value
            sources[key] = self.where("profiles", name, key)
        kind = profile_class(values["executor"])
        for key in _renamed(kind, values):
            sources[kind.ALIASES[key]] = sources.pop(key, DEFAULT)
        for declared in info(kind).values():
            if declared.env and declared.env in environ:
                values[declared.name] = _parse_scalar(environ[declared.env])
                sources[declared.name] = f"${declared.env}"
                _check(kind, declared.name, values[declared.name], f"${declared.env}")
        tables = {section: dict(self.source.data.get(section) or {}) for section in SECTIONS}
        for section, table in tables.items():
            for key in table:
                sources[f"{section}.{key}"] = self.where(section, key)
        for item in sets:
            key, value, origin_of_set = _split_set(item)
            section, _, sub = key.partition(".")
            if sub and section in SECTIONS:
                problem = problem_with(user_settings(SECTIONS[section]), sub, value)
                if problem is not None:
                    _refuse(origin_of_set, key, problem, user_settings(SECTIONS[section]), sub)
                tables[section][sub] = value
                sources[key] = origin_of_set
                continue
            if key == "executor":
                _check(Profile, key, value, origin_of_set)
                kind = profile_class(value)
            key = kind.ALIASES.get(key, key)
            _check(kind, key, value, origin_of_set)
            values[key] = value
            sources[key] = origin_of_set
        settings = info(kind)
        chosen = msgspec.convert({k: v for k, v in values.items() if k in settings}, kind, strict=False)
        snapshot = msgspec.convert(tables["snapshot"], SnapshotSettings, strict=False)
        if not chosen.snapshot or no_snapshot:
            snapshot = msgspec.structs.replace(snapshot, enabled=False)
            sources["snapshot.enabled"] = "--no-snapshot" if no_snapshot else f"profile {name}: snapshot = false"
        return EffectiveConfig(
            profile_name=name, profile=chosen, snapshot=snapshot,
            results=msgspec.convert(tables["results"], ResultsSettings, strict=False),
            limits=msgspec.convert(tables["limits"], LimitsSettings, strict=False),
            local=msgspec.convert(tables["local"], LocalHostSettings, strict=False),
            metrics=msgspec.convert(tables["metrics"], MetricsSettings, strict=False),
            tui=msgspec.convert(tables["tui"], TuiSettings, strict=False),
            sources=sources,
        )

    def _profile_name(self, profile: str | None, sweep_profile: str | None, environ: Mapping[str, str],
                      sweep_file: Path | None) -> tuple[str, str]:
        if profile:
            return profile, "--profile"
        if environ.get("SNAPTUI_PROFILE"):
            return environ["SNAPTUI_PROFILE"], "$SNAPTUI_PROFILE"
        if sweep_profile:
            return sweep_profile, f"sweep file {sweep_file.name}" if sweep_file else "sweep file"
        if "profile" in (self.source.data.get("defaults") or {}):
            return self.defaults.profile, self.where("defaults", "profile")
        return self.defaults.profile, DEFAULT


def _renamed(kind: type[Profile], values: dict[str, Any]) -> list[str]:
    """Older names in `values` (switched to another kind of profile) replaced by their current ones."""
    old = [key for key in values if key in kind.ALIASES]
    for key in old:
        values[kind.ALIASES[key]] = values.pop(key)
    return old


def _check(kind: type[Table], key: str, value: Any, origin: str) -> None:
    settings = user_settings(kind)
    problem = problem_with(settings, key, value)
    if problem is not None:
        _refuse(origin, key, problem, settings, key)


def _refuse(origin: str, key: str, problem: str, settings: Mapping[str, Any], name: str) -> None:
    if problem == "":
        hint = did_you_mean(name, settings) or f"valid keys: {', '.join(sorted(settings))}"
        raise ConfigError.single(origin, key, "unknown key", hint=hint)
    raise ConfigError.single(origin, key, problem)


def _parse_scalar(text: str) -> Any:
    """Parse a command-line or environment value the way TOML would; bare words are strings."""
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


def _split_set(item: str | Setting) -> tuple[str, Any, str]:
    """(key, value, origin) of a `--set key=value` text, or of a typed Setting as it is."""
    if isinstance(item, Setting):
        return item.key, item.value, item.origin
    key, sep, value = item.partition("=")
    if not sep or not key.strip():
        raise ConfigError.single("--set", item, "must look like key=value", hint="e.g. --set timeout_min=5")
    return key.strip(), _parse_scalar(value.strip()), "--set"


def replace_profile(config: EffectiveConfig, **changes: Any) -> EffectiveConfig:
    """The config with some profile values settled at launch (an allocation's id and size...)."""
    return dataclasses.replace(config, profile=msgspec.structs.replace(config.profile, **changes))


# Keys a resubmission may not change: they are the sweep's, not a job's (where and on what it runs).
FIXED_ON_RESUBMIT = ("executor", "allocation", "snapshot", "poll_interval_s", "job_name", "max_parallel_jobs",
                     "jobs_per_task", "max_array_size")


def resubmit_changes(recorded: Mapping[str, Any] | None, sets: Sequence[str | Setting]) -> dict[str, Any]:
    """`--set key=value` for a resubmission, checked against the profile the sweep ran with: only resources
    of its jobs (time, memory, CPUs, GPUs, partition, ...) change; the code, the executor and the sweep's
    own settings do not. A ConfigError names the key."""
    kind = type(stored_config(recorded).profile)
    settings = user_settings(kind)
    changes: dict[str, Any] = {}
    for item in sets:
        key, value, origin = _split_set(item)
        key = kind.ALIASES.get(key, key)
        if "." in key or key in FIXED_ON_RESUBMIT or key in kind.FIXED_ON_RESUBMIT:
            raise ConfigError.single(origin, key, "is the sweep's, not a job's: a resubmission runs on the sweep's "
                                     "snapshot and executor", hint="launch the sweep again to change it")
        _check(kind, key, value, origin)
        changes[key] = msgspec.convert(value, settings[key].annotation, strict=False)
    return changes


def attempt_config(recorded: Mapping[str, Any] | None, changes: Mapping[str, Any] | None) -> EffectiveConfig:
    """The config an attempt runs with: the sweep's, with what its resubmission changed (``Attempt.changes``)."""
    config = stored_config(recorded)
    values = (changes or {}).get("set") or {}
    if not values:
        return config
    merged = {**msgspec.to_builtins(config.profile), **values}
    return dataclasses.replace(config, profile=msgspec.convert(merged, type(config.profile), strict=False))
