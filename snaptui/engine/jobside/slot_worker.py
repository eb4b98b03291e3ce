"""A long-lived local worker: runs the jobs the agent hands it, one at a time, each to its end.

Starting a submitit controller and a task interpreter for every local job cost ~0.3 s of CPU
before the user's command even started. A worker is started once per slot and reused: a job
is one JSON line on its stdin, and a `done` line on its stdout tells the agent the slot is
free, at once (no polling). Each job still gets its own folder, logs and manifest, the same
as before, and the same submitit variables a submitit task sees (SUBMITIT_LOCAL_JOB_ID, ...).

A warm slot (warm.py) whose preload changed on disk, or was spoiled for forks, retires: its `done` line
says why (`retire`) and it exits; the agent starts a new worker for the next job.

The worker runs in its own session: the agent exiting never stops a running job; the worker
finishes it, sees its stdin closed and exits.
"""
from __future__ import annotations

from typing import Any

import dataclasses
import errno
import json
import os
import signal
import sys
import time
from pathlib import Path

from . import warm
from .manifest import MANIFEST_NAME, read_manifest, write_json_atomic
from .runner import _signal_group, run_attempt_to_logs
from .runspec import RunSpec
from .subreaper import become_subreaper


def submitit_task_vars(executor_id: str, folder: Path) -> dict[str, str]:
    """What submitit's local controller sets in a task, so submitit.JobEnvironment() works in the job."""
    return {"SUBMITIT_EXECUTOR": "local", "SUBMITIT_FOLDER": str(folder), "SUBMITIT_LOCAL_JOB_ID": executor_id,
            "SUBMITIT_LOCAL_NTASKS": "1", "SUBMITIT_LOCAL_NODEID": "0", "SUBMITIT_LOCAL_JOB_NUM_NODES": "1",
            "SUBMITIT_LOCAL_LOCALID": "0", "SUBMITIT_LOCAL_GLOBALID": "0"}


def encode_request(spec: RunSpec, folder: Path, executor_id: str) -> bytes:
    # a shallow dict: asdict() deep-copied the environment and the manifest only for json to read them
    fields = {f.name: getattr(spec, f.name) for f in dataclasses.fields(spec)}
    return (json.dumps({"spec": fields, "folder": str(folder), "executor_id": executor_id},
                       default=str) + "\n").encode()


def run_request(line: str) -> dict[str, Any]:
    """Run one job; returns its outcome (the worker's `done` line carries it to the agent)."""
    request = json.loads(line)
    spec = RunSpec(**request["spec"])
    folder = Path(request["folder"])
    executor_id = request["executor_id"]
    folder.mkdir(parents=True, exist_ok=True)
    for key in [k for k in os.environ if k.startswith("SUBMITIT_")]:
        del os.environ[key]
    os.environ.update(submitit_task_vars(executor_id, folder))  # read by runner's task_scheduler_vars
    state, code, reason, results = run_attempt_to_logs(spec, folder, executor_id)
    return {"executor_id": executor_id, "state": state, "exit_code": code, "reason": reason, "results": results,
            "ended_at": time.time()}


RECORD_RETRY_S = 1.0
RECORD_GIVE_UP_S = 3600.0


def _record_failure(line: str, exc: Exception) -> dict[str, Any] | None:
    """The job's manifest says it failed and why, so the engine does not wait on it for ever; returns
    that end for the worker's `done` line too (the agent's word when no manifest can be written).

    When the disk is full the write fails too, so it is retried (holding the slot, as nothing can run
    on a full disk anyway) until space comes back or an hour has passed. Any other failure to write
    (the folder replaced by a file, made unwritable) is not retried: the `done` line carries the end.
    A vanished job folder is made again: it is the engine's.
    """
    try:
        request = json.loads(line)
        folder = Path(request["folder"])
    except (ValueError, KeyError, TypeError) as bad:   # not even a request: no job folder to report in
        print(f"snaptui worker: cannot record the failure ({exc!r}) of a request without a folder: {bad!r}",
              file=sys.stderr, flush=True)
        return None
    spec = request.get("spec") if isinstance(request.get("spec"), dict) else {}
    known = {**(spec.get("manifest") or {}), "log_dir": str(folder)}  # the job's ids, should its folder be gone
    if request.get("executor_id"):
        known["executor_id"] = request["executor_id"]
    give_up = time.monotonic() + RECORD_GIVE_UP_S
    killed = False
    end = None
    while True:
        try:
            manifest = {**known, **(read_manifest(folder) or {})}
            if manifest.get("command") and not killed:
                _signal_group(manifest["command"]["pgid"], signal.SIGKILL)
                killed = True
            manifest.update(state="FAILED", ended_at=manifest.get("ended_at") or time.time(),
                            exit_code=manifest.get("exit_code"),
                            reason=manifest.get("reason") or f"snaptui worker error: {exc!r}")
            end = {k: manifest.get(k) for k in ("executor_id", "state", "exit_code", "reason", "ended_at")}
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            write_json_atomic(folder / MANIFEST_NAME, manifest)
            return end
        except OSError as error:
            if error.errno not in (errno.ENOSPC, errno.EDQUOT) or time.monotonic() > give_up:
                return end
            time.sleep(RECORD_RETRY_S)
        except Exception as failed:  # noqa: BLE001 - said on stderr (the agent's log): the job is then settled
            print(f"snaptui worker: cannot record the failure of {folder} ({exc!r}): {failed!r}",  # as vanished
                  file=sys.stderr, flush=True)
            return end


def main() -> int:
    os.umask(0o077)  # manifests and logs are the user's alone; the command gets its umask back
    become_subreaper()  # a job's daemonized children are adopted by the worker, and ended with the job
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            outcome = run_request(line)
        except Exception as exc:  # noqa: BLE001 - a broken request must not take the slot down, nor hang its job
            print(f"snaptui worker: {exc!r}", file=sys.stderr, flush=True)
            outcome = _record_failure(line, exc) or {"state": "ERROR"}
        if warm.retire_why:
            outcome["retire"] = warm.retire_why
        try:
            sys.stdout.write(f"done {json.dumps(outcome, default=str)}\n")
            sys.stdout.flush()
        except BrokenPipeError:  # the agent is gone: the manifest holds the job's end
            return 0
        if warm.retire_why:
            print(f"snaptui worker {os.getpid()} retires: {warm.retire_why}", file=sys.stderr, flush=True)
            return 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
