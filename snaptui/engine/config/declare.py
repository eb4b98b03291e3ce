"""How a setting is declared, and read back: one msgspec field carrying its type, default, unit and help.

A setting is a field of a frozen msgspec Struct, annotated with ``setting(...)``::

    timeout_min: Annotated[float, setting("a job's time limit", unit="min", gt=0)] = 60

msgspec converts and bounds-checks the value; ``info(cls)`` reads every declaration back, so that
validation (check.py), the effective config, ``snaptui config``, the README's settings table and the
Hydra launcher's config classes are all derived from the one declaration.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache
import types
import typing
from typing import Any, Callable, Union

import msgspec
from msgspec import Meta

Check = Callable[[Any], "str | None"]   # returns what is wrong with a value, or None


def setting(help: str, *, unit: str = "", check: Check | None = None, env: str | None = None,
            internal: bool = False, **bounds: float) -> Meta:
    """The metadata of one setting: one line of help, its unit, an extra check beyond its type and
    bounds (``ge=``, ``gt=``), the environment variable that may override it, and whether it is
    ``internal`` (recorded by snaptui at launch, never written by the user)."""
    extra: dict[str, Any] = {"unit": unit, "check": check, "env": env, "internal": internal}
    arguments: dict[str, Any] = {"description": help, "extra": extra, **bounds}
    meta: Meta = Meta(**arguments)
    return meta


@dataclass(frozen=True)
class SettingInfo:
    """One declared setting, read back from its Struct."""

    name: str
    annotation: Any          # what msgspec converts to (Annotated, Optional...)
    kinds: tuple[type, ...]  # the accepted Python types, outermost (list, dict, int, str...)
    items: type | None       # element type of a list or value type of a table
    optional: bool           # None (unset) is a valid value: the scheduler or snaptui then decides
    default: Any
    help: str
    unit: str
    check: Check | None
    env: str | None
    internal: bool
    bounds: dict[str, float]

    @property
    def type_text(self) -> str:
        """The type in words, as error messages and the settings table say it."""
        text = " or ".join(_TYPE_NAMES.get(k, k.__name__) for k in self.kinds)
        if self.items is not None and self.items is not Any:
            text += f" of {_PLURAL.get(self.items, self.items.__name__)}"
        return text

    def problem(self, value: Any) -> str | None:
        """What is wrong with ``value`` for this setting, in the user's words, or None."""
        if not _type_ok(value, self.kinds):
            return f"must be {self.type_text}, got {type(value).__name__} {value!r}"
        if isinstance(value, float) and not math.isfinite(value):
            return f"must be a finite number, not {value}"
        if self.items is not None and self.items is not Any:
            values = value.values() if isinstance(value, dict) else value
            if not all(_type_ok(v, (self.items,)) for v in values):
                return f"every entry must be {_TYPE_NAMES.get(self.items, self.items.__name__)}"
        try:
            msgspec.convert(value, self.annotation)
        except msgspec.ValidationError as exc:
            return _bounds_text(self.bounds) or str(exc)
        return self.check(value) if self.check is not None else None

    def convert(self, value: Any) -> Any:
        return msgspec.convert(value, self.annotation)


_TYPE_NAMES = {str: "a string", int: "an integer", float: "a number", bool: "true or false",
               list: "a list", tuple: "a list", dict: "a table"}
_PLURAL = {str: "strings", int: "integers", float: "numbers", bool: "booleans"}


def _type_ok(value: Any, kinds: tuple[type, ...]) -> bool:
    if isinstance(value, bool):
        return bool in kinds
    if float in kinds and isinstance(value, int):
        return True
    if tuple in kinds and isinstance(value, list):
        return True
    return isinstance(value, kinds)


def _bounds_text(bounds: dict[str, float]) -> str | None:
    if "gt" in bounds:
        return f"must be greater than {bounds['gt']:g}"
    if "ge" in bounds:
        return "must be 0 or more" if bounds["ge"] == 0 else f"must be at least {bounds['ge']:g}"
    return None


def _unwrap(annotation: Any) -> tuple[Any, Meta | None, bool]:
    """(the type inside Optional and Annotated, its Meta, whether None is allowed)."""
    optional = False
    origin = typing.get_origin(annotation)
    if origin in (Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        optional = len(args) < len(typing.get_args(annotation))
        if len(args) == 1:
            annotation = args[0]
    meta = None
    if typing.get_origin(annotation) is typing.Annotated:
        base, *metas = typing.get_args(annotation)
        meta = next((m for m in metas if isinstance(m, Meta)), None)
        annotation = base
    return annotation, meta, optional


def _kinds(base: Any) -> tuple[tuple[type, ...], type | None]:
    origin = typing.get_origin(base)
    if origin in (Union, types.UnionType):
        return tuple(a for a in typing.get_args(base) if a is not type(None)), None
    if origin in (list, tuple):
        return (list,), typing.get_args(base)[0]
    if origin is dict:
        return (dict,), typing.get_args(base)[1]
    if base is Any:
        return (object,), None
    return (base,), None


@cache
def info(cls: type) -> dict[str, SettingInfo]:
    """Every setting of a Struct, by name, in declaration order."""
    found: dict[str, SettingInfo] = {}
    hints = typing.get_type_hints(cls, include_extras=True)
    for field in msgspec.structs.fields(cls):
        annotation = hints[field.name]
        base, meta, optional = _unwrap(annotation)
        kinds, items = _kinds(base)
        extra = (meta.extra if meta is not None and meta.extra else {}) or {}
        default = field.default_factory() if field.default_factory is not msgspec.NODEFAULT else field.default
        bounds = {k: getattr(meta, k) for k in ("ge", "gt", "le", "lt")
                  if meta is not None and getattr(meta, k) is not None}
        found[field.name] = SettingInfo(
            name=field.name, annotation=annotation, kinds=kinds, items=items, optional=optional, default=default,
            help=(meta.description if meta is not None else None) or "", unit=extra.get("unit", ""),
            check=extra.get("check"), env=extra.get("env"), internal=bool(extra.get("internal")), bounds=bounds)
    return found


def user_settings(cls: type) -> dict[str, SettingInfo]:
    """The settings a user may write (those snaptui records for itself left out)."""
    return {name: s for name, s in info(cls).items() if not s.internal}
