"""Why jobs wait, where the TUI shows it (issue 27, item 4): the queue's reason and expected start in the job
table's cause column, the sweep header's summary (a job that can never start flagged), and the ETA bound by
the expected starts. The words come from the recorded queue: test_slurm_parsing.py."""
from __future__ import annotations

from snaptui.display.columns import column
from snaptui.display.waiting import waiting, waiting_text
from snaptui.engine.executors.slurm.reasons import pending_words
from snaptui.engine.models import Attempt, Job
from snaptui.engine.states import JobState
from snaptui.engine.views import eta_seconds

NOW = 1_000_000.0


def job(index: int, state: JobState, **attempt) -> Job:
    return Job(1, index, f"i={index}", {"i": index}, [], Attempt(index + 1, 1, index, 1, state, **attempt))


def test_the_table_the_header_and_the_eta_say_why_jobs_wait():
    jobs = [job(0, JobState.COMPLETED, started_at=NOW - 100, ended_at=NOW - 40, cause="completed", exit_code=0),
            job(1, JobState.TIMEOUT, started_at=NOW - 100, ended_at=NOW - 40, cause="TIMEOUT"),
            job(2, JobState.PENDING, reason=pending_words("Resources"), expected_start=NOW + 240),
            job(3, JobState.PENDING, reason=pending_words("Resources"), expected_start=NOW + 600),
            job(4, JobState.PENDING, reason=pending_words("PartitionConfig"))]
    cause = column("cause")
    assert cause.text(jobs[2], NOW) == "waiting for CPUs, memory or GPUs to free up (Resources), start in ~4m00s"
    assert cause.text(jobs[4], NOW).startswith("can never start: asks for more CPUs")
    assert cause.text(jobs[1], NOW) == "TIMEOUT"

    found = waiting(jobs, NOW)
    assert (found.pending, found.reason, found.next_start, found.never) == (3, "Resources", NOW + 240, 1)
    text = waiting_text(found, NOW).plain
    assert "⚠ 1 can never start: asks for more CPUs" in text and "(1 TIMEOUT)" in text
    calm = waiting_text(waiting(jobs[:4], NOW), NOW).plain
    assert "·2 Resources, next start ~4m00s" in calm

    # the last job Slurm expects to start in 10 minutes ends no sooner than that and a typical run (60 s)
    assert eta_seconds(jobs[:4], NOW, slots=256) >= 600 + 60
