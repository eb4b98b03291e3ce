"""The one write transaction of snaptui's SQLite databases (state store and metrics store)."""
from __future__ import annotations

import sqlite3
import time
from contextlib import contextmanager
from typing import Iterator

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
