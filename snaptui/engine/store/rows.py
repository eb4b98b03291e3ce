"""Rows of the state store read back as models (Sweep, Job, Attempt)."""
from __future__ import annotations

import json
import sqlite3
from typing import Any

from snaptui.engine.models import Attempt, Job, Sweep, loads
from snaptui.engine.states import JobState

def _decode_all(texts: list[str | None]) -> list[Any]:
    """Many JSON columns in one json.loads call: for 10,000 rows the per-call overhead of
    json.loads, not the parsing, was most of reading a sweep (a third of the TUI's open)."""
    return json.loads("[" + ",".join(t or "null" for t in texts) + "]") if texts else []


_STATES = {state.value: state for state in JobState}


def jobs_from(cursor: sqlite3.Cursor) -> list[Job]:
    """Jobs from a plain-tuple cursor over `jobs j JOIN attempts a` (j's five columns, then a.*)."""
    rows = cursor.fetchall()
    if not rows:
        return []
    at = {d[0]: i for i, d in enumerate(cursor.description)}
    at_attempt = {name: i + 5 for i, name in enumerate(d[0] for d in cursor.description[5:])}
    params, argv, results, proc, usage, changes = (_decode_all([r[i] for r in rows]) for i in (
        at["params_json"], at["argv_json"], at_attempt["results_json"], at_attempt["proc_json"],
        at_attempt["usage_json"], at_attempt["changes_json"]))
    a = at_attempt
    return [Job(sweep_id=r[0], index=r[1], label=r[2], params=params[n], argv=argv[n], attempt=Attempt(
        id=r[a["id"]], sweep_id=r[a["sweep_id"]], job_index=r[a["job_idx"]], number=r[a["number"]],
        state=_STATES[r[a["state"]]], executor_id=r[a["executor_id"]], log_dir=r[a["log_dir"]], node=r[a["node"]],
        submitted_at=r[a["submitted_at"]], started_at=r[a["started_at"]], ended_at=r[a["ended_at"]],
        exit_code=r[a["exit_code"]], reason=r[a["reason"]], results=results[n] or {},
        cancel_requested=bool(r[a["cancel_requested"]]), proc=proc[n] or {}, claimed=bool(r[a["claimed"]]),
        cause=r[a["cause"]], detail=r[a["detail"]], usage=usage[n] or {}, changes=changes[n] or {},
        expected_start=r[a["expected_start"]], held=bool(r[a["held"]])))
        for n, r in enumerate(rows)]


def attempt_from(row: sqlite3.Row) -> Attempt:
    return Attempt(
        id=row["id"], sweep_id=row["sweep_id"], job_index=row["job_idx"], number=row["number"],
        state=JobState(row["state"]), executor_id=row["executor_id"], log_dir=row["log_dir"], node=row["node"],
        submitted_at=row["submitted_at"], started_at=row["started_at"], ended_at=row["ended_at"],
        exit_code=row["exit_code"], reason=row["reason"], results=loads(row["results_json"], {}),
        cancel_requested=bool(row["cancel_requested"]), proc=loads(row["proc_json"], {}),
        claimed=bool(row["claimed"]), cause=row["cause"], detail=row["detail"], usage=loads(row["usage_json"], {}),
        changes=loads(row["changes_json"], {}), expected_start=row["expected_start"], held=bool(row["held"]),
    )


def job_from(row: sqlite3.Row) -> Job:
    return Job(sweep_id=row["sweep_id"], index=row["idx"], label=row["label"],
               params=json.loads(row["params_json"]), argv=json.loads(row["argv_json"]), attempt=attempt_from(row))


def sweep_from(row: sqlite3.Row, counts_and_end: tuple[dict[JobState, int], float | None]) -> Sweep:
    counts, ended = counts_and_end
    return Sweep(
        id=row["id"], name=row["name"], created_at=row["created_at"], status=row["status"],
        executor=row["executor"], profile=row["profile"], sweep_file=row["sweep_file"],
        spec=json.loads(row["spec_json"]), config=json.loads(row["config_json"]),
        snapshot=loads(row["snapshot_json"]), workdir=row["workdir"], counts=counts, ended_at=ended,
        uid=row["uid"], launcher=loads(row["launcher_json"]), canary=loads(row["canary_json"]),
    )
