"""Read a TOML file and remember on which line each key was written.

tomllib gives no positions, and error messages must name the line of a bad key,
so a light line scanner maps dotted key paths ("profiles.local.timeout_min",
"zip.1.lr") to line numbers. It understands table headers, arrays of tables and
`key = value` lines, which is all that the configs snaptui reads use.
"""
from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

from snaptui.engine.errors import ConfigError, ConfigProblem

_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")
_KEY = re.compile(r"""^\s*((?:"[^"]*"|'[^']*'|[A-Za-z0-9_\-]+)(?:\s*\.\s*(?:"[^"]*"|'[^']*'|[A-Za-z0-9_\-]+))*)\s*=""")
_LINE_IN_MESSAGE = re.compile(r"\(at line (\d+), column (\d+)\)")


def _split_key(raw: str) -> list[str]:
    parts = re.findall(r""""([^"]*)"|'([^']*)'|([A-Za-z0-9_\-]+)""", raw)
    return [a or b or c for a, b, c in parts]


@dataclass
class TomlSource:
    """Parsed TOML data plus the line of every key path."""

    path: Path | None
    data: dict[str, Any]
    lines: dict[str, int] = field(default_factory=dict)

    def line(self, *parts: object) -> int | None:
        """Line of the longest known prefix of the key path."""
        keys = [str(p) for p in parts]
        while keys:
            found = self.lines.get(".".join(keys))
            if found:
                return found
            keys.pop()
        return None

    def problem(self, parts: Sequence[object], message: str, hint: str | None = None) -> ConfigProblem:
        return ConfigProblem(".".join(str(p) for p in parts), message, self.line(*parts), hint)


def _scan_lines(text: str) -> dict[str, int]:
    lines: dict[str, int] = {}
    table: list[str] = []
    array_counts: dict[str, int] = {}
    in_multiline = None
    for number, line in enumerate(text.splitlines(), start=1):
        if in_multiline:
            if in_multiline in line:
                in_multiline = None
            continue
        header = _HEADER.match(line)
        if header and not _KEY.match(line):
            parts = _split_key(header.group(2))
            name = ".".join(parts)
            if header.group(1) == "[[":
                index = array_counts.get(name, -1) + 1
                array_counts[name] = index
                table = parts + [str(index)]
                lines.setdefault(name, number)
            else:
                table = parts
            lines.setdefault(".".join(table), number)
            continue
        key = _KEY.match(line)
        if key:
            full = ".".join(table + _split_key(key.group(1)))
            lines.setdefault(full, number)
            rest = line[key.end():]
            for quote in ('"""', "'''"):
                if rest.count(quote) == 1:
                    in_multiline = quote
    return lines


def parse_toml_text(text: str, path: Path | None = None) -> TomlSource:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        found = _LINE_IN_MESSAGE.search(message)
        line = int(found.group(1)) if found else None
        if "(at end of document)" in message:
            line = max(1, len(text.splitlines()))
        message = _LINE_IN_MESSAGE.sub("", message).replace("(at end of document)", "at end of file").strip()
        raise ConfigError(path, [ConfigProblem("", f"not valid TOML: {message}", line)]) from None
    return TomlSource(path, data, _scan_lines(text))


def load_toml(path: Path) -> TomlSource:
    """Parse a TOML file; unreadable or malformed files raise ConfigError naming the file."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError.single(path, "", "file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError.single(path, "", f"cannot read file: {exc}") from None
    return parse_toml_text(text, Path(path))
