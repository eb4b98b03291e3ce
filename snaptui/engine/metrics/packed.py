"""A read-optimised copy of the points: each series' rows packed into float64 blobs of ~PACK_AT points.

Opening 100 jobs x 10,000 points read a million rows through SQLite and built four million Python
objects (2.6 s); the same curves as 400 blobs take a few numpy calls. The `points` table stays the
record (ingestion, merging, live cursors and summaries use it); `packed` holds, per (attempt, metric),
chunks that each cover every row of that series up to `last_rowid` since the previous chunk, in rowid
order. A reader takes the chunks and then only the series' rows past the last one. Whatever deletes
points of an attempt (a restarted source, a file's points replacing printed ones) drops its chunks,
and the next save packs the series again.
"""
from __future__ import annotations

import sqlite3
from typing import Iterable, Iterator

import numpy as np

PACK_AT = 256  # rows of one series left unpacked before a save packs them: bounds what a reader takes row by row

SCHEMA = """
CREATE TABLE IF NOT EXISTS packed(
    attempt_id INTEGER NOT NULL,
    metric TEXT NOT NULL,
    last_rowid INTEGER NOT NULL,
    steps BLOB NOT NULL,
    vals BLOB NOT NULL,
    PRIMARY KEY(attempt_id, metric, last_rowid)
)
"""

Arrays = tuple[np.ndarray, np.ndarray]


def pack(conn: sqlite3.Connection, attempt_id: int, metrics: Iterable[str]) -> None:
    """Pack each series' unpacked rows into a chunk once there are PACK_AT of them (in the save's transaction)."""
    for metric in metrics:
        rows = conn.execute("SELECT rowid, step, IFNULL(value, 'nan') FROM points WHERE attempt_id = ? AND metric = ?"
                            " AND rowid > ? ORDER BY rowid", (attempt_id, metric, _packed_to(conn, attempt_id, metric))
                            ).fetchall()
        if len(rows) < PACK_AT:
            continue
        table = np.array(rows, dtype=float)
        conn.execute("INSERT INTO packed(attempt_id, metric, last_rowid, steps, vals) VALUES (?,?,?,?,?)",
                     (attempt_id, metric, int(rows[-1][0]), table[:, 1].tobytes(), table[:, 2].tobytes()))


def drop(conn: sqlite3.Connection, attempt_id: int) -> None:
    """Forget an attempt's chunks: some of its points were deleted."""
    conn.execute("DELETE FROM packed WHERE attempt_id = ?", (attempt_id,))


def arrays(conn: sqlite3.Connection, attempt_ids: list[int], metric: str, up_to: int) -> dict[int, Arrays]:
    """Each attempt's series of `metric` as (steps, values) arrays in insertion order, rows up to `up_to` only
    (NaN where a value is NaN); attempts without points are left out."""
    parts: dict[int, list[Arrays]] = {}
    packed_to: dict[int, int] = {}
    for chunk in _chunks(attempt_ids):
        marks = ",".join("?" * len(chunk))
        for attempt_id, last, steps, vals in conn.execute(
                f"SELECT attempt_id, last_rowid, steps, vals FROM packed WHERE metric = ? AND attempt_id IN ({marks})"
                " AND last_rowid <= ? ORDER BY attempt_id, last_rowid", (metric, *chunk, up_to)):
            parts.setdefault(attempt_id, []).append((np.frombuffer(steps), np.frombuffer(vals)))
            packed_to[attempt_id] = last
    for attempt_id in attempt_ids:
        rows = conn.execute("SELECT step, IFNULL(value, 'nan') FROM points WHERE attempt_id = ? AND metric = ?"
                            " AND rowid > ? AND rowid <= ? ORDER BY rowid",
                            (attempt_id, metric, packed_to.get(attempt_id, 0), up_to)).fetchall()
        if rows:
            table = np.array(rows, dtype=float)
            parts.setdefault(attempt_id, []).append((table[:, 0], table[:, 1]))
    return {attempt_id: (np.concatenate([s for s, _ in found]), np.concatenate([v for _, v in found]))
            for attempt_id, found in parts.items()}


def _packed_to(conn: sqlite3.Connection, attempt_id: int, metric: str) -> int:
    row = conn.execute("SELECT MAX(last_rowid) FROM packed WHERE attempt_id = ? AND metric = ?",
                       (attempt_id, metric)).fetchone()
    return row[0] or 0


def _chunks(ids: list[int], size: int = 500) -> Iterator[list[int]]:
    for start in range(0, len(ids), size):
        yield list(ids[start:start + size])
