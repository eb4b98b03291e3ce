"""A read-optimised copy of the points: each series' rows packed into float64 blobs of ~PACK_AT points.

Opening 100 jobs x 10,000 points read a million rows through SQLite and built four million Python
objects (2.6 s); the same curves as 400 blobs take a few numpy calls. The `points` table stays the
record (ingestion, merging, live cursors and summaries use it); `packed` holds, per (attempt, metric),
chunks that each cover every row of that series up to `last_rowid` since the previous chunk, in rowid
order. A reader takes the chunks and then only the series' rows past the last one. Whatever deletes
points of an attempt (a restarted source, a file's points replacing printed ones) drops its chunks,
and the next save packs the series again.

Each chunk also keeps what a table shows of it (its points, highest step, the value written last at
that step, lowest and highest finite value), so a series' summary is a few numbers a chunk instead of
its points: `snaptui metrics`' table of 100 x 10,000 points reads 100 rows and imports no numpy.
Chunks packed before these columns have them NULL and are summarised from their blobs.
"""
from __future__ import annotations

import math
import sqlite3
from array import array
from typing import TYPE_CHECKING, Any, Iterable, Iterator, NamedTuple, Sequence

if TYPE_CHECKING:
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
STAT_COLUMNS = ("n INTEGER", "max_step REAL", "final REAL", "lo REAL", "hi REAL")  # added to older files

Arrays = tuple["np.ndarray", "np.ndarray"]
Columns = tuple["array[float]", "array[float]"]  # steps and values as array('d'): read without importing numpy


class Stats(NamedTuple):
    """What a table shows of some consecutive points of a series (see `stats`)."""
    n: int
    max_step: float
    final: float          # the value written last at max_step (NaN stays NaN)
    lo: float | None      # lowest and highest finite value; None when none is finite
    hi: float | None


def stats(steps: Sequence[float], values: Sequence[float]) -> Stats:
    """Stats of points in insertion order (at least one)."""
    top = max(steps)
    at = len(steps) - 1 - list(reversed(steps)).index(top) if steps[-1] != top else len(steps) - 1
    finite = [v for v in values if math.isfinite(v)]
    return Stats(len(values), top, values[at], min(finite, default=None), max(finite, default=None))


def merged(parts: Sequence[Stats]) -> Stats:
    """The stats of consecutive parts of one series, in insertion order, as one."""
    top = max(part.max_step for part in parts)
    final = next(part.final for part in reversed(parts) if part.max_step == top)
    lows = [part.lo for part in parts if part.lo is not None]
    highs = [part.hi for part in parts if part.hi is not None]
    return Stats(sum(part.n for part in parts), top, final, min(lows, default=None), max(highs, default=None))


def pack(conn: sqlite3.Connection, attempt_id: int, metrics: Iterable[str]) -> None:
    """Pack each series' unpacked rows into a chunk once there are PACK_AT of them (in the save's transaction)."""
    for metric in metrics:
        rows = conn.execute("SELECT rowid, step, IFNULL(value, 'nan') FROM points WHERE attempt_id = ? AND metric = ?"
                            " AND rowid > ? ORDER BY rowid", (attempt_id, metric, _packed_to(conn, attempt_id, metric))
                            ).fetchall()
        if len(rows) < PACK_AT:
            continue
        steps = array("d", [float(row[1]) for row in rows])
        values = array("d", [float(row[2]) for row in rows])  # 'nan' (a NULL) reads as NaN
        n, max_step, final, lo, hi = stats(steps, values)
        conn.execute("INSERT INTO packed(attempt_id, metric, last_rowid, steps, vals, n, max_step, final, lo, hi)"
                     " VALUES (?,?,?,?,?,?,?,?,?,?)", (attempt_id, metric, int(rows[-1][0]), steps.tobytes(),
                                                       values.tobytes(), n, max_step, final, lo, hi))


def drop(conn: sqlite3.Connection, attempt_id: int) -> None:
    """Forget an attempt's chunks: some of its points were deleted."""
    conn.execute("DELETE FROM packed WHERE attempt_id = ?", (attempt_id,))


def arrays(conn: sqlite3.Connection, attempt_ids: list[int], metric: str, up_to: int) -> dict[int, Arrays]:
    """Each attempt's series of `metric` as (steps, values) arrays in insertion order, rows up to `up_to` only
    (NaN where a value is NaN); attempts without points are left out. numpy views on `columns`' buffers."""
    import numpy as np

    return {attempt_id: (np.frombuffer(steps), np.frombuffer(values))
            for attempt_id, (steps, values) in columns(conn, attempt_ids, metric, up_to).items()}


def columns(conn: sqlite3.Connection, attempt_ids: list[int], metric: str, up_to: int) -> dict[int, Columns]:
    """As `arrays`, in the standard library's array('d'): each chunk's bytes appended once, no numpy."""
    found: dict[int, Columns] = {}
    packed_to: dict[int, int] = {}
    for chunk in _chunks(attempt_ids):
        marks = ",".join("?" * len(chunk))
        for attempt_id, last, steps, vals in conn.execute(
                f"SELECT attempt_id, last_rowid, steps, vals FROM packed WHERE metric = ? AND attempt_id IN ({marks})"
                " AND last_rowid <= ? ORDER BY attempt_id, last_rowid", (metric, *chunk, up_to)):
            into = found.setdefault(attempt_id, (array("d"), array("d")))
            into[0].frombytes(steps)
            into[1].frombytes(vals)
            packed_to[attempt_id] = last
    for attempt_id in attempt_ids:
        rows = _rows_past(conn, attempt_id, metric, packed_to.get(attempt_id, 0), up_to)
        if rows:
            into = found.setdefault(attempt_id, (array("d"), array("d")))
            into[0].extend(float(row[0]) for row in rows)
            into[1].extend(float(row[1]) for row in rows)
    return found


def summaries(conn: sqlite3.Connection, attempt_ids: list[int], metric: str, up_to: int) -> dict[int, Stats]:
    """Each attempt's stats of `metric`, rows up to `up_to`, from its chunks' stats and the rows past them
    (a chunk without stats, packed by an older snaptui, from its blob); attempts without points left out."""
    parts: dict[int, list[Stats]] = {}
    packed_to: dict[int, int] = {}
    for chunk in _chunks(attempt_ids):
        marks = ",".join("?" * len(chunk))
        for attempt_id, last, n, max_step, final, lo, hi, steps, vals in conn.execute(
                "SELECT attempt_id, last_rowid, n, max_step, final, lo, hi, CASE WHEN n IS NULL THEN steps END,"
                f" CASE WHEN n IS NULL THEN vals END FROM packed WHERE metric = ? AND attempt_id IN ({marks})"
                " AND last_rowid <= ? ORDER BY attempt_id, last_rowid", (metric, *chunk, up_to)):
            if n is None:
                part = stats(array("d", steps), array("d", vals))
            else:
                part = Stats(n, max_step, math.nan if final is None else final, lo, hi)
            parts.setdefault(attempt_id, []).append(part)
            packed_to[attempt_id] = last
    for attempt_id in attempt_ids:
        rows = _rows_past(conn, attempt_id, metric, packed_to.get(attempt_id, 0), up_to)
        if rows:
            parts.setdefault(attempt_id, []).append(stats([float(r[0]) for r in rows], [float(r[1]) for r in rows]))
    return {attempt_id: merged(found) for attempt_id, found in parts.items()}


def _rows_past(conn: sqlite3.Connection, attempt_id: int, metric: str, after: int, up_to: int) -> list[Any]:
    """An attempt's (step, value) rows of `metric` not packed yet: rowids in (after, up_to], NULL values as NaN."""
    return conn.execute("SELECT step, IFNULL(value, 'nan') FROM points WHERE attempt_id = ? AND metric = ?"
                        " AND rowid > ? AND rowid <= ? ORDER BY rowid", (attempt_id, metric, after, up_to)).fetchall()


def _packed_to(conn: sqlite3.Connection, attempt_id: int, metric: str) -> int:
    row = conn.execute("SELECT MAX(last_rowid) FROM packed WHERE attempt_id = ? AND metric = ?",
                       (attempt_id, metric)).fetchone()
    return row[0] or 0


def _chunks(ids: list[int], size: int = 500) -> Iterator[list[int]]:
    for start in range(0, len(ids), size):
        yield list(ids[start:start + size])
