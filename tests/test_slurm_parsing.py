"""What snaptui reads from sbatch, sacct, squeue, scontrol, salloc and sacctmgr, and what the state policy
makes of it, on output recorded from the real test cluster (tests/slurm_fixtures/, recorded by its
record.py, which says how): no cluster and no root needed. The tests on the live cluster stay."""
from __future__ import annotations

from pathlib import Path

import pytest
import submitit

from snaptui.engine.executors.slurm import allocation, limits, recovery, sacct, throttle
from snaptui.engine.executors.slurm.states import apply_record
from snaptui.engine.executors.state_policy import StatePolicy
from snaptui.engine.states import JobState
from tests.conftest import write_sweep

FIXTURES = Path(__file__).resolve().parent / "slurm_fixtures"
HELD_BACK = "pending: held back by the sweep's max_parallel_jobs (JobArrayTaskLimit)"
ARRAY, TIMED_OUT, TAGGED, ALLOCATION = "283", "284", "285", "291"   # as RECORDED says


def recorded(name: str) -> str:
    return (FIXTURES / name).read_text()


def test_the_job_id_is_read_from_sbatch_as_submitit_reads_it():
    from snaptui.engine.executors.slurm.submission import CleanEnvSlurmExecutor
    assert CleanEnvSlurmExecutor._get_job_id_from_submission_command(recorded("sbatch.txt")) == ARRAY


def test_sacct_while_the_array_runs():
    records = sacct.parse(recorded("sacct_running.txt"))
    assert {k: (r.state, r.exit_code) for k, r in records.items()} == {
        TIMED_OUT: (JobState.RUNNING, 0), f"{ARRAY}_0": (JobState.COMPLETED, 0), f"{ARRAY}_1": (JobState.FAILED, 3),
        f"{ARRAY}_2": (JobState.RUNNING, 0), f"{ARRAY}_3": (JobState.PENDING, 0)}
    waiting = records[f"{ARRAY}_3"]
    assert waiting.node is None and waiting.start is None and waiting.describe() == HELD_BACK
    running = records[f"{ARRAY}_2"]
    assert running.node == "localhost" and running.start is not None and running.end is None
    assert records[f"{ARRAY}_1"].describe() == "FAILED, exit code 3"


def test_sacct_once_every_job_ended():
    records = sacct.parse(recorded("sacct_final.txt"))
    assert {k: r.state for k, r in records.items()} == {
        TIMED_OUT: JobState.TIMEOUT, TAGGED: JobState.COMPLETED, f"{ARRAY}_0": JobState.COMPLETED,
        f"{ARRAY}_1": JobState.FAILED, f"{ARRAY}_2": JobState.CANCELLED, f"{ARRAY}_3": JobState.COMPLETED}
    cancelled = records[f"{ARRAY}_2"]
    assert cancelled.slurm_state == "CANCELLED" and cancelled.describe() == "CANCELLED"   # "CANCELLED by 0"
    timeout = records[TIMED_OUT]
    assert timeout.describe() == "TIMEOUT" and 55 <= timeout.end - timeout.start <= 125   # a 1-minute limit


def test_a_folded_pending_array_is_unfolded():
    line = recorded("sacct_running.txt").splitlines()[-1].replace(f"{ARRAY}_3|", f"{ARRAY}_[3-5,7%1]|")
    assert sorted(sacct.parse(line)) == [f"{ARRAY}_{i}" for i in (3, 4, 5, 7)]


def test_a_tasks_own_row_wins_over_the_stale_folded_row_that_still_names_it():
    """Recorded on the test cluster (bench/slurm_truth.py): task 0 was scancelled a second after it started,
    and slurmdbd still listed it in the array's folded "pending" row, which it updates only when the next task
    starts. Read in order, the folded row turned the cancelled task back to PENDING, so its end showed a
    minute late (when a CPU freed for task 2), not within 2 s. Either order of the rows gives the same."""
    lines = recorded("sacct_stale_fold.txt").splitlines()
    array = lines[0].split("_")[0]
    for text in ("\n".join(lines), "\n".join(reversed(lines))):
        records = sacct.parse(text)
        assert (records[f"{array}_0"].slurm_state, records[f"{array}_0"].cancelled_by) == ("CANCELLED", 0)
        assert records[f"{array}_1"].state == JobState.RUNNING
        assert records[f"{array}_2"].state == JobState.PENDING   # the one the folded row truly stands for


def test_a_job_the_oom_killer_hit_under_srun_is_out_of_memory_not_exit_1():
    """Recorded on a test cluster that enforces memory (task/cgroup): a task that ran `srun python` past its
    --mem was killed by the cgroup OOM killer. Slurm put OUT_OF_MEMORY on the step only; the job line says
    FAILED 1:0, which read as the command's "exit 1". The steps' lines make it OUT_OF_MEMORY."""
    from snaptui.engine.executors.slurm.states import SLURM_CAUSES
    from snaptui.engine.states import Cause

    records = sacct.parse(recorded("sacct_oom.txt"))
    assert (records["2_0"].slurm_state, records["2_0"].exit_code) == ("FAILED", 1)   # what the job line says
    records = sacct.with_memory_kills(records, recorded("sacct_oom_steps.txt"))
    assert (records["2_0"].slurm_state, records["2_0"].state) == ("OUT_OF_MEMORY", JobState.FAILED)
    assert SLURM_CAUSES[records["2_0"].slurm_state] == Cause.OUT_OF_MEMORY
    assert records["2_1"].slurm_state == "COMPLETED"   # its steps completed: untouched


def test_squeue_the_queue_and_the_launch_tag_recovery_looks_for():
    assert len(recorded("squeue_ids.txt").split()) == 4   # what read_limits counts against MaxJobCount
    rows = recovery.parse_queue(recorded("squeue_all.txt"))
    assert len(rows) == len(recorded("squeue_all.txt").splitlines())
    tagged = [(task, state) for task, state, comment in rows if "snaptui:abc123" in comment.split()]
    assert tagged == [(TAGGED, "PENDING")]   # waiting behind the array on the shared 2-CPU node
    states = {task: state for task, state, _ in rows}
    assert [states[f"{ARRAY}_{i}"] for i in range(4)] == ["COMPLETED", "FAILED", "RUNNING", "PENDING"]
    assert recovery._from_controller(TAGGED, "PENDING").state == JobState.PENDING


def test_scontrol_the_array_throttle_the_allocation_and_the_config():
    assert throttle.parse_throttle(recorded("scontrol_array_job.txt")) == 1
    found = allocation.parse_job(recorded("scontrol_allocation.txt"), ALLOCATION)
    assert (found.job_id, found.state, found.cpus, found.mem_mb, found.nodes, found.user) == \
        (ALLOCATION, "RUNNING", 1, 100, "localhost", "root")
    config = limits.parse_config(recorded("scontrol_config.txt"))
    assert (config["MaxArraySize"], config["ClusterName"]) == ("11", "snaptui")
    assert "limits" in config["AccountingStorageEnforce"].split(",")


def test_salloc_and_sacctmgr():
    assert allocation.GRANTED.search(recorded("salloc.txt")).group(1) == ALLOCATION
    # the test cluster sets no MaxSubmitJobs on the association or QOS: nothing binds
    assert limits.parse_submit_limits(recorded("sacctmgr_assoc.txt"), recorded("sacctmgr_qos.txt"),
                                      "root", None, None) == []
    qos = recorded("sacctmgr_qos.txt").replace("normal|", "normal|7")
    assert limits.parse_submit_limits(recorded("sacctmgr_assoc.txt"), qos, "root", None, None) == \
        [(7, "MaxSubmitJobsPerUser of QOS normal", ["-q", "normal"])]


@pytest.fixture
def slurm_attempts(engine):
    """Four attempts recorded as submitted in the recorded array, when the array was (a store, no cluster)."""
    plan = engine.plan(write_sweep(engine.repo_root, 'name = "a"\ncommand = ["true"]\n[grid]\ni = [0, 1, 2, 3]\n'),
                       no_snapshot=True, sets=["executor=slurm"])
    config = plan.config.to_dict()
    sweep_id = engine.store.create_sweep(
        name="a", executor="slurm", profile="slurm", sweep_file=None, spec=plan.spec.to_dict(), config=config,
        snapshot=None, workdir=str(engine.repo_root), env={}, jobs=[(j.index, j.label, j.params, j.argv)
                                                                    for j in plan.jobs])
    engine.store.set_sweep_status(sweep_id, "active")
    submitted = sacct.parse(recorded("sacct_running.txt"))[f"{ARRAY}_0"].submit
    for attempt in engine.store.active_attempts(sweep_id=sweep_id, launched_only=False):
        engine.store.claim(attempt.id)
        engine.store.update_attempt(attempt.id, executor_id=f"{ARRAY}_{attempt.job_index}", submitted_at=submitted)
    return engine.store, sweep_id


def test_the_state_policy_on_the_recorded_answers(slurm_attempts):
    store, sweep_id = slurm_attempts
    policy = StatePolicy(store)

    def apply(name: str) -> dict[int, tuple[JobState, str | None]]:
        records = sacct.parse(recorded(name))
        for attempt in store.active_attempts(sweep_id=sweep_id):
            apply_record(policy, attempt, records.get(attempt.executor_id))
        return {j.index: (j.state, j.attempt.reason) for j in store.jobs(sweep_id)}

    assert apply("sacct_running.txt") == {
        0: (JobState.COMPLETED, None), 1: (JobState.FAILED, "FAILED, exit code 3"),
        2: (JobState.RUNNING, None), 3: (JobState.PENDING, HELD_BACK)}
    [running] = [a for a in store.active_attempts(sweep_id=sweep_id) if a.job_index == 2]
    assert store.request_cancel([running.id]) == [running.id]   # the user cancelled it: scancel came next
    assert apply("sacct_final.txt") == {0: (JobState.COMPLETED, None), 1: (JobState.FAILED, "FAILED, exit code 3"),
                                        2: (JobState.CANCELLED, "CANCELLED"), 3: (JobState.COMPLETED, None)}
    assert store.jobs(sweep_id)[1].attempt.exit_code == 3 and store.jobs(sweep_id)[2].attempt.node == "localhost"
    causes = {j.index: (j.attempt.cause_label, j.attempt.exit_code) for j in store.jobs(sweep_id)}
    assert causes == {0: ("completed", 0), 1: ("exit 3", 3), 2: ("cancelled by snaptui", None), 3: ("completed", 0)}


def test_the_cause_of_each_end_slurm_records(slurm_attempts):
    """Who cancelled (CANCELLED by UID), a time limit, and the ends no cluster here can produce on demand
    (OUT_OF_MEMORY, PREEMPTED, NODE_FAIL: the recorded lines with only their state changed). A cancel or a
    timeout has no exit code of its own: sacct's 0:0 or 0:15 is not the command's verdict."""
    import os

    store, sweep_id = slurm_attempts
    policy = StatePolicy(store)
    lines = recorded("sacct_final.txt").splitlines()
    cancelled = next(line for line in lines if line.startswith(f"{ARRAY}_2|"))
    assert sacct.parse(cancelled)[f"{ARRAY}_2"].cancelled_by == 0
    ends = {0: cancelled.replace(f"{ARRAY}_2|", f"{ARRAY}_0|"),
            1: cancelled.replace(f"{ARRAY}_2|", f"{ARRAY}_1|").replace("CANCELLED by 0", "OUT_OF_MEMORY"),
            2: cancelled.replace("CANCELLED by 0", "PREEMPTED"),
            3: next(line for line in lines if line.startswith(f"{TIMED_OUT}|")).replace(f"{TIMED_OUT}|", f"{ARRAY}_3|")}
    records = sacct.parse("\n".join(ends.values()))
    for attempt in store.active_attempts(sweep_id=sweep_id):
        apply_record(policy, attempt, records[attempt.executor_id])
    by_whom = "scancel" if os.getuid() == 0 else "admin"   # the jobs' user cancelled them here, as root
    found = {j.index: (j.state, j.attempt.cause_label, j.attempt.exit_code) for j in store.jobs(sweep_id)}
    assert found == {0: (JobState.CANCELLED, f"cancelled by {by_whom}", None),
                     1: (JobState.FAILED, "OUT_OF_MEMORY", None), 3: (JobState.TIMEOUT, "TIMEOUT", None),
                     2: (JobState.FAILED, "PREEMPTED", None)}   # long ago: Slurm did not requeue it


def test_an_array_is_submitted_by_the_clean_executor_without_touching_submitit_s_globals(tmp_path, monkeypatch):
    """The array's copy of the executor is snaptui's (its sbatch drops the caller's SLURM_*), and submitit's
    module global is never swapped for it (another thread submitting meanwhile would have seen the swap)."""
    import submitit.slurm.slurm as submitit_slurm
    from snaptui.engine.executors.slurm.submission import CleanEnvSlurmExecutor

    seen = []

    def submit_command(self, command):   # instead of sbatch: what the array's executor looks like
        seen.append((type(self), submitit_slurm.SlurmExecutor, self.parameters["map_count"]))
        job = submitit_slurm.SlurmJob(folder=self.folder, job_id=ARRAY, tasks=[0])
        return job

    monkeypatch.setattr(CleanEnvSlurmExecutor, "_submit_command", submit_command)
    executor = CleanEnvSlurmExecutor(folder=tmp_path / "%j")
    executor.update_parameters(time=1)
    with executor.batch():
        jobs = [executor.submit(print, i) for i in range(3)]
    assert [j.job_id for j in jobs] == [f"{ARRAY}_{i}" for i in range(3)]
    assert seen == [(CleanEnvSlurmExecutor, submitit.SlurmExecutor, 3)]


def test_the_queue_as_the_executor_looks_at_it_every_second():
    """squeue -t all: running, pending with the queue's own reason (sacct said None), a job that can never
    start as submitted (more CPUs than a node: PartitionConfig), one that ended within MinJobAge."""
    from snaptui.engine.executors.slurm import queue
    from snaptui.engine.executors.slurm.reasons import pending_words

    listed = queue.parse(recorded("squeue_queue.txt"))
    ended, running, held, never = (listed[i] for i in ("1451", "1452", "1453_1", "1454"))
    assert ended.ended and not running.ended and running.node == "localhost" and running.start is not None
    assert (held.slurm_state, held.reason, held.start, held.never_starts) == ("PENDING", "JobArrayTaskLimit", None,
                                                                              False)
    assert never.never_starts and pending_words(never.reason) == (
        "pending: can never start: asks for more CPUs, memory or GPUs per node than its partition has "
        "(PartitionConfig)")
    assert pending_words(held.reason) == HELD_BACK


def test_what_sacct_accounts_a_sleeper_and_a_burner_used():
    """A sleeper holding 200 MB for 36 s (MaxRSS: sampled every 30 s) and a burner of 3 CPU seconds."""
    from snaptui.engine.executors.slurm.sacct import parse_usage

    used = parse_usage(recorded("sacct_usage.txt"))
    sleeper, burner = used["1451"], used["1452"]
    assert (sleeper["elapsed_s"], sleeper["cpu_s"], sleeper["cpus"], sleeper["mem_req_mb"]) == (36, 0.246, 1, 100)
    assert sleeper["peak_rss_mb"] == pytest.approx(217064 / 1024) and sleeper["limit_s"] is None   # UNLIMITED
    assert burner["cpu_s"] == 3.008 and "peak_rss_mb" not in burner   # ended before the first sample


def test_sbatch_refusals_name_the_setting():
    from snaptui.engine.executors.slurm.request import refusal
    from snaptui.engine.executors.slurm.settings import SlurmProfile

    blocks = [b.split("\n", 1)[1] for b in recorded("sbatch_refusals.txt").split("# sbatch ")[1:]]
    profile = SlurmProfile(partition="nosuch", qos="nosuch", account="nosuch", mem_gb=4000, constraint="nofeature")
    said = [refusal(block, profile).render() for block in blocks]
    assert said == [
        "partition: sbatch refused the jobs: Invalid partition name specified (partition = 'nosuch')",
        "qos: sbatch refused the jobs: Invalid qos specification (qos = 'nosuch')",
        "account: sbatch refused the jobs: Invalid account or account/partition combination specified "
        "(account = 'nosuch')",
        "mem_gb: sbatch refused the jobs: Requested node configuration is not available (mem_gb = 4000)",
        "constraint: sbatch refused the jobs: Invalid feature specification (constraint = 'nofeature')"]
