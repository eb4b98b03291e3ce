"""A Slurm requeue is a new attempt whose log is its own (issue 27, item 1): the job side moves the earlier run's
logs and manifest aside when the next run starts, and the store ends one attempt and starts the next under
the same id. On the cluster, with `scontrol requeue`: test_slurm_truth.py."""
from __future__ import annotations

import json

from snaptui.engine.jobside.joblogs import log_files
from snaptui.engine.jobside.requeue import read_run_manifest, set_aside
from snaptui.engine.states import JobState
from tests.test_slurm_parsing import slurm_attempts  # noqa: F401 - fixture


def test_the_next_run_sets_the_earlier_run_s_logs_and_manifest_aside_once(tmp_path):
    out, err = log_files(tmp_path, "77_3")
    out.write_text("start run 0\n")
    err.write_text("warning of run 0\n")
    (tmp_path / "snaptui_manifest.json").write_text(json.dumps({"attempt": 1, "state": "RUNNING"}))
    with open(out, "ab") as held:   # as Slurm holds it, appending
        set_aside(tmp_path, [out, err], restart=1)
        held.write(b"start run 1\n")
        held.flush()
        set_aside(tmp_path, [out, err], restart=1)   # another task of the same run: nothing more moves
    assert log_files(tmp_path, "77_3", run=0)[0].read_text() == "start run 0\n"
    assert log_files(tmp_path, "77_3", run=0)[1].read_text() == "warning of run 0\n"
    assert out.read_text() == "start run 1\n" and err.read_text() == ""
    assert read_run_manifest(tmp_path, 0) == {"attempt": 1, "state": "RUNNING"}
    assert read_run_manifest(tmp_path, None) is None   # the new run writes its own


def test_the_store_ends_the_requeued_attempt_and_goes_on_with_the_next(slurm_attempts):  # noqa: F811
    store, sweep_id = slurm_attempts
    attempt = store.jobs(sweep_id)[0].attempt
    store.update_attempt(attempt.id, JobState.RUNNING, started_at=1.0)
    new_id = store.requeue(attempt.id, state=JobState.CANCELLED, cause="requeued", detail=None, ended_at=2.0,
                           new_state=JobState.PENDING, submitted_at=3.0, reason="requeued")
    first, second = store.attempts(sweep_id, 0)
    assert (first.state, first.cause, first.proc["log_run"]) == (JobState.CANCELLED, "requeued", 0)
    assert (second.id, second.number, second.state, second.executor_id, second.proc["restart"]) == \
        (new_id, 2, JobState.PENDING, attempt.executor_id, 1)
    assert store.jobs(sweep_id)[0].attempt.id == new_id
    assert store.requeue(attempt.id, state=JobState.CANCELLED, cause="requeued", detail=None, ended_at=2.0,
                         new_state=JobState.PENDING, submitted_at=3.0, reason="again") is None   # ended already
