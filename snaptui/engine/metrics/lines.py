"""Result lines in a job's log, as metric points, read from a byte offset on.

Two forms are understood: the configured `results.pattern` (one `name=value` per line,
default `SNAPTUI_RESULT loss=0.12`) and `SNAPTUI_RESULT step=10 loss=0.12 acc=0.9`, several
pairs on one line with an optional `step=`. Without a step a point's step is its order.
Matching runs as one multiline regex over each chunk, so the non-result lines of a huge
log are skipped in C and never decoded one by one.
"""
from __future__ import annotations

import re

from .reading import Point, ReadState, read_complete

TOKEN = b"SNAPTUI_RESULT"
_MULTI = re.compile(rb"^SNAPTUI_RESULT[ \t]+((?:[\w.\-/]+=[^\s=]+[ \t]*)+)\r?$", re.MULTILINE)
_PAIR = re.compile(rb"([\w.\-/]+)=([^\s=]+)")
MAX_LINE = 64 * 1024  # as results.scan_log: a longer "line" is output, not a result


def to_float(text: str | bytes) -> float | None:
    try:
        return float(text)
    except (TypeError, ValueError):
        return None


class LineParser:
    """Turns chunks of log text into points; keeps the per-metric order for step-less lines."""

    def __init__(self, pattern: str):
        pattern = pattern.replace("$", r"\r?$") if pattern.endswith("$") and not pattern.endswith(r"\$") else pattern
        self.regex = re.compile(pattern.encode("utf-8"), re.MULTILINE)

    def parse(self, chunk: bytes, state: ReadState) -> list[Point]:
        found: list[tuple[int, list[tuple[str, bytes]]]] = []
        if TOKEN in chunk:
            for match in _MULTI.finditer(chunk):
                pairs = _PAIR.findall(match.group(1))
                if len(pairs) > 1 or pairs and pairs[0][0] == b"step":
                    found.append((match.start(), [(k.decode(), v) for k, v in pairs]))
        taken = {start for start, _ in found}
        for match in self.regex.finditer(chunk):
            if match.start() not in taken and match.end() - match.start() <= MAX_LINE and match.lastindex:
                found.append((match.start(), [(match.group(1).decode("utf-8", "replace"), match.group(2))]))
        found.sort(key=lambda item: item[0])
        points: list[Point] = []
        for _, pairs in found:
            step = None
            values = []
            for name, raw in pairs:
                value = to_float(raw)
                if name == "step":
                    step = value
                elif value is not None:
                    values.append((name, value))
            for name, value in values:
                points.append(Point(name, state.next_step(name, step), value))
        return points


def read_log(path, state: ReadState, parser: LineParser, max_bytes: int) -> list[Point]:
    """Points in the complete lines appended since `state.offset` (at most max_bytes read)."""
    points: list[Point] = []
    for chunk in read_complete(path, state, max_bytes):
        points += parser.parse(chunk, state)
    return points
