"""Opening snaptui's SQLite databases (the state store, the metrics store): WAL mode, shared by
every snaptui process, each waiting for the others' locks rather than failing."""
from __future__ import annotations

import os
import sqlite3
from pathlib import Path


def connect_wal(path) -> sqlite3.Connection:
    """A connection in autocommit mode on a WAL database that waits up to a minute for a lock,
    as every process sharing snaptui's databases (agent, faces, jobs) must."""
    conn = sqlite3.connect(path, timeout=60, isolation_level=None)
    try:
        conn.execute("PRAGMA busy_timeout = 60000")
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
    except sqlite3.OperationalError as exc:
        conn.close()
        raise _as_disk_full(exc, path) from exc
    return conn


def _as_disk_full(exc: sqlite3.OperationalError, path) -> BaseException:
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
