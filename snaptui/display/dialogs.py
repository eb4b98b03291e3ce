"""What the confirmation dialogs say: the question, what it touches, the answers offered."""
from __future__ import annotations

from dataclasses import dataclass

KEPT_NOTE = ("\nEach runs again on its snapshot. The earlier logs are kept; the grid then shows the new "
             "attempt's state and results.")


@dataclass(frozen=True)
class Confirmation:
    """A question for ConfirmScreen: `danger` paints yes red (cancel, remove); focus starts on no. Without
    `no`, a message to acknowledge."""

    title: str
    body: str = ""
    yes: str = "Yes"
    no: str | None = "No"
    danger: bool = True


def describe_jobs(jobs: list, limit: int = 6) -> str:
    """'  • 12/0 lr=0.1' lines for a dialog, then '… and 3 more'."""
    names = [f"{job.ref} {job.label}" for job in jobs[:limit]]
    text = "\n".join(f"  • {name}" for name in names)
    if len(jobs) > limit:
        text += f"\n  … and {len(jobs) - limit} more"
    return text


def cancel_jobs(jobs: list, sweep_id: int) -> Confirmation:
    title = f"Cancel job {jobs[0].ref}?" if len(jobs) == 1 else f"Cancel {len(jobs):,} jobs of sweep {sweep_id}?"
    return Confirmation(title, describe_jobs(jobs))


def resubmit_jobs(jobs: list) -> Confirmation:
    title = f"Resubmit job {jobs[0].ref}?" if len(jobs) == 1 else f"Resubmit {len(jobs):,} jobs?"
    return Confirmation(title, describe_jobs(jobs) + KEPT_NOTE, yes="Resubmit", danger=False)
