"""The state store's schema: versioned with PRAGMA user_version, one migration per version, applied
when a store opens."""
from __future__ import annotations

from contextlib import AbstractContextManager
from pathlib import Path
from typing import Callable

import sqlite3

from snaptui.engine.errors import SnaptuiError

MIGRATIONS: list[str] = [
    # 1: the first schema
    """
    CREATE TABLE sweeps(
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        name TEXT NOT NULL,
        created_at REAL NOT NULL,
        status TEXT NOT NULL,
        executor TEXT NOT NULL,
        profile TEXT NOT NULL,
        sweep_file TEXT,
        spec_json TEXT NOT NULL,
        config_json TEXT NOT NULL,
        snapshot_json TEXT,
        workdir TEXT NOT NULL,
        env_json TEXT NOT NULL,
        host TEXT,
        user TEXT
    );
    CREATE TABLE jobs(
        sweep_id INTEGER NOT NULL REFERENCES sweeps(id) ON DELETE CASCADE,
        idx INTEGER NOT NULL,
        label TEXT NOT NULL,
        params_json TEXT NOT NULL,
        argv_json TEXT NOT NULL,
        latest_attempt INTEGER,
        PRIMARY KEY(sweep_id, idx)
    );
    CREATE TABLE attempts(
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        sweep_id INTEGER NOT NULL REFERENCES sweeps(id) ON DELETE CASCADE,
        job_idx INTEGER NOT NULL,
        number INTEGER NOT NULL,
        state TEXT NOT NULL,
        executor_id TEXT,
        proc_json TEXT,
        log_dir TEXT,
        node TEXT,
        submitted_at REAL,
        started_at REAL,
        ended_at REAL,
        exit_code INTEGER,
        reason TEXT,
        results_json TEXT,
        cancel_requested INTEGER NOT NULL DEFAULT 0,
        claimed INTEGER NOT NULL DEFAULT 0,
        UNIQUE(sweep_id, job_idx, number)
    );
    CREATE INDEX attempts_by_state ON attempts(state);
    CREATE INDEX attempts_by_sweep ON attempts(sweep_id, job_idx);
    CREATE TABLE transitions(
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        attempt_id INTEGER NOT NULL,
        sweep_id INTEGER NOT NULL,
        job_idx INTEGER NOT NULL,
        old_state TEXT,
        new_state TEXT NOT NULL,
        at REAL NOT NULL,
        reason TEXT
    );
    CREATE INDEX transitions_by_sweep ON transitions(sweep_id, id);
    """,
    # 2: who is launching a sweep, and a unique tag shared by its snapshot branch and Slurm jobs,
    # so an interrupted launch can be found and finished or cleaned up
    """
    ALTER TABLE sweeps ADD COLUMN uid TEXT;
    ALTER TABLE sweeps ADD COLUMN launcher_json TEXT
    """,
    # 3: the agent's questions each tick (which attempts are started, which sweeps have queued ones, the
    # next few queued) answered from small indexes, not by reading every unfinished attempt: its cost per
    # tick follows what runs, not the length of the queue (issue 24)
    """
    CREATE INDEX attempts_started ON attempts(sweep_id)
        WHERE state IN ('PENDING','RUNNING','UNKNOWN') AND (claimed = 1 OR executor_id IS NOT NULL);
    CREATE INDEX attempts_queued ON attempts(sweep_id, id) WHERE state = 'PENDING' AND claimed = 0;
    CREATE INDEX attempts_by_sweep_state ON attempts(sweep_id, state)
    """,
    # 4: why an attempt ended and what it used, what a resubmission changed, a pending job's expected
    # start, attempts held back (behind a canary) and the sweep's canary
    """
    ALTER TABLE attempts ADD COLUMN cause TEXT;
    ALTER TABLE attempts ADD COLUMN detail TEXT;
    ALTER TABLE attempts ADD COLUMN usage_json TEXT;
    ALTER TABLE attempts ADD COLUMN changes_json TEXT;
    ALTER TABLE attempts ADD COLUMN expected_start REAL;
    ALTER TABLE attempts ADD COLUMN held INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE sweeps ADD COLUMN canary_json TEXT
    """,
]
SCHEMA_VERSION = len(MIGRATIONS)


def migrate(conn: sqlite3.Connection, write: Callable[[], AbstractContextManager[sqlite3.Connection]],
            path: Path) -> None:
    """Bring the store at ``path`` to SCHEMA_VERSION; ``write`` opens a write transaction on ``conn``."""
    if conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION:
        return  # the usual case: opening the store writes nothing (it must open on a full disk)
    with write() as conn:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise SnaptuiError(f"{path} was written by a newer snaptui (schema {version}); upgrade snaptui")
        for number in range(version, SCHEMA_VERSION):
            for statement in MIGRATIONS[number].split(";"):
                if statement.strip():
                    conn.execute(statement)
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
