"""Result lines in a job's log, as metric points, read from a byte offset on.

Two forms are understood: the configured `results.pattern` (one `name=value` per line,
default `SNAPTUI_RESULT loss=0.12`, or named groups, each a metric: `val loss (?P<val_loss>[0-9.]+)`)
and `SNAPTUI_RESULT step=10 loss=0.12 acc=0.9`, several pairs on one line with an optional `step=`.
Without a step a point's step is its order.
Result lines are found with bytes.find on their fixed start, so the other lines of a huge
log are skipped in C and never decoded or matched one by one.
"""
from __future__ import annotations

import os
import re
from typing import Iterator

from .reading import Point, ReadState, read_complete

TOKEN = b"SNAPTUI_RESULT"
_MULTI = re.compile(rb"SNAPTUI_RESULT[ \t]+((?:[\w.\-/]+=[^\s=]+[ \t]*)+)$")  # matched on one line
_PAIR = re.compile(rb"([\w.\-/]+)=([^\s=]+)")
MAX_LINE = 64 * 1024  # as results.scan_log: a longer "line" is output, not a result


def to_float(text: str | bytes) -> float | None:
    try:
        return float(text)
    except (TypeError, ValueError):
        return None


_META = set(".^$*+?{}[]\\|()")


def literal_prefix(pattern: str) -> bytes:
    """The plain text a `^...` pattern's lines must start with ('' if none), to find them with bytes.find."""
    if not pattern.startswith("^"):
        return b""
    out: list[str] = []
    for char in pattern[1:]:
        if char in _META:
            if char in "*?{" and out:
                out.pop()  # the previous character is optional or repeated: not a fixed prefix
            break
        out.append(char)
    return "".join(out).encode("utf-8")


def _line_starts(chunk: bytes, literal: bytes) -> Iterator[tuple[int, int]]:
    """(start, end) of each line of the chunk that begins with `literal`."""
    pos = chunk.find(literal)
    while pos >= 0:
        if pos == 0 or chunk[pos - 1] == 10:
            end = chunk.find(b"\n", pos)
            end = len(chunk) if end < 0 else end
            if end > 0 and chunk[end - 1] == 13:
                end -= 1
            yield pos, end
            pos = chunk.find(literal, end)
        else:
            pos = chunk.find(literal, pos + 1)


class LineParser:
    """Turns chunks of log text into points; keeps the per-metric order for step-less lines.

    Result lines are found with bytes.find on the pattern's fixed start (C speed, ~1 GB/s), and
    only those lines go through the regex; a pattern without a fixed start is matched everywhere.
    """

    def __init__(self, pattern: str) -> None:
        self.regex = re.compile(pattern.encode("utf-8"), re.MULTILINE)
        self.literal = literal_prefix(pattern) if len(literal_prefix(pattern)) >= 3 else b""
        if not self.literal and pattern.endswith("$") and not pattern.endswith("\\$"):
            # matched across the chunk, where a CRLF line's `$` sits after the \r
            self.regex = re.compile((pattern[:-1] + r"\r?$").encode("utf-8"), re.MULTILINE)

    def _configured(self, chunk: bytes) -> Iterator[re.Match[bytes]]:
        if self.literal:
            for start, end in _line_starts(chunk, self.literal):
                if end - start <= MAX_LINE and (match := self.regex.match(chunk, start, end)):
                    yield match
        else:
            for match in self.regex.finditer(chunk):
                if match.end() - match.start() <= MAX_LINE:
                    yield match

    def parse(self, chunk: bytes, state: ReadState) -> list[Point]:
        found: list[tuple[int, list[tuple[str, bytes]]]] = []
        for start, end in _line_starts(chunk, TOKEN):
            match = _MULTI.match(chunk, start, end) if end - start <= MAX_LINE else None
            if match:
                pairs = _PAIR.findall(match.group(1))
                if len(pairs) > 1 or pairs and pairs[0][0] == b"step":
                    found.append((start, [(k.decode(), v) for k, v in pairs]))
        taken = {start for start, _ in found}
        named = bool(self.regex.groupindex)
        for match in self._configured(chunk):
            if match.start() in taken:
                continue
            if named:  # each named group that matched is a metric; one named `step` is the step
                pairs = [(name, value) for name, value in match.groupdict().items() if value is not None]
                if pairs:
                    found.append((match.start(), pairs))
            elif match.lastindex and match.lastindex >= 2:
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
                points.append(Point(name, state.next_step(name, step), value, step is None))
        return points


def read_log(path: str | os.PathLike[str], state: ReadState, parser: LineParser, max_bytes: int) -> list[Point]:
    """Points in the complete lines appended since `state.offset` (at most max_bytes read)."""
    points: list[Point] = []
    for chunk in read_complete(path, state, max_bytes):
        points += parser.parse(chunk, state)
    return points
