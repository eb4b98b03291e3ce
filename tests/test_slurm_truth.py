"""True and prompt on the real cluster (issue 27, items 1, 2 and 7): a job that leaves the queue has its end
in the store within a look at the queue, however it ended (a time limit, an outside scancel, an exit), with
its cause and no exit code for a cancel or a timeout; the timed-out job resubmitted with more time completes
on the same commit; a TUI whose agent was killed says so and starts another.

The profiles here poll sacct once an hour: only the queue look (executors/slurm/queue.py) can bring the
ends in before the waits below give up. How long after squeue each end showed is printed (`-s`) and
measured against the slow poll in bench/slurm_truth.py."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import time

import pytest

from snaptui.engine.states import JobState
from tests.conftest import run_cli, wait_sweep_done, wait_until
from tests.test_slurm import CLUSTER, cluster_env, launch, slurm_cluster, slurm_engine  # noqa: F401 - fixtures

pytestmark = [pytest.mark.slurm, pytest.mark.timeout(420)]
HOUR_POLL = ["poll_interval_s=3600"]


def in_queue(job_id: str) -> bool:
    """squeue still lists the job as pending, running or completing (its default states). A failed squeue
    (a busy or restarting controller) says nothing: counted as still listed, never as the moment it left."""
    result = subprocess.run(["squeue", "-h", "-j", job_id, "-o", "%T"], capture_output=True, text=True)
    if result.returncode != 0 and "Invalid job id" not in result.stderr:
        return True
    out = result.stdout.split()
    return bool(out) and out[0] in ("PENDING", "RUNNING", "COMPLETING", "CONFIGURING")


def shown_after_queue(engine, sweep_id: int, index: int, timeout: float = 200) -> float:
    """Seconds from squeue no longer listing the job to the store having its final state (negative: the
    store knew first, from the job's own report)."""
    job_id = engine.jobs(sweep_id)[index].attempt.executor_id
    left = wait_until(lambda: not in_queue(job_id) and time.monotonic(), timeout, 0.05, f"{job_id} to leave squeue")
    final = wait_until(lambda: engine.jobs(sweep_id)[index].state.is_final and time.monotonic(), 60, 0.05,
                       f"job {index}'s end in the store")
    return final - left


def test_ends_show_at_once_and_the_timed_out_job_completes_with_more_time(slurm_engine):
    repo = slurm_engine.repo_root
    sweep = launch(slurm_engine, '''
        name = "truth"
        command = ["python", "job.py"]
        [[zip]]
        sleep = [100, 600, 1]   # slurmctld enforces a 1-minute limit at 60 to 90 s
        code = [0, 0, 3]
    ''', sets=["timeout_min=1", *HOUR_POLL])
    jobs = slurm_engine.jobs(sweep.id)
    wait_until(lambda: slurm_engine.jobs(sweep.id)[1].state == JobState.RUNNING, 120, message="job 1 to run")
    subprocess.run(["scancel", jobs[1].attempt.executor_id], check=True)   # from outside snaptui
    lag_scancel = shown_after_queue(slurm_engine, sweep.id, 1)
    lag_timeout = shown_after_queue(slurm_engine, sweep.id, 0)
    done = wait_sweep_done(slurm_engine, sweep.id, 60)
    print(f"\nMEASURED end shown after squeue: outside scancel {lag_scancel:.2f} s, TIMEOUT {lag_timeout:.2f} s")
    ended = {j.index: (j.state, j.attempt.cause_label, j.attempt.exit_code) for j in slurm_engine.jobs(sweep.id)}
    assert ended == {0: (JobState.TIMEOUT, "TIMEOUT", None), 1: (JobState.CANCELLED, "cancelled by scancel", None),
                     2: (JobState.FAILED, "exit 3", 3)}
    shown = json.loads(run_cli(["show", f"{sweep.id}/0"], cwd=repo).stdout)
    assert (shown["state"], shown["exit_code"], shown["cause"]) == ("TIMEOUT", None, "TIMEOUT")
    status = run_cli(["status", str(sweep.id)], cwd=repo).stdout
    assert "(1 TIMEOUT, 1 cancelled by scancel, 1 exit 3)" in status

    resubmitted = run_cli(["resubmit", str(sweep.id), "--state", "TIMEOUT", "--set", "timeout_min=3"], cwd=repo)
    assert resubmitted.returncode == 0 and "with timeout_min=3 (was 1)" in resubmitted.stdout, resubmitted.stderr
    again = wait_sweep_done(slurm_engine, sweep.id, 240)
    job = slurm_engine.jobs(sweep.id)[0]
    assert (job.state, job.attempt.number) == (JobState.COMPLETED, 2)
    limit = subprocess.run(["sacct", "-X", "-n", "-P", "-o", "Timelimit", "-j", job.attempt.executor_id],
                           capture_output=True, text=True).stdout.split()
    assert limit == ["00:03:00"]   # Slurm's own limit for the new attempt
    manifest = slurm_engine.manifest(job)
    assert manifest["resubmitted_with"]["set"] == {"timeout_min": 3} and manifest["resubmitted_with"]["after"] == \
        "TIMEOUT"
    assert manifest["snapshot"]["commit"] == done.snapshot["commit"] == again.snapshot["commit"]


def test_an_end_slurm_decided_shows_from_the_queue_while_accounting_cannot_answer(slurm_engine):
    """slurmdbd lags the controller (0.5-3 s here, more on a busy cluster) or is down: an outside scancel is
    CANCELLED in the store once the queue lists it so, without waiting for accounting; its details come from
    accounting once it answers, and the end stands."""
    sweep = launch(slurm_engine, 'name = "nodbd"\ncommand = ["python", "job.py", "sleep=600"]\n', sets=HOUR_POLL)
    job = wait_until(lambda: (j := slurm_engine.jobs(sweep.id)[0]).state == JobState.RUNNING and j, 120,
                     message="the job to run")
    subprocess.run(["pkill", "-x", "slurmdbd"], check=True)
    try:
        wait_until(lambda: subprocess.run(["pgrep", "-x", "slurmdbd"]).returncode != 0, 20,
                   message="slurmdbd to stop")
        subprocess.run(["scancel", job.attempt.executor_id], check=True)
        ended = wait_until(lambda: (j := slurm_engine.jobs(sweep.id)[0]).state.is_final and j, 60,
                           message="the cancel to show with accounting down")
        assert (ended.state, ended.attempt.cause_label, ended.attempt.exit_code) == \
            (JobState.CANCELLED, "cancelled by scancel", None)
        assert subprocess.run(["sacct", "-n", "-j", job.attempt.executor_id], capture_output=True).returncode != 0
    finally:  # up again as it was: a shrunk MaxArraySize (make test) stays shrunk
        subprocess.run([CLUSTER, "up"], check=True, capture_output=True, env=cluster_env())
    wait_until(lambda: "CANCELLED" in subprocess.run(["sacct", "-X", "-n", "-o", "State", "-j",
                                                      job.attempt.executor_id], capture_output=True, text=True).stdout,
               60, 0.2, "accounting to have the cancel")
    assert slurm_engine.jobs(sweep.id)[0].state == JobState.CANCELLED


async def test_a_tui_whose_agent_was_killed_says_so_and_shows_the_end(slurm_engine):
    from snaptui.engine.agent import agent_identity
    from tests.tui.tuikit import make_app, until

    sweep = launch(slurm_engine, 'name = "orphan"\ncommand = ["python", "job.py", "sleep=8"]\n', sets=HOUR_POLL)
    job_id = slurm_engine.jobs(sweep.id)[0].attempt.executor_id
    app = make_app(slurm_engine, start_sweep=sweep.id)   # an app that may start agents
    async with app.run_test(size=(120, 30)) as pilot:
        await until(pilot, lambda: slurm_engine.jobs(sweep.id)[0].state == JobState.RUNNING, 120, "the job to run")
        old = agent_identity(slurm_engine.repo_root)
        os.kill(old["pid"], signal.SIGKILL)
        await until(pilot, lambda: "agent" in " ".join(n.message for n in app._notifications), 30,
                    "the TUI to say its agent died")
        new = agent_identity(slurm_engine.repo_root)
        assert new is not None and new["pid"] != old["pid"]
        await until(pilot, lambda: not in_queue(job_id), 60, "the job to leave squeue", step=0.05)
        left = time.monotonic()
        await until(pilot, lambda: app.screen.model.jobs[0].state == JobState.COMPLETED, 60, "the end shown",
                    step=0.05)
        print(f"\nMEASURED TUI shows the end {time.monotonic() - left:.2f} s after squeue, its agent killed -9")


def test_a_requeue_is_a_new_attempt_with_a_log_of_its_own(slurm_engine):
    """`scontrol requeue` runs the job again under the same id: two attempts, each log its own, the first
    still readable (submitit appends every run to one file)."""
    repo = slurm_engine.repo_root
    sweep = launch(slurm_engine, 'name = "rq"\ncommand = ["python", "job.py", "sleep=15"]\n', sets=HOUR_POLL)
    job = slurm_engine.jobs(sweep.id)[0]
    slurm_id = job.attempt.executor_id
    wait_until(lambda: "start" in (run_cli(["logs", job.ref], cwd=repo).stdout), 120, 0.5, "the first run's log")
    subprocess.run(["scontrol", "requeue", slurm_id], check=True)
    wait_until(lambda: len(slurm_engine.attempts(job)) == 2, 60, message="the requeue as a second attempt")
    subprocess.run(["scontrol", "update", f"jobid={slurm_id}", "StartTime=now"], check=True)   # not in 2 min
    wait_sweep_done(slurm_engine, sweep.id, 120)
    first, second = slurm_engine.attempts(job)
    assert (first.state, first.cause_label, second.state, second.number) == \
        (JobState.CANCELLED, "requeued", JobState.COMPLETED, 2)
    assert first.executor_id == second.executor_id == slurm_id
    earlier = run_cli(["logs", job.ref, "--attempt", "1"], cwd=repo).stdout
    latest = run_cli(["logs", job.ref], cwd=repo).stdout
    assert earlier.count("start") == 1 and "end" not in earlier, earlier
    assert latest.count("start") == 1 and latest.count("end") == 1, latest
    assert slurm_engine.manifest(first)["attempt"] == 1 and slurm_engine.manifest(second)["attempt"] == 2


def queue_reason(job_id: str) -> str | None:
    """Why squeue says the job waits, while it is pending (None otherwise)."""
    out = subprocess.run(["squeue", "-h", "-r", "-j", job_id, "-o", "%T|%r"], capture_output=True, text=True).stdout
    state, _, reason = out.strip().partition("|")
    return reason if state == "PENDING" else None


def test_the_queue_look_gives_a_pending_job_the_queues_reason(slurm_engine):
    """The look at the queue words a pending job's reason (reasons.pending_words). It raised AttributeError at
    every job it found pending since ruff dropped the import it reached that function through (5d3834d): the
    agent logged the failed quick poll, and ends waited for the next sacct poll while any job was pending."""
    from snaptui.engine.executors.slurm.executor import SlurmExecutor
    from snaptui.engine.executors.slurm.reasons import pending_words

    sweep = launch(slurm_engine, '''
        name = "waits"
        command = ["python", "job.py"]
        [grid]
        sleep = [120, 1]
    ''', sets=["array_parallelism=1", *HOUR_POLL])
    waiting = slurm_engine.jobs(sweep.id)[1].attempt
    wait_until(lambda: queue_reason(waiting.executor_id) == "JobArrayTaskLimit", 60,
               message="job 1 to wait for its array's limit")
    SlurmExecutor(slurm_engine.store, slurm_engine.repo_root).quick_poll([waiting])
    assert slurm_engine.attempt(waiting.id).reason == pending_words("JobArrayTaskLimit")
    slurm_engine.cancel_sweep(sweep.id)
