"""Metrics files people already write: a CSV table and JSON lines, read incrementally.

CSV follows PyTorch Lightning's `CSVLogger` (`metrics.csv`): a header with `step` (and
`epoch`) and one column per metric; rows are sparse, a metric not logged at that step
leaves its cell empty. Lightning rewrites the whole file when a new metric appears (a
wider header), so a changed first line means the file is read again from the start.
JSON lines: one object per line; numeric values are metrics, `step` (or `global_step`) the step.
"""
from __future__ import annotations

import os
import csv
import io
import json
import math

from .lines import to_float
from .reading import Point, ReadState, check_file, read_complete

STEP_KEYS = ("step", "global_step")
SKIPPED_COLUMNS = {"epoch", "created_at", "timestamp", "time", "wall_time"}


def _first_line(path: str | os.PathLike[str]) -> bytes | None:
    try:
        with open(path, "rb") as handle:
            line = handle.readline(64 * 1024)
    except OSError:
        return None
    return line if line.endswith(b"\n") else None


def read_csv(path: str | os.PathLike[str], state: ReadState, max_bytes: int) -> list[Point]:
    if check_file(path, state) is None:
        return []
    header = state.extra.get("header")
    first = _first_line(path)
    if first is None:
        return []
    if header is not None and first.decode("utf-8", "replace").rstrip("\r\n") != header:
        state.restart()  # rewritten with new columns: everything is read again
        header = None
        check_file(path, state)
    points: list[Point] = []
    for chunk in read_complete(path, state, max_bytes):
        text = chunk.decode("utf-8", "replace")
        if header is None:
            header_line, _, text = text.partition("\n")
            header = header_line.rstrip("\r")
            state.extra["header"] = header
        columns = next(csv.reader([header]))
        step_column = next((c for c in STEP_KEYS if c in columns), None)
        for row in csv.reader(io.StringIO(text)):
            if not row:
                continue
            cells = dict(zip(columns, row))
            step = to_float(cells.get(step_column, "")) if step_column else None
            for name, cell in cells.items():
                if name == step_column or name in SKIPPED_COLUMNS or cell == "":
                    continue
                value = to_float(cell)
                if value is not None:
                    points.append(Point(name, state.next_step(name, step), value, step is None))
    return points


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


def read_jsonl(path: str | os.PathLike[str], state: ReadState, max_bytes: int) -> list[Point]:
    points: list[Point] = []
    for chunk in read_complete(path, state, max_bytes):
        for line in chunk.splitlines():
            try:
                record = json.loads(line, parse_constant=lambda name: {"NaN": math.nan, "Infinity": math.inf,
                                                                        "-Infinity": -math.inf}[name])
            except ValueError:
                continue
            if not isinstance(record, dict):
                continue
            step = next((_number(record[k]) for k in STEP_KEYS if k in record), None)
            for name, value in record.items():
                number = _number(value)
                if name in STEP_KEYS or name in SKIPPED_COLUMNS or number is None:
                    continue
                points.append(Point(name, state.next_step(name, step), number, step is None))
    return points
