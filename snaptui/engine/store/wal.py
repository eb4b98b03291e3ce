"""snaptui's SQLite databases (the state store, the metrics store): WAL mode, shared by every snaptui
process, each waiting for the others' locks rather than failing; one connection per thread, and one
write transaction."""
from __future__ import annotations

import os
import sqlite3
import threading
import time
import contextlib
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

def connect_wal(path: str | os.PathLike[str]) -> sqlite3.Connection:
    """A connection in autocommit mode on a WAL database that waits up to a minute for a lock,
    as every process sharing snaptui's databases (agent, faces, jobs) must."""
    conn = sqlite3.connect(path, timeout=60, isolation_level=None)
    try:
        conn.execute("PRAGMA busy_timeout = 60000")
        _enter_wal(conn)
        conn.execute("PRAGMA synchronous = NORMAL")
    except sqlite3.OperationalError as exc:
        conn.close()
        raise _as_disk_full(exc, path) from exc
    return conn


def _enter_wal(conn: sqlite3.Connection, patience_s: float = 60.0) -> None:
    """Switch a new database to WAL. The switch needs the database to itself, and SQLite answers
    "database is locked" at once, without waiting on busy_timeout, when another process is opening
    the same new file (two launches in the same second): wait and try again, as busy_timeout would."""
    deadline = time.monotonic() + patience_s
    delay = 0.01
    while True:
        try:
            if conn.execute("PRAGMA journal_mode").fetchone()[0].lower() == "wal":
                return
            if conn.execute("PRAGMA journal_mode = WAL").fetchone()[0].lower() == "wal":
                return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
        else:
            if time.monotonic() > deadline:
                raise sqlite3.OperationalError("database is locked: it could not be switched to WAL mode")
        time.sleep(delay)
        delay = min(delay * 2, 0.5)


def _as_disk_full(exc: sqlite3.OperationalError, path: str | os.PathLike[str]) -> BaseException:
    """SQLite reports a full disk while it grows the WAL index (-shm) as a bare "disk I/O error";
    name it for what it is when the database's filesystem has no room left."""
    if "disk I/O error" not in str(exc):
        return exc
    try:
        fs = os.statvfs(Path(path).parent)
    except OSError:
        return exc
    if fs.f_bavail * fs.f_frsize >= 1024 * 1024:
        return exc
    import errno
    return OSError(errno.ENOSPC, f"no space left for {path} ({exc})")


LOCKED_RETRY_DELAYS_S = (0.05, 0.1, 0.2, 0.5, 1, 2)


@contextmanager
def write_transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """Holds the write lock from its start (BEGIN IMMEDIATE: no upgrade deadlocks), retrying a
    "database is locked" that outlived busy_timeout a few times; commits, or rolls back on any error
    (also a failed COMMIT, e.g. a full disk: a transaction is never left open)."""
    for delay in (*LOCKED_RETRY_DELAYS_S, None):
        try:
            conn.execute("BEGIN IMMEDIATE")
            break
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or delay is None:
                raise
            time.sleep(delay)
    try:
        yield conn
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


class WalDatabase:
    """A database file with one connection per thread (a sqlite3 connection must stay in its thread)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._local = threading.local()

    def _configure(self, conn: sqlite3.Connection) -> None:
        """Settings a subclass gives each new connection."""

    @property
    def conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = connect_wal(self.path)
            self._configure(conn)
            self._local.conn = conn
        return conn

    def data_version(self) -> int:
        """A number that changes whenever another connection commits to the database (SQLite's
        data_version: read from shared memory, no table is read)."""
        return int(self.conn.execute("PRAGMA data_version").fetchone()[0])

    def wait_for_commit(self, since: int, timeout_s: float, probe_s: float = 0.01) -> int:
        """Wait until another connection commits (data_version moves from `since`) or `timeout_s` passes;
        returns the data_version then. A probe costs microseconds; waiting on it replaces a sleep of
        `timeout_s`, so a waiter sees an end within `probe_s` of its being recorded."""
        deadline = time.monotonic() + timeout_s
        while True:
            version = self.data_version()
            left = deadline - time.monotonic()
            if version != since or left <= 0:
                return version
            time.sleep(min(probe_s, left))

    def write(self) -> contextlib.AbstractContextManager[sqlite3.Connection]:
        """A write transaction on this thread's connection (see write_transaction)."""
        return write_transaction(self.conn)

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None
