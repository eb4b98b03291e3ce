"""Values the operating system cannot hand to a job, refused when the sweep file is read (so `--dry-run`
refuses them too) instead of failing every job at its start.

A command line and an environment are C strings: a NUL byte cannot be in one. Linux caps one argument
or environment string at MAX_ARG_STRLEN (32 pages: 131,072 bytes) and the whole command line with the
environment at ARG_MAX (`getconf ARG_MAX`). Sizes are bounded per parameter (its longest value), so a
100,000-job grid is checked without expanding it.
"""
from __future__ import annotations

import os
from typing import Any

from snaptui.engine.config.tomlsource import TomlSource
from snaptui.engine.errors import ConfigProblem

MAX_ARG_STRLEN = 32 * 4096
ENV_MARGIN = 64 * 1024  # what the scheduler and snaptui add to the environment


def arg_max() -> int:
    try:
        return int(os.sysconf("SC_ARG_MAX"))
    except (ValueError, OSError):
        return 2 * 1024 * 1024


def _size(text: str) -> int:
    return len(text.encode("utf-8", "surrogateescape")) + 1  # its NUL terminator


def check_passable(source: TomlSource, data: dict[str, Any], problems: list[ConfigProblem]) -> None:
    """Add a problem (file, line, key) for each value that could not reach a job's command or environment."""
    found: list[tuple[list[Any], str, int]] = []  # (path, text, size as an argument)
    command: list[Any] = data["command"] if isinstance(data.get("command"), list) else []
    for index, word in enumerate(command):
        if isinstance(word, str):
            found.append((["command", index], word, _size(word)))
    tables: list[tuple[list[Any], Any]] = [(["params"], data.get("params")), (["grid"], data.get("grid"))]
    if isinstance(data.get("zip"), list):
        tables += [(["zip", i], group) for i, group in enumerate(data["zip"])]
    widest: dict[str, int] = {}
    for path, table in tables:
        for key, raw in (table if isinstance(table, dict) else {}).items():
            values = raw if isinstance(raw, list) else [raw]
            for value in values:
                if isinstance(value, (str, int, float, bool)):
                    text = str(value)
                    size = _size(f"--{key}={text}")
                    found.append((path + [key], text, size))
                    widest[key] = max(widest.get(key, 0), size)
    env: dict[str, Any] = data["env"] if isinstance(data.get("env"), dict) else {}
    for key, value in env.items():
        found.append((["env", key], f"{key}={value}", _size(f"{key}={value}")))
    reported: set[str] = set()
    for path, text, size in found:
        where = ".".join(map(str, path))
        if where in reported:
            continue
        if "\0" in text:
            reported.add(where)
            problems.append(source.problem(path, "holds a NUL character, which no command line or environment "
                                                 "can carry", "remove it (a NUL ends a C string)"))
        elif size > MAX_ARG_STRLEN:
            reported.add(where)
            problems.append(source.problem(path, f"makes an argument of {size:,} bytes; the system passes at most "
                                                 f"{MAX_ARG_STRLEN:,} bytes in one argument",
                                           "pass a file name and read the value from the file"))
    total = sum(s for p, _, s in found if p[0] in ("command", "env")) + sum(widest.values()) + ENV_MARGIN
    total += sum(_size(f"{k}={v}") for k, v in os.environ.items())  # jobs inherit the launching environment
    if total > arg_max() and not reported:
        problems.append(source.problem(["grid"] if data.get("grid") else ["command"],
                                       f"a job's command line and environment would take up to {total:,} bytes; "
                                       f"the system allows {arg_max():,} (getconf ARG_MAX)",
                                       "pass large values through files"))
