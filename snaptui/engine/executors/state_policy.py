"""How what a job says about itself becomes its attempt's state in the store.

This is policy, not scheduling: every executor asks the same questions (has the job rewritten
its manifest? what state does it report? what does a job that is gone without a word mean?) and
gets the same answers, whatever scheduler ran the job. The executors are the adapters that find
out whether a job still lives; this module decides what that means for its state.
"""
from __future__ import annotations

import os
import time
from typing import Any

from snaptui.engine.jobside.manifest import MANIFEST_NAME, read_manifest
from ..models import Attempt
from ..states import Cause, JobState
from snaptui.engine.store.store import Store


class StatePolicy:
    def __init__(self, store: Store):
        self.store = store
        self._manifest_versions: dict[int, tuple[int, int]] = {}

    def manifest_changed(self, attempt: Attempt) -> bool:
        """Whether the job rewrote its manifest since this policy last looked: one stat, so the
        agent's every-tick checks never parse an unchanged file."""
        try:
            stat = os.stat(os.path.join(attempt.log_dir or "", MANIFEST_NAME))
        except OSError:
            return False
        version = (stat.st_ino, stat.st_mtime_ns)  # every write is a rename: a new inode, even where
        if self._manifest_versions.get(attempt.id) == version:  # mtimes are coarse (NFS)
            return False
        self._manifest_versions[attempt.id] = version
        return True

    def apply_manifest(self, attempt: Attempt) -> bool:
        """Copy what the job reported about itself into the store. True once the attempt is final."""
        manifest = read_manifest(attempt.log_dir)
        if manifest is None or (manifest.get("sweep_id"), manifest.get("job_index"), manifest.get("attempt")) != (
                attempt.sweep_id, attempt.job_index, attempt.number):
            return False  # not written yet, or left by another job in a reused folder
        if attempt.state == JobState.PENDING and manifest.get("state") == "RUNNING":
            self.store.update_attempt(attempt.id, JobState.RUNNING, started_at=manifest.get("started_at"),
                                      node=manifest.get("host"), reason=None)
        if manifest.get("ended_at") is None:
            return False
        self.record_end(attempt, manifest)
        return True

    def record_end(self, attempt: Attempt, report: dict[str, Any]) -> None:
        """An attempt's end as its job reported it (its manifest, or its worker's last word)."""
        state = JobState(report["state"])
        if attempt.cancel_requested and state != JobState.COMPLETED:
            state = JobState.CANCELLED
        reason = "cancelled" if state == JobState.CANCELLED else report.get("reason")
        for note in [report.get("result_problem"), landing_note(report.get("landing"))]:
            if note:
                reason = f"{reason}; {note}" if reason else note
        cause, detail, exit_code = manifest_cause(state, report)
        self.store.update_attempt(
            attempt.id, state, exit_code=exit_code, ended_at=report.get("ended_at"),
            started_at=report.get("started_at") or attempt.started_at, node=report.get("host") or attempt.node,
            results=report.get("results") or {}, reason=reason, cause=cause, detail=detail,
            **({"usage": report["usage"]} if report.get("usage") else {}))

    def vanished(self, attempt: Attempt, what: str) -> None:
        """The job is gone and never reported an end: cancelled if asked, else failed, with why."""
        if attempt.cancel_requested:
            self.store.update_attempt(attempt.id, JobState.CANCELLED, ended_at=time.time(), reason="cancelled",
                                      cause=Cause.CANCELLED.value, detail="snaptui")
        else:
            self.store.update_attempt(attempt.id, JobState.FAILED, ended_at=time.time(), reason=what,
                                      cause=Cause.LOST.value, detail=what)

    def gone(self, attempt_id: int, what: str, last_word: dict[str, Any] | None = None) -> None:
        """The job's processes are gone: its last manifest decides, else what its runner said when it
        finished (`last_word`: its folder may have vanished with the manifest), or it vanished."""
        fresh = self.store.attempt(attempt_id)
        if fresh is None:   # deleted meanwhile (its sweep removed): nothing to record
            return
        if self.apply_manifest(fresh):
            return
        if last_word and last_word.get("ended_at") is not None and last_word.get("state") in JobState.__members__:
            self.record_end(fresh, last_word)
        else:
            self.vanished(fresh, what)


def landing_note(landing: dict[str, Any] | None) -> str | None:
    """What the user must hear of the job's landing (engine/landing): copies kept beside files someone else
    changed, files that could not be put in the repository; None when everything landed."""
    if not landing:
        return None
    parts = [f"kept {k['copy']} beside {k['path']} (changed in the repository after the launch)"
             for k in landing.get("kept_beside", ())]
    parts += [f"{f['path']} is only in the snapshot's worktree ({f['why']})" for f in landing.get("failed", ())]
    if landing.get("problem"):
        parts.append(f"what the job wrote is still in the snapshot's worktree ({landing['problem']}); "
                     f"`snaptui snapshots gc` puts it in the repository")
    return "; ".join(parts) or None


def manifest_cause(state: JobState, manifest: dict[str, Any]) -> tuple[str, str | None, int | None]:
    """(cause, detail, exit code) of an attempt that ended as its manifest says: a cancelled or timed-out
    job has no exit code of its own (the signal that stopped it is not the command's verdict)."""
    if state == JobState.COMPLETED:
        return Cause.COMPLETED.value, None, manifest.get("exit_code")
    if state == JobState.CANCELLED:
        return Cause.CANCELLED.value, "snaptui", None
    if state == JobState.TIMEOUT:
        return Cause.TIMEOUT.value, None, None
    reason = manifest.get("reason") or ""
    detail = manifest.get("error_line") or (reason if reason.startswith("cannot start") else None)
    return Cause.EXIT.value, detail, manifest.get("exit_code")
