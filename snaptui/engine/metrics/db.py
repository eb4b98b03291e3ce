"""Where series live: `.snaptui/metrics.db`, beside (not inside) the state store.

A separate SQLite file because points are many and written often: ingesting a chatty
job's curves must never hold the lock that the agent needs to record job states, and
the state schema's migrations stay untouched. Rows are per attempt, so a resubmitted
attempt starts a new series and keeps the old one. NaN cannot be stored as a REAL
(SQLite turns it into NULL), so a NULL value means NaN.
"""
from __future__ import annotations

import json
import math
import os
import sqlite3
import time
from pathlib import Path
from typing import Iterable, Iterator

from snaptui.engine.store.wal import WalDatabase
from . import packed
from .reading import Point, ReadState

DB_FILENAME = "metrics.db"
SCHEMA = """
CREATE TABLE IF NOT EXISTS sources(
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    attempt_id INTEGER NOT NULL,
    path TEXT NOT NULL,
    kind TEXT NOT NULL,
    state_json TEXT NOT NULL,
    problem TEXT,
    updated_at REAL NOT NULL,
    UNIQUE(attempt_id, path)
);
CREATE TABLE IF NOT EXISTS points(
    source_id INTEGER NOT NULL,
    attempt_id INTEGER NOT NULL,
    metric TEXT NOT NULL,
    step REAL NOT NULL,
    value REAL
);
CREATE INDEX IF NOT EXISTS points_by_attempt ON points(attempt_id, metric);
CREATE TABLE IF NOT EXISTS series(
    attempt_id INTEGER NOT NULL,
    metric TEXT NOT NULL,
    PRIMARY KEY(attempt_id, metric)
);
INSERT OR IGNORE INTO series SELECT DISTINCT attempt_id, metric FROM points;
CREATE TABLE IF NOT EXISTS meta(
    key TEXT PRIMARY KEY,
    value INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS nonfinite(
    attempt_id INTEGER NOT NULL,
    metric TEXT NOT NULL,
    step REAL NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY(attempt_id, metric)
);
"""
VERSION = 6  # every statement is idempotent: an older file just gains the new tables (and columns)


class MetricsDB(WalDatabase):
    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        if not self.path.exists():
            os.close(os.open(self.path, os.O_CREAT | os.O_RDWR, 0o600))
        if self.conn.execute("PRAGMA user_version").fetchone()[0] != VERSION:
            with self.write() as conn:
                for statement in SCHEMA.split(";"):
                    if statement.strip():
                        conn.execute(statement)
                conn.execute(packed.SCHEMA)  # an older file's series are read row by row until their next save
                have = {row[1] for row in conn.execute("PRAGMA table_info(packed)")}
                for column in packed.STAT_COLUMNS:
                    if column.split()[0] not in have:
                        conn.execute(f"ALTER TABLE packed ADD COLUMN {column}")
                if "ordinal" not in {row[1] for row in conn.execute("PRAGMA table_info(points)")}:
                    conn.execute("ALTER TABLE points ADD COLUMN ordinal INTEGER NOT NULL DEFAULT 0")
                conn.execute(f"PRAGMA user_version = {VERSION}")

    # -- ingestion -----------------------------------------------------------
    def source(self, conn: sqlite3.Connection, attempt_id: int, path: str, kind: str) -> tuple[int, ReadState]:
        row = conn.execute("SELECT id, state_json FROM sources WHERE attempt_id = ? AND path = ?",
                           (attempt_id, path)).fetchone()
        if row:
            return row[0], ReadState.from_dict(json.loads(row[1]))
        cur = conn.execute("INSERT INTO sources(attempt_id, path, kind, state_json, updated_at) VALUES (?,?,?,?,?)",
                           (attempt_id, path, kind, "{}", time.time()))
        assert cur.lastrowid is not None   # an INSERT's row id
        return cur.lastrowid, ReadState()

    def save(self, conn: sqlite3.Connection, source_id: int, attempt_id: int, state: ReadState,
             points: Iterable[Point], problem: str | None = None, *, kind: str = "log") -> int:
        """Store a source's new points and where its reading stopped; returns the number of points.

        A metric a job both prints (a result line) and writes to a metrics file is one series: the file's
        points count, and a printed point is dropped where the file has one at its step, or when the
        printed line had no step (its place among the lines is no step of the file's)."""
        if state.restarted:
            conn.execute("DELETE FROM points WHERE source_id = ?", (source_id,))
            packed.drop(conn, attempt_id)
            _new_generation(conn)  # live copies must reload
            state.restarted = False
        points = _merge(conn, attempt_id, list(points), kind)
        rows, bad = [], {}
        for metric, step, value, ordinal in points:
            finite = math.isfinite(value)
            rows.append((source_id, attempt_id, metric, step, None if math.isnan(value) else value, int(ordinal)))
            if not finite and metric not in bad:
                bad[metric] = (step, "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf"))
        conn.executemany("INSERT INTO points(source_id, attempt_id, metric, step, value, ordinal)"
                         " VALUES (?,?,?,?,?,?)", rows)
        conn.executemany("INSERT OR IGNORE INTO series(attempt_id, metric) VALUES (?,?)",
                         [(attempt_id, metric) for metric in {row[2] for row in rows}])
        conn.executemany("INSERT OR IGNORE INTO nonfinite(attempt_id, metric, step, value) VALUES (?,?,?,?)",
                         [(attempt_id, metric, step, text) for metric, (step, text) in bad.items()])
        conn.execute("UPDATE sources SET state_json = ?, problem = ?, updated_at = ? WHERE id = ?",
                     (json.dumps(state.to_dict()), problem, time.time(), source_id))
        packed.pack(conn, attempt_id, {row[2] for row in rows})
        return len(rows)

    # -- queries ---------------------------------------------------------------
    def metric_names(self, attempt_ids: list[int]) -> list[str]:
        names: set[str] = set()
        for chunk in _chunks(attempt_ids):
            marks = ",".join("?" * len(chunk))
            names.update(r[0] for r in self.conn.execute(
                f"SELECT DISTINCT metric FROM series WHERE attempt_id IN ({marks})", chunk))
        return sorted(names)

    def series(self, attempt_id: int, metric: str) -> tuple[list[float], list[float]]:
        steps: list[float] = []
        values: list[float] = []
        for step, value in self.conn.execute(
                "SELECT step, value FROM points WHERE attempt_id = ? AND metric = ? ORDER BY step, rowid",
                (attempt_id, metric)):
            steps.append(step)
            values.append(math.nan if value is None else value)
        return steps, values

    def generation(self) -> int:
        row = self.conn.execute("SELECT value FROM meta WHERE key = 'generation'").fetchone()
        return row[0] if row else 0

    def last_rowid(self) -> int:
        return int(self.conn.execute("SELECT COALESCE(MAX(rowid), 0) FROM points").fetchone()[0])

    def arrays(self, attempt_ids: list[int], metric: str, up_to: int) -> dict[int, packed.Arrays]:
        """Each attempt's series as (steps, values) arrays in insertion order, rows up to `up_to` (see packed)."""
        return packed.arrays(self.conn, attempt_ids, metric, up_to)

    def summaries(self, attempt_ids: list[int], metric: str, up_to: int) -> dict[int, packed.Stats]:
        """Each attempt's points, highest step, final, lowest and highest finite value (see packed)."""
        return packed.summaries(self.conn, attempt_ids, metric, up_to)

    def rows_after(self, rowid: int, metric: str) -> list[tuple[int, int, float, float | None]]:
        return self.conn.execute("SELECT rowid, attempt_id, step, value FROM points WHERE rowid > ? AND metric = ?"
                                 " ORDER BY rowid", (rowid, metric)).fetchall()

    def aggregate(self, attempt_ids: list[int], metric: str, mode: str, last_n: int = 10,
                  higher_is_better: bool = False) -> dict[int, float]:
        """One value per attempt in one query: final (NaN stays NaN), best or mean of the last N finite-or-NaN
        points (NaN counts as missing, as in Series)."""
        if mode == "final":
            inner = ("SELECT attempt_id, value FROM points WHERE rowid IN (SELECT MAX(rowid) FROM points"
                     " WHERE metric = ? AND attempt_id IN ({marks}) GROUP BY attempt_id)")
        elif mode == "best":
            inner = (f"SELECT attempt_id, {'MAX' if higher_is_better else 'MIN'}(value) FROM points"
                     " WHERE metric = ? AND attempt_id IN ({marks}) AND value IS NOT NULL"
                     " AND abs(value) < 1e308 GROUP BY attempt_id")
        elif mode == "mean_last":
            inner = ("SELECT attempt_id, AVG(value) FROM (SELECT attempt_id, value, ROW_NUMBER() OVER"
                     " (PARTITION BY attempt_id ORDER BY rowid DESC) AS n FROM points WHERE metric = ?"
                     " AND attempt_id IN ({marks})) WHERE n <= ? AND abs(value) < 1e308 GROUP BY attempt_id")
        else:
            raise ValueError(f"unknown summary {mode!r}")
        found: dict[int, float] = {}
        for chunk in _chunks(attempt_ids):
            marks = ",".join("?" * len(chunk))
            args = [metric, *chunk] + ([last_n] if mode == "mean_last" else [])
            for attempt_id, value in self.conn.execute(inner.format(marks=marks), args):
                found[attempt_id] = math.nan if value is None else value
        return found

    def nonfinite(self, attempt_ids: list[int]) -> dict[int, list[tuple[str, float, str]]]:
        found: dict[int, list[tuple[str, float, str]]] = {}
        for chunk in _chunks(attempt_ids):
            marks = ",".join("?" * len(chunk))
            for attempt_id, metric, step, value in self.conn.execute(
                    f"SELECT attempt_id, metric, step, value FROM nonfinite WHERE attempt_id IN ({marks})"
                    " ORDER BY attempt_id, step", chunk):
                found.setdefault(attempt_id, []).append((metric, step, value))
        return found

    def problems(self, attempt_ids: list[int]) -> dict[int, list[str]]:
        found: dict[int, list[str]] = {}
        for chunk in _chunks(attempt_ids):
            marks = ",".join("?" * len(chunk))
            for attempt_id, problem in self.conn.execute(
                    f"SELECT attempt_id, problem FROM sources WHERE problem IS NOT NULL AND attempt_id IN ({marks})",
                    chunk):
                found.setdefault(attempt_id, []).append(problem)
        return found


def _new_generation(conn: sqlite3.Connection) -> None:
    conn.execute("INSERT INTO meta(key, value) VALUES ('generation', 1)"
                 " ON CONFLICT(key) DO UPDATE SET value = value + 1")


_LOG_SOURCES = "SELECT id FROM sources WHERE attempt_id = ? AND kind = 'log'"


def _merge(conn: sqlite3.Connection, attempt_id: int, points: list[Point], kind: str) -> list[Point]:
    """The points of a new batch that are not already in the attempt's series from another source (see save)."""
    metrics = {p.metric for p in points}
    if kind == "log":
        in_files = {metric: {row[0] for row in conn.execute(
            "SELECT DISTINCT step FROM points WHERE attempt_id = ? AND metric = ? AND source_id NOT IN"
            f" ({_LOG_SOURCES})", (attempt_id, metric, attempt_id))} for metric in metrics}
        return [p for p in points if not (in_files[p.metric] and (p.ordinal or p.step in in_files[p.metric]))]
    removed = 0
    for metric in metrics:
        removed += conn.execute(f"DELETE FROM points WHERE attempt_id = ? AND metric = ? AND ordinal = 1"
                                f" AND source_id IN ({_LOG_SOURCES})", (attempt_id, metric, attempt_id)).rowcount
        steps = sorted({p.step for p in points if p.metric == metric and not p.ordinal})
        for start in range(0, len(steps), 500):
            chunk = steps[start:start + 500]
            removed += conn.execute(
                f"DELETE FROM points WHERE attempt_id = ? AND metric = ? AND source_id IN ({_LOG_SOURCES})"
                f" AND step IN ({','.join('?' * len(chunk))})", (attempt_id, metric, attempt_id, *chunk)).rowcount
    if removed:
        packed.drop(conn, attempt_id)
        _new_generation(conn)
    return points


def _chunks(ids: list[int], size: int = 500) -> Iterator[list[int]]:
    for start in range(0, len(ids), size):
        yield list(ids[start:start + size])
