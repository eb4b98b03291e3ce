"""The metrics file formats snaptui reads, one registration each.

A reader is recognised by the file's name and reads what was appended since the last read (a
ReadState: offset and what else it keeps), at most `max_bytes` at a time, returning points. Adding a
format is a read function and one `register_reader` line below; the files looked for are the
`metrics.files` globs (add the format's usual name to that setting's default in config/model.py to read
it without any configuration). A job's log (its result lines) is always read, by lines.py.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from .reading import Point, ReadState
from .tabular import read_csv, read_jsonl
from .tfevents import read_tfevents

Reader = Callable[[Path, ReadState, int], list[Point]]


@dataclass(frozen=True)
class MetricsReader:
    kind: str                      # recorded with each source it reads
    matches: Callable[[str], bool]  # by the file's name
    read: Reader


READERS: dict[str, MetricsReader] = {}


def register_reader(kind: str, matches: Callable[[str], bool], read: Reader) -> None:
    READERS[kind] = MetricsReader(kind, matches, read)


def reader_for(path: Path) -> MetricsReader | None:
    """The reader of a file, by its name; None for a file no reader knows (it is skipped)."""
    return next((reader for reader in READERS.values() if reader.matches(path.name)), None)


register_reader("tfevents", lambda name: name.startswith("events.out.tfevents"), read_tfevents)
register_reader("csv", lambda name: name.endswith(".csv"), read_csv)
register_reader("jsonl", lambda name: name.endswith((".jsonl", ".ndjson")), read_jsonl)
