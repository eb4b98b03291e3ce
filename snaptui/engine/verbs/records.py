"""Verbs on what a launch left behind: a job's manifest, its rerun here, and launches that were interrupted."""
from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from ..errors import SnaptuiError
from ..models import Attempt, Job, Sweep

if TYPE_CHECKING:
    from ..store.store import Store
    from .reproduce import Console


class RecordVerbs:
    if TYPE_CHECKING:   # api.Engine's
        @property
        def store(self) -> Store: ...

    def attempt(self, attempt_id: int) -> Attempt:
        """The attempt as recorded now (its state moves while a job runs)."""
        attempt = self.store.attempt(attempt_id)
        if attempt is None:   # its sweep was removed meanwhile
            raise SnaptuiError(f"no attempt {attempt_id} in the store: its sweep was removed")
        return attempt

    def manifest(self, job: Job | Attempt) -> dict[str, Any] | None:
        """What the attempt (a job's latest) recorded about itself (snapshot, command, config, times), or None;
        with the engine's verdict where the job could not give it (killed by its time limit, by scancel,
        by a requeue): state, exit code and cause read as `status` and the TUI show them, and what the job
        itself reported kept under "reported"."""
        from snaptui.engine.jobside.requeue import read_run_manifest
        attempt = job.attempt if isinstance(job, Job) else job
        found = read_run_manifest(attempt.log_dir, (attempt.proc or {}).get("log_run"))
        if found is None or found.get("attempt") not in (None, attempt.number):
            return found
        return with_verdict(found, attempt)

    def reproduce(self, job: Job, console: Console) -> int:
        """Rerun the job here in the foreground from its snapshot, printing to `console`; its exit code."""
        from .reproduce import reproduce_job
        return reproduce_job(self, job, console)

    def interrupted_launches(self) -> list[Sweep]:
        """Launches whose launcher died before they were submitted or rolled back."""
        from .recovery import interrupted_launches
        return interrupted_launches(self)

    @staticmethod
    def describe_interrupted(sweep: Sweep) -> str:
        from .recovery import describe
        return describe(sweep)

    def sweep_notes(self, sweep_id: int) -> list[str]:
        """What the agent had to say about a sweep that is no job's state (a worktree a job damaged and
        that was restored, ...), oldest first, each once with how often and when last."""
        counts: dict[str, tuple[int, float]] = {}
        for note in self.store.history.notes(sweep_id):
            seen, _ = counts.get(note["text"], (0, 0.0))
            counts[note["text"]] = (seen + 1, note["at"])
        return [text + (f" ({n} times" if n > 1 else " (") + time.strftime(", last %Y-%m-%d %H:%M)" if n > 1
                                                                             else "%Y-%m-%d %H:%M)", time.localtime(at))
                for text, (n, at) in counts.items()]

    def rebuild_store(self) -> list[str]:
        """Rebuild a lost or damaged store from the sweeps' records and job folders (rebuild.py);
        refused while the store is readable. What was done, a line each."""
        from .rebuild import rebuild
        return rebuild(self)

    def recover(self, sweep: Sweep, *, abort: bool = False) -> list[str]:
        """Finish an interrupted launch (or undo it, with abort); what was done, a line each."""
        from . import recovery
        return (recovery.abort if abort else recovery.finish)(self, sweep)


def with_verdict(manifest: dict[str, Any], attempt: Attempt) -> dict[str, Any]:
    """The manifest with the store's final state, exit code and cause over what the job wrote."""
    if not attempt.state.is_final:
        return manifest
    verdict: dict[str, Any] = {"state": attempt.state.value, "exit_code": attempt.exit_code,
                               "cause": attempt.cause_text or None}
    if attempt.changes:
        verdict["resubmitted_with"] = attempt.changes
    own = {key: manifest.get(key) for key in ("state", "exit_code", "reason", "ended_at")}
    merged = {**manifest, **verdict}
    if (own["state"], own["exit_code"]) != (verdict["state"], verdict["exit_code"]):
        merged["reported"] = own   # what the job said before it was stopped
        merged["ended_at"] = own["ended_at"] or attempt.ended_at
    if attempt.usage:
        merged.setdefault("usage", attempt.usage)
    return merged
