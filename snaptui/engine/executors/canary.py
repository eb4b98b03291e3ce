"""A sweep's canary: its first job runs alone, and the others are submitted once it has run `canary_s` seconds
or completed; if it ends otherwise first, none of them is: the broken environment, the missing data or the
typo costs one job, not a thousand. The agent looks at waiting canaries on every tick."""
from __future__ import annotations

import time
from typing import Any, Callable

from snaptui.engine.errors import SnaptuiError
from snaptui.engine.states import Cause, JobState
from snaptui.engine.store.store import Store
from .base import Executor


def watch_canaries(store: Store, executor_named: Callable[[str], Executor],
                   waiting: list[tuple[int, dict[str, Any]]] | None = None) -> None:
    """Decide the canaries still waiting (store.canary_sweeps): release their sweeps' held jobs, or end them."""
    for sweep_id, canary in store.canary_sweeps() if waiting is None else waiting:
        job = store.job(sweep_id, canary["job"])
        if job is None:
            continue
        attempt, now = job.attempt, time.time()
        ran = now - attempt.started_at if attempt.started_at and attempt.state == JobState.RUNNING else 0.0
        if attempt.state == JobState.COMPLETED or ran >= canary["after_s"]:
            passed = "completed" if attempt.state == JobState.COMPLETED else f"ran {canary['after_s']:g} s"
            store.set_canary(sweep_id, {**canary, "state": "passed", "why": f"the canary {job.ref} {passed}"})
            release(store, executor_named, sweep_id)
        elif attempt.state.is_final:
            why = f"the canary {job.ref} ended {attempt.cause_text or attempt.state.value}"
            store.set_canary(sweep_id, {**canary, "state": "failed", "why": why})
            for held in store.active_attempts(sweep_id=sweep_id):
                if held.held:
                    store.update_attempt(held.id, JobState.CANCELLED, ended_at=now, reason=f"not submitted: {why}",
                                         cause=Cause.NOT_STARTED.value, detail=f"not submitted: {why}")


def release(store: Store, executor_named: Callable[[str], Executor], sweep_id: int) -> None:
    """Hand the held jobs over; a refused submission fails them with the reason, as a resubmission's would."""
    ids = store.release_held(sweep_id)
    sweep = store.sweep(sweep_id)
    if not ids or sweep is None:
        return
    try:
        executor_named(sweep.executor).hand_over(sweep, ids)
    except SnaptuiError as exc:
        for attempt_id in ids:
            store.update_attempt(attempt_id, JobState.FAILED, ended_at=time.time(), reason=f"could not submit: {exc}",
                                 cause=Cause.NOT_STARTED.value, detail=f"could not submit: {exc}")
