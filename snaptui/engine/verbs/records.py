"""Verbs on what a launch left behind: a job's manifest, its rerun here, and launches that were interrupted."""
from __future__ import annotations

import time

from typing import Any

from ..models import Attempt, Job, Sweep


class RecordVerbs:
    def attempt(self, attempt_id: int) -> Attempt:
        """The attempt as recorded now (its state moves while a job runs)."""
        return self.store.attempt(attempt_id)

    def manifest(self, job: Job) -> dict[str, Any] | None:
        """What the job's latest attempt recorded when it started (snapshot, command, config), or None."""
        from snaptui.engine.jobside.manifest import read_manifest
        return read_manifest(job.attempt.log_dir)

    def reproduce(self, job: Job, console) -> int:
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
