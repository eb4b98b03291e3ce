"""Cancel and resubmit on the sweep screen: marked jobs or the selected one, or every failed one; each asks first."""
from __future__ import annotations

from collections import Counter

from snaptui.engine.states import RETRYABLE_STATES
from snaptui.format import states_phrase
from .confirm import confirm_then, describe_jobs

KEPT_NOTE = ("\nEach runs again on its snapshot. The earlier logs are kept; the grid then shows the new "
             "attempt's state and results.")


def resubmit_title(jobs: list) -> str:
    return f"Resubmit job {jobs[0].ref}?" if len(jobs) == 1 else f"Resubmit {len(jobs)} jobs?"


class SweepJobActions:
    """Mixin for SweepScreen: needs `targets()`, `model`, `sweep_id`, `engine`, `_redraw()`."""

    def _after_action(self, verb: str):
        def done(jobs: list) -> None:
            self.notify(f"{verb} {len(jobs)} job{'s' if len(jobs) != 1 else ''}", timeout=3)
            if self.model is not None:
                self.model.marked.clear()
                self._redraw()
            self.snaptui.poll_now()
        return done

    def action_cancel(self) -> None:
        targets = self.targets()
        live = [job for job in targets if not job.state.is_final]
        if not live:
            if targets:
                self.notify("nothing to cancel: " + (f"{targets[0].ref} is {targets[0].state.value}"
                                                     if len(targets) == 1 else "every marked job has finished"),
                            severity="warning")
            return
        title = (f"Cancel job {live[0].ref}?" if len(live) == 1 else f"Cancel {len(live)} jobs of sweep {self.sweep_id}?")

        confirm_then(self, lambda: self.call_engine(self.engine.cancel, live, done=self._after_action("cancelled"),
                                                    title="cancel"),
                     title, describe_jobs(live))

    def action_cancel_sweep(self) -> None:
        """Also while a large sweep is still being read (a wrong 100,000-job launch is stopped at once):
        the engine cancels from the store, and the dialog counts from the store's counts."""
        if self.model is None:
            return
        live = sum(n for state, n in self.model.counts().items() if not state.is_final)
        if not live:
            self.notify(f"sweep {self.sweep_id} has no unfinished job", severity="warning")
            return

        confirm_then(self, lambda: self.call_engine(self.engine.cancel_sweep, self.sweep_id,
                                                    done=self._after_action("cancelled"), title="cancel"),
                     f"Cancel the whole sweep {self.sweep_id} {self.model.sweep.name}?",
                     f"{live:,} unfinished jobs will be cancelled.")

    def action_resubmit(self) -> None:
        targets = self.targets()
        done = [job for job in targets if job.state.is_final]
        if not done:
            if targets:
                self.notify("only finished jobs can be resubmitted; cancel it first", severity="warning")
            return
        confirm_then(self, lambda: self.call_engine(self.engine.resubmit, done, done=self._after_action("resubmitted"),
                                                    title="resubmit"),
                     resubmit_title(done), describe_jobs(done) + KEPT_NOTE, yes="Resubmit", danger=False)

    def action_resubmit_failed(self) -> None:
        if self.model is None or self.still_reading():
            return
        failed = [job for job in self.model.jobs.values() if job.state in RETRYABLE_STATES]
        if not failed:
            self.notify("no failed, cancelled or timed-out job to resubmit", severity="warning")
            return

        confirm_then(self, lambda: self.call_engine(self.engine.resubmit_failed, self.sweep_id,
                                                    done=self._after_action("resubmitted"), title="resubmit"),
                     f"Resubmit {len(failed)} jobs of sweep {self.sweep_id} ({states_phrase(Counter(job.state for job in failed))})?",
                     describe_jobs(failed), yes="Resubmit", danger=False)
