"""`snaptui recover --rebuild`: a lost or damaged store rebuilt from what lives outside it.

The store refuses to start a new history over a missing, emptied or damaged database (store/history.py).
This puts the history back: every sweep from its launch record (`.snaptui/sweeps/<id>.json`, its
jobs expanded again from the recorded spec) or, when that is gone too, from its jobs' manifests; every
attempt from the manifest its job wrote into its job folder (state, exit code, results, times, the
processes to watch while it runs); a job with no folder never started and is queued again, unless it
was cancelled before it started. Sweep ids stay what they were, and the next launch takes the next
unused one. The damaged files are kept aside, never deleted. Running jobs are not touched: the agent
is restarted on the rebuilt store and picks them up from their manifests.
"""
from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

from snaptui.engine.config.settings import stored_config
from snaptui.engine.errors import SnaptuiError, StoreUnusable
from snaptui.engine.jobside.manifest import MANIFEST_NAME
from snaptui.engine.executors.state_policy import manifest_cause
from snaptui.engine.states import JobState
from snaptui.engine.store.store import DB_FILENAME, Store, state_dir
from snaptui.engine.sweep.spec import SweepSpec, job_argv

REBUILT = "rebuilt from its job folder"


def rebuild(engine: Any) -> list[str]:
    from snaptui.engine import agent
    from snaptui.engine.executors.base import SUBMITIT_DIRNAME

    path = state_dir(engine.repo_root) / DB_FILENAME
    try:
        existing = Store(path)
    except StoreUnusable:
        pass
    else:
        count = len(existing.sweeps(statuses=("active", "launching")))
        existing.close()
        raise SnaptuiError(f"the store {path} is readable ({count} sweeps): nothing to rebuild")
    lines = []
    if agent.stop_agent(engine.repo_root):
        lines.append("stopped the agent (running jobs go on and record their ends in their job folders)")
    kept = _set_aside(path)
    if kept:
        lines.append(f"kept the old store as {kept}")
    store = Store(path, new_history=True)
    engine._store = store
    manifests = _manifests(engine.repo_root / SUBMITIT_DIRNAME, engine.repo_root)
    ids = sorted(set(store.history.record_ids()) | set(manifests))
    for sweep_id in ids:
        lines.append(_rebuild_sweep(store, sweep_id, store.history.record(sweep_id), manifests.get(sweep_id, [])))
    if not ids:
        lines.append("no sweep records or job folders found: the store is empty")
    if store.active_attempts(launched_only=False):
        agent.ensure_agent(engine.repo_root)
        lines.append("started the agent: it goes on with the rebuilt sweeps' jobs")
    return lines


def _set_aside(path: Path) -> str | None:
    """Move the lost store's files out of the way (a new database beside an old WAL would read it)."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    moved = None
    for suffix in ("", "-wal", "-shm"):
        source = Path(f"{path}{suffix}")
        if source.exists():
            target = Path(f"{path}.lost-{stamp}{suffix}")
            os.replace(source, target)
            moved = moved or str(target)
    return moved


def _manifests(root: Path, repo_root: Path) -> dict[int, list[dict[str, Any]]]:
    """Every job folder's manifest that belongs to this project, by sweep id."""
    found: dict[int, list[dict[str, Any]]] = {}
    try:
        entries = list(os.scandir(root))
    except OSError:
        return found
    for entry in entries:
        try:
            manifest = json.loads(Path(entry.path, MANIFEST_NAME).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if not isinstance(manifest, dict) or manifest.get("repo") not in (None, str(repo_root)):
            continue
        if not all(isinstance(manifest.get(k), int) for k in ("sweep_id", "job_index", "attempt")):
            continue
        manifest.setdefault("log_dir", entry.path)
        found.setdefault(manifest["sweep_id"], []).append(manifest)
    return found


def _record_from_manifest(manifest: dict[str, Any]) -> dict[str, Any]:
    """A sweep whose launch record is gone too: what its jobs' manifests say of it."""
    config = manifest.get("config") or {}
    recorded = stored_config(config)   # the executor that ran it: "allocation" for a Slurm profile's steps
    snapshot = manifest.get("snapshot")
    return {"name": manifest.get("sweep_name") or "rebuilt", "created_at": manifest.get("started_at") or time.time(),
            "status": "active", "executor": recorded.executor,
            "profile": recorded.profile_name or "local", "spec": {}, "config": config, "snapshot": snapshot,
            "workdir": (snapshot or {}).get("worktree") or manifest.get("cwd") or "", "env": {}}


def _jobs_from_spec(spec: dict[str, Any], sweep_id: int) -> list[tuple[int, str, dict[str, Any], list[str]]]:
    sweep = SweepSpec(name=spec["name"], command=list(spec["command"]),
                      override_style=spec.get("override_style") or "hydra", profile=spec.get("profile"),
                      workdir=spec.get("workdir"), params=dict(spec.get("params") or {}),
                      grid={} if spec.get("jobs") is not None else dict(spec.get("grid") or {}),
                      zips=list(spec.get("zip") or []), env=dict(spec.get("env") or {}), explicit=spec.get("jobs"),
                      run_dir=spec.get("run_dir"))
    return [(j.index, j.label, j.params, job_argv(j.argv, sweep_id, spec)) for j in sweep.expand()]


def _attempt_from(manifest: dict[str, Any], executor: str) -> dict[str, Any]:
    state = manifest.get("state") if manifest.get("ended_at") is not None else "RUNNING"
    if state not in JobState.__members__:
        state = JobState.UNKNOWN.value
    reason = manifest.get("reason")
    if manifest.get("result_problem"):
        reason = f"{reason}; {manifest['result_problem']}" if reason else manifest["result_problem"]
    proc = {"worker": manifest.get("runner")} if executor == "local" else {}
    ended = {}
    if JobState(state).is_final:
        cause, detail, exit_code = manifest_cause(JobState(state), manifest)
        ended = {"cause": cause, "detail": detail, "exit_code": exit_code}
    return {"job_idx": manifest["job_index"], "number": manifest["attempt"], "state": state,
            "executor_id": manifest.get("executor_id"), "log_dir": manifest.get("log_dir"),
            "node": manifest.get("host"),
            "submitted_at": manifest.get("started_at"), "started_at": manifest.get("started_at"),
            "ended_at": manifest.get("ended_at"), "exit_code": manifest.get("exit_code"), "reason": reason,
            "results": manifest.get("results") or {}, "proc": proc, "claimed": 1, **ended}


def _rebuild_sweep(store: Store, sweep_id: int, record: dict[str, Any] | None, manifests: list[dict[str, Any]]) -> str:
    from_record = record is not None
    record = record or _record_from_manifest(manifests[0])
    by_job: dict[int, dict[int, dict[str, Any]]] = {}
    for manifest in manifests:
        by_job.setdefault(manifest["job_index"], {})[manifest["attempt"]] = manifest
    if from_record and record.get("spec", {}).get("command"):
        jobs = _jobs_from_spec(record["spec"], sweep_id)
    else:
        latest = [attempts[max(attempts)] for _, attempts in sorted(by_job.items())]
        jobs = [(m["job_index"], m.get("label") or str(m["job_index"]), m.get("params") or {}, m.get("argv") or [])
                for m in latest]
    cancelled = store.history.cancelled(sweep_id)
    attempts, queued = [], 0
    for index, *_ in jobs:
        found = by_job.get(index, {})
        attempts += [_attempt_from(found[number], record["executor"]) for number in sorted(found)]
        if not found:
            number = 1
            while (index, number) in cancelled:
                attempts.append({"job_idx": index, "number": number, "state": "CANCELLED",
                                 "reason": "cancelled before it started", "claimed": 0,
                                 "cause": "cancelled", "detail": "snaptui"})
                number += 1
            if number == 1 or (index, number - 1) not in cancelled:
                attempts.append({"job_idx": index, "number": number, "state": "PENDING", "claimed": 0})
                queued += 1
    scheduler_queue = record["executor"] != "local" and queued and record.get("status") == "active"
    if scheduler_queue:
        # Jobs without a folder may sit in the scheduler's queue: recovering the sweep as an interrupted
        # launch adopts what the scheduler has of it (by the launch's tag) and submits only the rest.
        record = {**record, "status": "launching", "launcher": None}
    store.restore_sweep(sweep_id, record, jobs, attempts, reason=REBUILT)
    if not from_record:
        store.history.write_record(sweep_id, record)
    running = sum(1 for a in attempts if a["state"] in ("RUNNING", "UNKNOWN"))
    ended = sum(1 for a in attempts if JobState(a["state"]).is_final)
    source = "its launch record and" if from_record else "(launch record lost)"
    missing = "" if from_record else "; jobs that never started are not known and not listed"
    if scheduler_queue:
        missing += f"; `snaptui recover {sweep_id}` adopts its queued jobs from the scheduler"
    return (f"sweep {sweep_id} ({record['name']}): {len(jobs)} jobs rebuilt from {source} "
            f"{len(manifests)} job folder(s): {ended} ended, {running} running, {queued} queued{missing}")
