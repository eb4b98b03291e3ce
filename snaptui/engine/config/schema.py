"""A tiny declarative checker for the tables of a sweep file: known keys, types, checks.

Every problem is collected (not just the first) so the user fixes a file in one go. (snaptui.toml's
settings are declared as typed fields instead: model.py, checked by check.py.)
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from snaptui.engine.errors import ConfigProblem, did_you_mean
from .tomlsource import TomlSource

_TYPE_NAMES = {str: "a string", int: "an integer", float: "a number", bool: "true or false",
               list: "a list", dict: "a table"}


@dataclass(frozen=True)
class Field:
    kind: type | tuple[type, ...]
    check: Callable[[Any], str | None] | None = None  # returns a message when the value is bad
    items: type | tuple[type, ...] | None = None      # element type for lists / values for tables


def _type_ok(value: Any, kind: type | tuple[type, ...]) -> bool:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    if isinstance(value, bool):
        return bool in kinds
    if float in kinds and isinstance(value, int):
        return True
    return isinstance(value, kinds)


def _type_name(kind: type | tuple[type, ...]) -> str:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    return " or ".join(_TYPE_NAMES.get(k, k.__name__) for k in kinds)


def check_table(source: TomlSource, path: list[Any], table: Any, fields: dict[str, Field],
                problems: list[ConfigProblem]) -> None:
    """Check one table against its field declarations, appending problems."""
    if not isinstance(table, dict):
        problems.append(source.problem(path, f"must be a table, got {type(table).__name__}"))
        return
    for key, value in table.items():
        spec = fields.get(key)
        where = path + [key]
        if spec is None:
            hint = did_you_mean(key, fields) or f"valid keys: {', '.join(sorted(fields))}"
            problems.append(source.problem(where, "unknown key", hint))
            continue
        if not _type_ok(value, spec.kind):
            problems.append(source.problem(
                where, f"must be {_type_name(spec.kind)}, got {type(value).__name__} {value!r}"))
            continue
        if spec.items is not None:
            values = value.values() if isinstance(value, dict) else value
            if not all(_type_ok(v, spec.items) for v in values):
                problems.append(source.problem(where, f"every entry must be {_type_name(spec.items)}"))
                continue
        if spec.check is not None:
            message = spec.check(value)
            if message:
                problems.append(source.problem(where, message))
