"""The state store: SQLite in WAL mode under <repo>/.snaptui/, shared by every snaptui process.

Writers take the lock up front (BEGIN IMMEDIATE) and wait for each other through
busy_timeout, so concurrent TUI, batch and agent processes never see "database is
locked". The schema and its migrations are in schema.py, reading rows back as models in
rows.py.
"""
from __future__ import annotations

import json
import os
import sqlite3
import time
from pathlib import Path
from typing import Any, Callable, Iterable

from snaptui.engine.errors import SnaptuiError, StoreUnusable
from snaptui.engine.models import Attempt, Event, Job, JobLine, Sweep, loads
from snaptui.engine.states import JobState
from .history import History
from .rows import attempt_from, job_from, jobs_from, sweep_from
from .schema import migrate
from .wal import WalDatabase

STATE_DIRNAME = ".snaptui"
DB_FILENAME = "state.db"

_JSON_FIELDS = {"results": "results_json", "proc": "proc_json", "usage": "usage_json", "changes": "changes_json"}
_ATTEMPT_FIELDS = {"executor_id", "log_dir", "node", "submitted_at", "started_at", "ended_at", "exit_code", "reason",
                   "claimed", "cause", "detail", "expected_start", "held", *_JSON_FIELDS}


RECORD_TRANSITION = ("INSERT INTO transitions(attempt_id, sweep_id, job_idx, old_state, new_state, at, reason)"
                     " VALUES (?,?,?,?,?,?,?)")
CANCEL_BATCH = 500   # attempts per transaction of a cancel (SQLite's limit on ? parameters is 32,766)


def attempt_columns(fields: dict[str, Any]) -> dict[str, Any]:
    """Attempt fields as the columns that hold them (JSON ones encoded)."""
    return {_JSON_FIELDS.get(k, k): (json.dumps(v) if k in _JSON_FIELDS and v is not None else v)
            for k, v in fields.items()}


def state_dir(repo_root: Path) -> Path:
    return Path(repo_root) / STATE_DIRNAME


JobRow = tuple[int, str, dict[str, Any], list[str]]   # a new job: its index, label, parameters and argv
Document = dict[str, Any]   # a JSON object kept whole (a sweep's spec, config, snapshot; a canary)

REBUILD_HINT = "`snaptui recover --rebuild` rebuilds it from the sweeps' records, job folders and snapshot branches"


class Store(WalDatabase):
    """Thread-safe handle on one repository's store (one SQLite connection per thread).

    A store is made only where no sweep was ever launched (history.py): a missing, emptied or
    damaged one is refused (StoreUnusable), unless `new_history` (a rebuild) asks for a fresh one.
    """

    def __init__(self, path: Path, *, new_history: bool = False):
        super().__init__(path)
        self.history = History(self.path.parent)
        try:
            self._open(new_history)
        except sqlite3.DatabaseError as exc:
            self.close()
            raise self.unusable(exc) from None
        except PermissionError as exc:
            raise StoreUnusable(f"the store {self.path} cannot be opened ({exc.strerror}); nothing was read "
                                f"or changed") from None

    def _open(self, new_history: bool) -> None:
        if not self.path.parent.is_dir():
            self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            if self.path.parent.name == STATE_DIRNAME:
                from snaptui.engine.gitrepo import exclude_state_dir  # GitPython only on this first creation
                exclude_state_dir(self.path.parent.parent)
        empty = not self.path.exists() or self.path.stat().st_size == 0
        if empty and not new_history:
            self._refuse_if_lost("missing" if not self.path.exists() else "empty")
        if not self.path.exists():
            fd = os.open(self.path, os.O_CREAT | os.O_RDWR, 0o600)
            os.close(fd)
        stat = self.path.stat()
        if stat.st_uid != os.getuid():
            raise StoreUnusable(f"{self.path} belongs to another user; refusing to use it")
        self._identity = (stat.st_dev, stat.st_ino)
        if not new_history and self.conn.execute("PRAGMA user_version").fetchone()[0] == 0:
            self._refuse_if_lost("empty")  # a blank database put in its place
        migrate(self.conn, self.write, self.path)
        if not new_history:
            self._check_complete()
        self.history.ensure_marker(self._last_issued())

    def _check_complete(self) -> None:
        """Every sweep with a launch record has its row: a store emptied under a running agent can come
        back from its WAL as a valid but emptier database, which must not pass for the real one."""
        recorded = set(self.history.record_ids())
        if not recorded:
            return
        present = {row[0] for row in self.conn.execute("SELECT id FROM sweeps")}
        missing = sorted(recorded - present)
        if missing:
            shown = ", ".join(map(str, missing[:5])) + (" ..." if len(missing) > 5 else "")
            raise StoreUnusable(f"the store {self.path} lacks sweeps {shown} that were launched here (their "
                                f"records are in {self.history.records_dir}): it was emptied or replaced; "
                                f"{REBUILD_HINT}")

    def _refuse_if_lost(self, how: str) -> None:
        why = self.history.evidence()
        if why:
            raise StoreUnusable(f"the store {self.path} is {how}, but {why}: snaptui will not start a new "
                                f"history over it; {REBUILD_HINT}")

    def unusable(self, exc: BaseException) -> StoreUnusable:
        """One line for a store SQLite cannot read or write (damaged, read-only, immutable)."""
        text = str(exc)
        if "readonly" in text or "read-only" in text:
            return StoreUnusable(f"the store {self.path} cannot be written ({text}); make it writable again "
                                 f"(nothing was changed)")
        return StoreUnusable(f"the store {self.path} is damaged ({text}); {REBUILD_HINT} "
                             f"(the damaged file is kept aside)")

    def check_intact(self) -> None:
        """Raise StoreUnusable if the file this handle opened was deleted, replaced or emptied since:
        a long-lived process (the agent) must not go on writing into a store nobody else sees.
        (A stat only: opening the database file besides SQLite's own handle and closing it again would
        drop SQLite's POSIX locks, and another process would then delete the WAL under us.)"""
        try:
            stat = os.stat(self.path)
        except FileNotFoundError:
            raise StoreUnusable(f"the store {self.path} was deleted while in use; {REBUILD_HINT}") from None
        if (stat.st_dev, stat.st_ino) != self._identity:
            raise StoreUnusable(f"the store {self.path} was replaced while in use; {REBUILD_HINT}")
        if stat.st_size == 0:
            raise StoreUnusable(f"the store {self.path} was emptied while in use; {REBUILD_HINT}")

    def _last_issued(self) -> int:
        row = self.conn.execute("SELECT seq FROM sqlite_sequence WHERE name = 'sweeps'").fetchone()
        return int(row[0]) if row else 0

    @classmethod
    def for_repo(cls, repo_root: Path) -> "Store":
        return cls(state_dir(repo_root) / DB_FILENAME)

    def _configure(self, conn: sqlite3.Connection) -> None:
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA foreign_keys = ON")

    # -- sweeps -------------------------------------------------------------
    def create_sweep(self, *, name: str, executor: str, profile: str, sweep_file: str | None,
                     spec: Document, config: Document, snapshot: Document | None, workdir: str,
                     env: dict[str, str], jobs: Iterable[JobRow] | Callable[[int], Iterable[JobRow]],
                     uid: str | None = None, launcher: Document | None = None, canary: Document | None = None) -> int:
        """Record a sweep in state 'launching' with one PENDING attempt per job (``jobs`` may be a function
        of the new sweep's id, for argv that name it). With a `canary` ({"job": 0, "after_s": 60}), every
        other job is held until it has run that long (executors/canary.py)."""
        now = time.time()
        record = dict(name=name, created_at=now, status="launching", executor=executor, profile=profile,
                      sweep_file=sweep_file, spec=spec, config=config, snapshot=snapshot, workdir=workdir, env=env,
                      host=os.uname().nodename, user=_user(), uid=uid, launcher=launcher)
        with self.write() as conn:
            # The id is reserved outside the database first (history.py): never issued twice, even
            # if this store is lost and rebuilt.
            sweep_id = max(self._last_issued(), self.history.last_sweep_id()) + 1
            self.history.reserve(sweep_id)
            conn.execute(
                "INSERT INTO sweeps(id, name, created_at, status, executor, profile, sweep_file, spec_json,"
                " config_json, snapshot_json, workdir, env_json, host, user, uid, launcher_json)"
                " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (sweep_id, name, now, "launching", executor, profile, sweep_file, json.dumps(spec), json.dumps(config),
                 json.dumps(snapshot) if snapshot else None, workdir, json.dumps(env),
                 record["host"], record["user"], uid, json.dumps(launcher) if launcher else None))
            _insert_jobs(conn, sweep_id, list(jobs(sweep_id) if callable(jobs) else jobs), now, "launched")
            if canary is not None:
                conn.execute("UPDATE sweeps SET canary_json = ? WHERE id = ?",
                             (json.dumps({**canary, "state": "waiting"}), sweep_id))
                conn.execute("UPDATE attempts SET held = 1, reason = ? WHERE sweep_id = ? AND job_idx != ?",
                             (f"held: waiting for the canary {sweep_id}/{canary['job']}", sweep_id, canary["job"]))
        self.history.write_record(sweep_id, record)  # after the row: a record always has its row (_check_complete)
        return sweep_id

    def restore_sweep(self, sweep_id: int, record: Document, jobs: list[JobRow],
                      attempts: list[dict[str, Any]], reason: str) -> None:
        """Write a sweep rebuilt from outside the database (verbs/rebuild.py) under its own id: `record`
        as history.py keeps it, `attempts` as dicts of attempt columns (job_idx, number, state, ...)."""
        now = time.time()
        launcher = record.get("launcher")
        with self.write() as conn:
            conn.execute(
                "INSERT INTO sweeps(id, name, created_at, status, executor, profile, sweep_file, spec_json,"
                " config_json, snapshot_json, workdir, env_json, host, user, uid, launcher_json)"
                " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (sweep_id, record["name"], record["created_at"], record["status"], record["executor"],
                 record["profile"], record.get("sweep_file"), json.dumps(record.get("spec") or {}),
                 json.dumps(record.get("config") or {}),
                 json.dumps(record["snapshot"]) if record.get("snapshot") else None, record["workdir"],
                 json.dumps(record.get("env") or {}), record.get("host"), record.get("user"), record.get("uid"),
                 json.dumps(launcher) if launcher else None))
            conn.executemany("INSERT INTO jobs(sweep_id, idx, label, params_json, argv_json) VALUES (?,?,?,?,?)",
                             [(sweep_id, idx, label, json.dumps(params), json.dumps(argv))
                              for idx, label, params, argv in jobs])
            for attempt in attempts:
                columns = attempt_columns(attempt)
                columns["sweep_id"] = sweep_id
                marks = ",".join("?" * len(columns))
                cur = conn.execute(f"INSERT INTO attempts({', '.join(columns)}) VALUES ({marks})",
                                   tuple(columns.values()))
                conn.execute("INSERT INTO transitions(attempt_id, sweep_id, job_idx, old_state, new_state, at, reason)"
                             " VALUES (?,?,?,NULL,?,?,?)", (cur.lastrowid, sweep_id, attempt["job_idx"],
                                                            attempt["state"], now, reason))
            conn.execute("UPDATE jobs SET latest_attempt = (SELECT id FROM attempts a WHERE a.sweep_id = jobs.sweep_id"
                         " AND a.job_idx = jobs.idx ORDER BY a.number DESC LIMIT 1) WHERE sweep_id = ?", (sweep_id,))

    def add_jobs(self, sweep_id: int, jobs: Iterable[JobRow], spec: Document) -> list[int]:
        """Append jobs (indexes after the sweep's last) with one PENDING attempt each, and the sweep's spec
        that now describes them; returns the new attempts' ids in the jobs' order."""
        rows = list(jobs)
        with self.write() as conn:
            last = conn.execute("SELECT COALESCE(MAX(idx), -1) FROM jobs WHERE sweep_id = ?", (sweep_id,)).fetchone()[0]
            if rows and rows[0][0] != last + 1:
                raise SnaptuiError(f"jobs added to sweep {sweep_id} must start at index {last + 1}, not {rows[0][0]}")
            conn.execute("UPDATE sweeps SET spec_json = ? WHERE id = ?", (json.dumps(spec), sweep_id))
            _insert_jobs(conn, sweep_id, rows, time.time(), "added to the sweep", after=last)
            ids = conn.execute("SELECT id FROM attempts WHERE sweep_id = ? AND job_idx > ? ORDER BY job_idx",
                               (sweep_id, last)).fetchall()
        self.history.update_record(sweep_id, spec=spec)
        return [row[0] for row in ids]

    def remove_jobs(self, sweep_id: int, first_index: int, spec: Document) -> None:
        """Forget jobs from ``first_index`` on, with the spec from before they were added (only to roll back
        an addition that failed)."""
        with self.write() as conn:
            conn.execute("UPDATE sweeps SET spec_json = ? WHERE id = ?", (json.dumps(spec), sweep_id))
            for table, column in (("transitions", "job_idx"), ("attempts", "job_idx"), ("jobs", "idx")):
                conn.execute(f"DELETE FROM {table} WHERE sweep_id = ? AND {column} >= ?", (sweep_id, first_index))
        self.history.update_record(sweep_id, spec=spec)

    def set_sweep_code(self, sweep_id: int, *, snapshot: Document | None, workdir: str, env: dict[str, str]) -> None:
        """Where a launching sweep's code is, once its snapshot exists."""
        self.history.update_record(sweep_id, snapshot=snapshot, workdir=workdir, env=env)
        with self.write() as conn:
            conn.execute("UPDATE sweeps SET snapshot_json = ?, workdir = ?, env_json = ? WHERE id = ?",
                         (json.dumps(snapshot) if snapshot else None, workdir, json.dumps(env), sweep_id))

    def set_sweep_status(self, sweep_id: int, status: str) -> None:
        self.history.update_record(sweep_id, status=status)
        with self.write() as conn:
            conn.execute("UPDATE sweeps SET status = ? WHERE id = ?", (status, sweep_id))

    def delete_sweep(self, sweep_id: int) -> None:
        """Forget a launch that did not happen (used only to roll back a failed launch)."""
        self.history.forget(sweep_id)  # before the row, for the same reason
        with self.write() as conn:
            conn.execute("DELETE FROM transitions WHERE sweep_id = ?", (sweep_id,))
            conn.execute("DELETE FROM attempts WHERE sweep_id = ?", (sweep_id,))
            conn.execute("DELETE FROM jobs WHERE sweep_id = ?", (sweep_id,))
            conn.execute("DELETE FROM sweeps WHERE id = ?", (sweep_id,))

    def sweep_env(self, sweep_id: int) -> dict[str, str]:
        row = self.conn.execute("SELECT env_json FROM sweeps WHERE id = ?", (sweep_id,)).fetchone()
        return loads(row["env_json"], {}) if row else {}

    def sweeps(self, *, statuses: tuple[str, ...] = ("active",)) -> list[Sweep]:
        marks = ",".join("?" * len(statuses))
        rows = self.conn.execute(f"SELECT * FROM sweeps WHERE status IN ({marks}) ORDER BY id DESC",
                                 statuses).fetchall()
        counts = self._counts([r["id"] for r in rows])
        return [sweep_from(r, counts.get(r["id"], ({}, None))) for r in rows]

    def sweeps_stamp(self) -> tuple[int, int]:
        """Changes when a sweep is listed or no longer is (a launch ending, a forget): a change with no job event."""
        count, ids = self.conn.execute("SELECT COUNT(*), COALESCE(SUM(id), 0) FROM sweeps WHERE status = 'active'"
                                       ).fetchone()
        return int(count), int(ids)

    def sweep(self, sweep_id: int) -> Sweep | None:
        row = self.conn.execute("SELECT * FROM sweeps WHERE id = ?", (sweep_id,)).fetchone()
        return sweep_from(row, self._counts([sweep_id]).get(sweep_id, ({}, None))) if row else None

    def find_sweep(self, name: str) -> Sweep | None:
        row = self.conn.execute("SELECT id FROM sweeps WHERE name = ? AND status = 'active' ORDER BY id DESC"
                                " LIMIT 1", (name,)).fetchone()
        return self.sweep(row["id"]) if row else None

    def _counts(self, sweep_ids: list[int]) -> dict[int, tuple[dict[JobState, int], float | None]]:
        if not sweep_ids:
            return {}
        marks = ",".join("?" * len(sweep_ids))
        out: dict[int, tuple[dict[JobState, int], float | None]] = {}
        for row in self.conn.execute(
                f"SELECT a.sweep_id, a.state, COUNT(*) AS n, MAX(a.ended_at) AS ended FROM jobs j"
                f" JOIN attempts a ON a.id = j.latest_attempt WHERE j.sweep_id IN ({marks})"
                f" GROUP BY a.sweep_id, a.state", sweep_ids):
            counts, ended = out.get(row["sweep_id"], ({}, None))
            counts[JobState(row["state"])] = row["n"]
            ended = max(filter(None, (ended, row["ended"])), default=None)
            out[row["sweep_id"]] = (counts, ended)
        return out

    # -- jobs and attempts --------------------------------------------------
    def jobs(self, sweep_id: int, after: int = -1, limit: int = -1) -> list[Job]:
        """The sweep's jobs by index; `after`/`limit` read a page (jobs with index > after, at most limit)."""
        return jobs_from(self._plain().execute(
            "SELECT j.sweep_id, j.idx, j.label, j.params_json, j.argv_json, a.* FROM jobs j"
            " JOIN attempts a ON a.id = j.latest_attempt WHERE j.sweep_id = ? AND j.idx > ? ORDER BY j.idx LIMIT ?",
            (sweep_id, after, limit)))

    def _plain(self) -> sqlite3.Cursor:
        """A cursor yielding plain tuples: name lookups on sqlite3.Row cost more than the query."""
        cursor = self.conn.cursor()
        cursor.row_factory = None
        return cursor

    def job(self, sweep_id: int, index: int) -> Job | None:
        row = self.conn.execute(
            "SELECT j.sweep_id, j.idx, j.label, j.params_json, j.argv_json, a.* FROM jobs j"
            " JOIN attempts a ON a.id = j.latest_attempt WHERE j.sweep_id = ? AND j.idx = ?",
            (sweep_id, index)).fetchone()
        return job_from(row) if row else None

    def jobs_by_index(self, sweep_id: int, indexes: list[int]) -> list[Job]:
        """Some jobs of a sweep in one query (the TUI refetches only the jobs an event named)."""
        found: list[Job] = []
        for start in range(0, len(indexes), 500):  # SQLite caps the number of bound parameters
            chunk = indexes[start:start + 500]
            marks = ",".join("?" * len(chunk))
            found += jobs_from(self._plain().execute(
                "SELECT j.sweep_id, j.idx, j.label, j.params_json, j.argv_json, a.* FROM jobs j"
                f" JOIN attempts a ON a.id = j.latest_attempt WHERE j.sweep_id = ? AND j.idx IN ({marks})"
                " ORDER BY j.idx", (sweep_id, *chunk)))
        return found

    def job_states(self, sweep_id: int, indexes: list[int]) -> dict[int, JobState]:
        """The states of some jobs (their latest attempts), without reading the jobs: a first screen's
        cells cost ~3 ms instead of ~25 ms for 1,800 jobs, most of it decoding their JSON columns."""
        states = {state.value: state for state in JobState}
        found: dict[int, JobState] = {}
        for start in range(0, len(indexes), 500):  # SQLite caps the number of bound parameters
            chunk = indexes[start:start + 500]
            marks = ",".join("?" * len(chunk))
            found.update((idx, states[state]) for idx, state in self._plain().execute(
                "SELECT j.idx, a.state FROM jobs j JOIN attempts a ON a.id = j.latest_attempt"
                f" WHERE j.sweep_id = ? AND j.idx IN ({marks})", (sweep_id, *chunk)))
        return found

    def attempts(self, sweep_id: int, index: int) -> list[Attempt]:
        rows = self.conn.execute("SELECT * FROM attempts WHERE sweep_id = ? AND job_idx = ? ORDER BY number",
                                 (sweep_id, index))
        return [attempt_from(r) for r in rows]

    def array_ids(self, sweep_id: int) -> set[str]:
        """The scheduler arrays a sweep's attempts were ever submitted in ("123" of "123_4")."""
        rows = self.conn.execute("SELECT DISTINCT substr(executor_id, 1, instr(executor_id, '_') - 1) FROM attempts"
                                 " WHERE sweep_id = ? AND instr(executor_id, '_') > 0", (sweep_id,))
        return {r[0] for r in rows}

    def attempt(self, attempt_id: int) -> Attempt | None:
        row = self.conn.execute("SELECT * FROM attempts WHERE id = ?", (attempt_id,)).fetchone()
        return attempt_from(row) if row else None

    def active_attempts(self, executor: str | None = None, sweep_id: int | None = None, *,
                        launched_only: bool = True) -> list[Attempt]:
        """Attempts that are not final yet; by default only of sweeps whose launch completed
        (launch, rollback and recovery pass launched_only=False for a sweep still 'launching')."""
        return [a for a, _ in self.active_attempts_with_executor(executor, sweep_id, launched_only=launched_only)]

    def active_attempts_with_executor(self, executor: str | None = None, sweep_id: int | None = None, *,
                                      launched_only: bool = True) -> list[tuple[Attempt, str]]:
        query = ("SELECT a.*, s.executor AS executor_name FROM attempts a JOIN sweeps s ON s.id = a.sweep_id"
                 " WHERE a.state IN ('PENDING','RUNNING','UNKNOWN')")
        args: list[Any] = []
        if launched_only:
            query += " AND s.status = 'active'"
        if executor:
            query += " AND s.executor = ?"
            args.append(executor)
        if sweep_id is not None:
            query += " AND a.sweep_id = ?"
            args.append(sweep_id)
        return [(attempt_from(r), r["executor_name"]) for r in self.conn.execute(query + " ORDER BY a.id", args)]

    # The agent's per-tick reads: each from a small index, whatever the length of the queue (schema 3).
    _STARTED = ("a.state IN ('PENDING','RUNNING','UNKNOWN') AND (a.claimed = 1 OR a.executor_id IS NOT NULL)")

    def started_attempts_with_executor(self, executor: str | None = None) -> list[tuple[Attempt, str]]:
        """Unfinished attempts already claimed or handed to a scheduler, of launched sweeps: what the agent
        polls (about as many as run at once)."""
        query = ("SELECT a.*, s.executor AS executor_name FROM attempts a INDEXED BY attempts_started"
                 f" JOIN sweeps s ON s.id = a.sweep_id WHERE {self._STARTED} AND s.status = 'active'")
        args: list[Any] = []
        if executor:
            query += " AND s.executor = ?"
            args.append(executor)
        return [(attempt_from(r), r["executor_name"]) for r in self.conn.execute(query + " ORDER BY a.id", args)]

    def started_attempts(self, executor: str | None = None) -> list[Attempt]:
        return [a for a, _ in self.started_attempts_with_executor(executor)]

    def queued_sweeps(self, executor: str | None = None) -> list[tuple[int, str]]:
        """(id, executor) of launched sweeps with attempts waiting to be started, oldest first."""
        query = ("SELECT s.id, s.executor FROM sweeps s WHERE s.status = 'active' AND EXISTS (SELECT 1 FROM"
                 " attempts a INDEXED BY attempts_queued WHERE a.sweep_id = s.id AND a.state = 'PENDING'"
                 " AND a.claimed = 0 AND a.held = 0)")
        args: list[Any] = []
        if executor:
            query += " AND s.executor = ?"
            args.append(executor)
        return [(r[0], r[1]) for r in self.conn.execute(query + " ORDER BY s.id", args)]

    def queued_attempts(self, sweep_id: int, limit: int) -> list[Attempt]:
        """The next `limit` attempts of a sweep waiting to be started, in order."""
        return [attempt_from(r) for r in self.conn.execute(
            "SELECT * FROM attempts INDEXED BY attempts_queued WHERE sweep_id = ? AND state = 'PENDING'"
            " AND claimed = 0 AND held = 0 ORDER BY id LIMIT ?", (sweep_id, limit))]

    def active_executors(self) -> set[str]:
        """Executors of launched sweeps with an unfinished attempt (a few index probes per sweep)."""
        return {r[0] for r in self.conn.execute(
            "SELECT DISTINCT s.executor FROM sweeps s WHERE s.status = 'active' AND EXISTS (SELECT 1 FROM"
            " attempts a WHERE a.sweep_id = s.id AND a.state IN ('PENDING','RUNNING','UNKNOWN'))")}

    def job_lines(self, sweep_id: int, after: int = -1, limit: int = -1) -> list[JobLine]:
        """A page of a sweep's jobs as listings show them (models.JobLine), in index order."""
        return list(map(JobLine._make, self._plain().execute(
            "SELECT j.idx, j.label, a.state, a.number, a.executor_id, a.node, a.started_at, a.ended_at, a.exit_code,"
            " a.reason, a.results_json, a.cause, a.detail, a.expected_start, json_extract(a.proc_json, '$.slurm_id')"
            " FROM jobs j JOIN attempts a ON a.id = j.latest_attempt"
            " WHERE j.sweep_id = ? AND j.idx > ? ORDER BY j.idx LIMIT ?", (sweep_id, after, limit)).fetchall()))

    def widest_label(self, sweep_id: int) -> int:
        return int(self.conn.execute("SELECT COALESCE(MAX(LENGTH(label)), 0) FROM jobs WHERE sweep_id = ?",
                                     (sweep_id,)).fetchone()[0])

    def cause_counts(self, sweep_id: int) -> dict[tuple[str, int | None, str | None], int]:
        """How many of the sweep's jobs ended for each cause, from their latest attempts: (cause, exit code
        of an exit, who cancelled) -> count; one grouped query, whatever the sweep's size."""
        rows = self.conn.execute(
            "SELECT a.cause, CASE a.cause WHEN 'exit' THEN a.exit_code END, CASE a.cause WHEN 'cancelled' THEN"
            " a.detail END, COUNT(*) FROM jobs j JOIN attempts a ON a.id = j.latest_attempt WHERE j.sweep_id = ?"
            " AND a.cause IS NOT NULL AND a.cause != 'completed' GROUP BY 1, 2, 3", (sweep_id,))
        return {(r[0], r[1], r[2]): r[3] for r in rows}

    def set_canary(self, sweep_id: int, canary: Document) -> None:
        with self.write() as conn:
            conn.execute("UPDATE sweeps SET canary_json = ? WHERE id = ?", (json.dumps(canary), sweep_id))

    def canary_sweeps(self) -> list[tuple[int, Document]]:
        """Launched sweeps whose canary has not decided yet: (id, canary)."""
        rows = self.conn.execute("SELECT id, canary_json FROM sweeps WHERE status = 'active' AND canary_json"
                                 " IS NOT NULL AND json_extract(canary_json, '$.state') = 'waiting'")
        return [(r["id"], json.loads(r["canary_json"])) for r in rows]

    def release_held(self, sweep_id: int) -> list[int]:
        """Held attempts of the sweep become ordinary queued ones; their ids."""
        with self.write() as conn:
            ids = [r[0] for r in conn.execute("SELECT id FROM attempts WHERE sweep_id = ? AND held = 1"
                                              " AND state = 'PENDING'", (sweep_id,))]
            conn.execute("UPDATE attempts SET held = 0, reason = NULL WHERE sweep_id = ? AND held = 1", (sweep_id,))
        return ids

    def claim(self, attempt_id: int) -> bool:
        """Take a queued attempt for submission; False if it was cancelled or taken meanwhile."""
        with self.write() as conn:
            cur = conn.execute("UPDATE attempts SET claimed = 1, submitted_at = ? WHERE id = ? AND claimed = 0"
                               " AND cancel_requested = 0 AND held = 0 AND state = 'PENDING'",
                               (time.time(), attempt_id))
        return cur.rowcount == 1

    def unclaim(self, attempt_id: int) -> None:
        """Give back a claim whose submission never happened (its submitter died first)."""
        with self.write() as conn:
            conn.execute("UPDATE attempts SET claimed = 0, submitted_at = NULL WHERE id = ? AND executor_id IS NULL",
                         (attempt_id,))

    def update_attempt(self, attempt_id: int, state: JobState | None = None, *, announce: bool = False,
                       **fields: Any) -> bool:
        """Change an attempt's fields and, when the state changes, log the transition; with `announce`, log
        one in the same state too, so watchers read what changed (a Slurm id given, a pending reason).

        A final state is never left again: late or stale observations cannot undo it.
        """
        unknown = set(fields) - _ATTEMPT_FIELDS
        if unknown:
            raise ValueError(f"unknown attempt fields: {unknown}")
        columns = attempt_columns(fields)
        with self.write() as conn:
            row = conn.execute("SELECT state, sweep_id, job_idx FROM attempts WHERE id = ?", (attempt_id,)).fetchone()
            if row is None:
                return False
            old = JobState(row["state"])
            if old.is_final and state is not None and state != old:
                return False
            new = old if state is None else state
            changed = new != old
            if changed:
                columns["state"] = new.value
            if columns:
                sets = ", ".join(f"{c} = ?" for c in columns)
                conn.execute(f"UPDATE attempts SET {sets} WHERE id = ?", (*columns.values(), attempt_id))
            if changed or (announce and columns):
                conn.execute(RECORD_TRANSITION, (attempt_id, row["sweep_id"], row["job_idx"], old.value, new.value,
                                                 time.time(), fields.get("reason")))
        return changed

    def request_cancel(self, attempt_ids: list[int]) -> list[int]:
        """Flag attempts for cancellation; queued ones that nobody claimed become CANCELLED at once.

        Returns the ids that were already handed to an executor and need killing. A few hundred attempts per
        transaction: cancelling a 30,000-job sweep took 90,000 transactions (about a minute) before.
        """
        to_kill: list[int] = []
        for first in range(0, len(attempt_ids), CANCEL_BATCH):
            to_kill += self._request_cancel(attempt_ids[first:first + CANCEL_BATCH])
        return to_kill

    def _request_cancel(self, attempt_ids: list[int]) -> list[int]:
        now, why = time.time(), "cancelled before it started"
        marks = ",".join("?" * len(attempt_ids))
        with self.write() as conn:
            rows = conn.execute(f"SELECT id, state, claimed, sweep_id, job_idx, number FROM attempts "
                                f"WHERE id IN ({marks})", attempt_ids).fetchall()
            unfinished = [row for row in rows if not JobState(row["state"]).is_final]
            to_kill = [row["id"] for row in unfinished if row["claimed"]]
            cancelled = [row for row in unfinished if not row["claimed"]]
            conn.executemany("UPDATE attempts SET cancel_requested = 1 WHERE id = ?",
                             [(row["id"],) for row in unfinished])
            columns = attempt_columns({"reason": why, "ended_at": now, "cause": "cancelled", "detail": "snaptui"})
            sets = ", ".join(f"{c} = ?" for c in columns)
            conn.executemany(f"UPDATE attempts SET state = ?, {sets} WHERE id = ?",
                             [(JobState.CANCELLED.value, *columns.values(), row["id"]) for row in cancelled])
            conn.executemany(RECORD_TRANSITION, [(row["id"], row["sweep_id"], row["job_idx"], row["state"],
                                                  JobState.CANCELLED.value, now, why) for row in cancelled])
        by_sweep: dict[int, list[tuple[int, int]]] = {}
        for row in cancelled:   # they have no job folder to say so: noted for a rebuild
            by_sweep.setdefault(row["sweep_id"], []).append((row["job_idx"], row["number"]))
        for sweep_id, jobs in by_sweep.items():
            self.history.note_cancelled(sweep_id, jobs)
        return to_kill

    def new_attempt(self, sweep_id: int, index: int, changes: dict[str, Any] | None = None) -> int:
        """A fresh PENDING attempt of a job (resubmit); it becomes the job's latest. `changes` records what
        it runs with that the sweep did not ({"set": {key: value}, "why": ...})."""
        now = time.time()
        with self.write() as conn:
            number = conn.execute("SELECT COALESCE(MAX(number), 0) + 1 FROM attempts WHERE sweep_id = ?"
                                  " AND job_idx = ?", (sweep_id, index)).fetchone()[0]
            cur = conn.execute("INSERT INTO attempts(sweep_id, job_idx, number, state, changes_json)"
                               " VALUES (?,?,?,'PENDING',?)",
                               (sweep_id, index, number, json.dumps(changes) if changes else None))
            attempt_id = _row_id(cur)
            conn.execute("UPDATE jobs SET latest_attempt = ? WHERE sweep_id = ? AND idx = ?",
                         (attempt_id, sweep_id, index))
            why = f"resubmitted as attempt {number}"
            if changes and changes.get("set"):
                why += " with " + ", ".join(f"{k}={v}" for k, v in changes["set"].items())
            conn.execute("INSERT INTO transitions(attempt_id, sweep_id, job_idx, old_state, new_state, at, reason)"
                         " VALUES (?,?,?,NULL,'PENDING',?,?)", (attempt_id, sweep_id, index, now, why))
        return attempt_id

    def requeue(self, attempt_id: int, *, state: JobState, cause: str, detail: str | None, ended_at: float,
                new_state: JobState, submitted_at: float | None, reason: str) -> int | None:
        """Slurm requeued the attempt's job under the same id: the attempt ends (`state`, `cause`) with its
        logs moved aside as run N (proc.log_run, jobside/requeue.py), and a new attempt of the job goes on
        under the same id and folder. Returns the new attempt's id; None if the attempt had ended already."""
        now = time.time()
        with self.write() as conn:
            row = conn.execute("SELECT * FROM attempts WHERE id = ?", (attempt_id,)).fetchone()
            if row is None or JobState(row["state"]).is_final:
                return None
            proc = loads(row["proc_json"], {})
            run = int(proc.get("restart") or 0)
            conn.execute("UPDATE attempts SET state = ?, cause = ?, detail = ?, ended_at = ?, reason = ?,"
                         " proc_json = ? WHERE id = ?", (state.value, cause, detail, ended_at, reason,
                                                        json.dumps({**proc, "log_run": run}), attempt_id))
            number = conn.execute("SELECT COALESCE(MAX(number), 0) + 1 FROM attempts WHERE sweep_id = ?"
                                  " AND job_idx = ?", (row["sweep_id"], row["job_idx"])).fetchone()[0]
            cur = conn.execute(
                "INSERT INTO attempts(sweep_id, job_idx, number, state, executor_id, log_dir, submitted_at, proc_json,"
                " changes_json, claimed) VALUES (?,?,?,?,?,?,?,?,?,1)",
                (row["sweep_id"], row["job_idx"], number, new_state.value, row["executor_id"], row["log_dir"],
                 submitted_at or now, json.dumps({**proc, "restart": run + 1}), row["changes_json"]))
            conn.execute("UPDATE jobs SET latest_attempt = ? WHERE sweep_id = ? AND idx = ?",
                         (cur.lastrowid, row["sweep_id"], row["job_idx"]))
            conn.executemany(
                RECORD_TRANSITION,
                [(attempt_id, row["sweep_id"], row["job_idx"], row["state"], state.value, now, reason),
                 (cur.lastrowid, row["sweep_id"], row["job_idx"], None, new_state.value, now,
                  f"requeued by Slurm as attempt {number}")])
        return cur.lastrowid

    # -- events ---------------------------------------------------------------
    def events_since(self, last_id: int, sweep_id: int | None = None, limit: int = 10000) -> list[Event]:
        query, args = "SELECT * FROM transitions WHERE id > ?", [last_id]
        if sweep_id is not None:
            query += " AND sweep_id = ?"
            args.append(sweep_id)
        rows = self.conn.execute(query + " ORDER BY id LIMIT ?", (*args, limit))
        return [Event(r["id"], r["attempt_id"], r["sweep_id"], r["job_idx"],
                      JobState(r["old_state"]) if r["old_state"] else None, JobState(r["new_state"]),
                      r["at"], r["reason"]) for r in rows]

    def last_event_id(self) -> int:
        return int(self.conn.execute("SELECT COALESCE(MAX(id), 0) FROM transitions").fetchone()[0])


def _row_id(cursor: sqlite3.Cursor) -> int:
    """The id of the row an INSERT just added (sqlite3 types lastrowid as optional: None before any INSERT)."""
    if cursor.lastrowid is None:
        raise SnaptuiError("the store gave no id for the row it just added")
    return cursor.lastrowid


def _insert_jobs(conn: sqlite3.Connection, sweep_id: int, rows: list[JobRow], now: float,
                 reason: str, after: int = -1) -> None:
    """Jobs of a sweep (those with an index above ``after`` are new) with their first attempt, PENDING."""
    conn.executemany(
        "INSERT INTO jobs(sweep_id, idx, label, params_json, argv_json) VALUES (?,?,?,?,?)",
        [(sweep_id, idx, label, json.dumps(params), json.dumps(argv)) for idx, label, params, argv in rows])
    conn.executemany(
        "INSERT INTO attempts(sweep_id, job_idx, number, state) VALUES (?,?,1,'PENDING')",
        [(sweep_id, idx) for idx, *_ in rows])
    conn.execute("UPDATE jobs SET latest_attempt = (SELECT id FROM attempts a WHERE a.sweep_id = jobs.sweep_id"
                 " AND a.job_idx = jobs.idx AND a.number = 1) WHERE sweep_id = ? AND idx > ?", (sweep_id, after))
    conn.execute("INSERT INTO transitions(attempt_id, sweep_id, job_idx, old_state, new_state, at, reason)"
                 " SELECT id, sweep_id, job_idx, NULL, 'PENDING', ?, ? FROM attempts"
                 " WHERE sweep_id = ? AND job_idx > ?", (now, reason, sweep_id, after))


def _user() -> str:
    import getpass
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry in some containers
        return str(os.getuid())
