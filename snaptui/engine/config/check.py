"""Validate snaptui.toml against the declarations (model.py): known keys, types, bounds, checks.

Every problem is collected (not just the first) so the user fixes a file in one go; each names the
file, the line and the key, with a "did you mean" for a near miss.
"""
from __future__ import annotations

from typing import Any

from snaptui.engine.errors import ConfigProblem, did_you_mean
from .declare import SettingInfo, user_settings
from .executors import profile_class
from .model import BUILTIN_PROFILES, SECTIONS, Profile, Table
from .tomlsource import TomlSource

TABLES = (*SECTIONS, "profiles", "keymap")


def unknown_key(source: TomlSource, where: list[str], key: str, known: dict[str, Any]) -> ConfigProblem:
    hint = did_you_mean(key, known) or f"valid keys: {', '.join(sorted(known))}"
    return source.problem(where, "unknown key", hint)


def check_table(source: TomlSource, path: list[str], table: Any, cls: type[Table],
                problems: list[ConfigProblem]) -> None:
    """Check one table against the settings its class declares, appending problems."""
    if not isinstance(table, dict):
        problems.append(source.problem(path, f"must be a table, got {type(table).__name__}"))
        return
    settings = user_settings(cls)
    for key, value in table.items():
        name = str(cls.ALIASES.get(key, key))
        if name != key and name in table:
            problems.append(source.problem(path + [key], f"is another name for {name}, which is set too"))
            continue
        problem = problem_with(settings, name, value)
        if problem is not None:
            problems.append(unknown_key(source, path + [key], key, settings) if problem == "" else
                            source.problem(path + [key], problem))


def problem_with(settings: dict[str, SettingInfo], key: str, value: Any) -> str | None:
    """What is wrong with `key = value` ("" for an unknown key), or None."""
    declared = settings.get(key)
    if declared is None:
        return ""
    return declared.problem(value)


def profile_settings_class(name: str, profile: dict[str, Any]) -> type[Profile]:
    """A profile's settings class, by its executor (a built-in profile's, when the file does not say)."""
    executor = profile.get("executor", BUILTIN_PROFILES.get(name, {}).get("executor", "local"))
    return profile_class(executor) if isinstance(executor, str) else Profile


def validate_project(source: TomlSource) -> list[ConfigProblem]:
    problems: list[ConfigProblem] = []
    data = source.data
    for key, value in data.items():
        if key not in TABLES:
            hint = did_you_mean(key, TABLES) or f"valid tables: {', '.join(TABLES)}"
            problems.append(source.problem([key], "unknown key", hint))
        elif not isinstance(value, dict):
            problems.append(source.problem([key], f"must be a table, got {type(value).__name__}"))
    for section, cls in SECTIONS.items():
        if isinstance(data.get(section), dict):
            check_table(source, [section], data[section], cls, problems)
    keymap = data.get("keymap")
    if isinstance(keymap, dict) and not all(isinstance(v, str) for v in keymap.values()):
        problems.append(source.problem(["keymap"], "every entry must be a string"))
    profiles = data.get("profiles")
    for name, profile in (profiles.items() if isinstance(profiles, dict) else ()):
        if not isinstance(profile, dict):
            problems.append(source.problem(["profiles", name], "must be a table"))
            continue
        check_table(source, ["profiles", name], profile, profile_settings_class(name, profile), problems)
    return problems
