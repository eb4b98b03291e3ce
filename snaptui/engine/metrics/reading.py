"""Incremental reading of growing files: only bytes past the stored offset are read.

A source's `ReadState` (offset, inode, file-specific extras) is stored between calls, so
a later call, in this process or another, continues where the last one stopped. A file
that shrank or was replaced is read again from its start (`restarted` tells the caller
to drop what it stored from the old file).
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any, Iterator, NamedTuple

CHUNK = 1024 * 1024


class Point(NamedTuple):
    metric: str
    step: float
    value: float
    ordinal: bool = False   # the source gave no step: `step` is the point's place among the metric's points


@dataclass
class ReadState:
    offset: int = 0
    inode: int | None = None
    counts: dict[str, int] = field(default_factory=dict)  # points so far per metric (steps of step-less lines)
    extra: dict[str, Any] = field(default_factory=dict)   # e.g. a CSV header
    restarted: bool = False

    def next_step(self, metric: str, step: float | None) -> float:
        count = self.counts.get(metric, 0)
        self.counts[metric] = count + 1
        return float(count) if step is None else step

    def to_dict(self) -> dict[str, Any]:
        return {"offset": self.offset, "inode": self.inode, "counts": self.counts, "extra": self.extra}

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> "ReadState":
        data = data or {}
        return cls(offset=data.get("offset", 0), inode=data.get("inode"), counts=dict(data.get("counts", {})),
                   extra=dict(data.get("extra", {})))

    def restart(self) -> None:
        self.offset, self.counts, self.extra, self.restarted = 0, {}, {}, True


def check_file(path: str | os.PathLike[str], state: ReadState) -> int | None:
    """The file's size, after restarting the state if the file was replaced or truncated; None if absent."""
    try:
        stat = os.stat(path)
    except OSError:
        return None
    if state.inode is not None and (stat.st_ino != state.inode or stat.st_size < state.offset):
        state.restart()
    state.inode = stat.st_ino
    return stat.st_size


def read_complete(path: str | os.PathLike[str], state: ReadState, max_bytes: int) -> Iterator[bytes]:
    """Chunks of whole lines past the offset, advancing it; a partial last line waits for its newline."""
    size = check_file(path, state)
    if size is None or size <= state.offset:
        return
    end = min(size, state.offset + max_bytes)
    with open(path, "rb") as handle:
        handle.seek(state.offset)
        while state.offset < end:
            data = handle.read(min(CHUNK, end - state.offset))
            if not data:
                return
            cut = data.rfind(b"\n")
            if cut < 0:
                if len(data) >= CHUNK:  # one enormous line: skip it whole, it is not a result
                    state.offset += len(data)
                    continue
                return
            state.offset += cut + 1
            handle.seek(state.offset)
            yield data[:cut + 1]
