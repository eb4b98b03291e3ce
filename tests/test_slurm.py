"""The Slurm executor against the real single-node cluster (scripts/slurm-cluster up)."""
from __future__ import annotations

import os
import signal
import subprocess
import time

import pytest

from snaptui.engine.api import Engine
from snaptui.engine.logs.logtail import LogTailer
from snaptui.engine.jobside.manifest import read_manifest
from snaptui.engine.states import JobState
from tests.conftest import ROOT, add_slurm_profile, run_cli, stop_everything, wait_sweep_done, wait_until, write_sweep

pytestmark = [pytest.mark.slurm, pytest.mark.timeout(300)]
CLUSTER = str(ROOT / "scripts" / "slurm-cluster")


@pytest.fixture(scope="session")
def slurm_cluster():
    status = subprocess.run([CLUSTER, "status"], capture_output=True, text=True)
    if status.returncode != 0:
        if os.environ.get("SNAPTUI_REQUIRE_SLURM"):
            pytest.fail(f"the Slurm test cluster is not up:\n{status.stdout}\n{status.stderr}")
        pytest.skip("the Slurm test cluster is not up (scripts/slurm-cluster up)")


def cluster_env() -> dict:
    """The environment `slurm-cluster up` needs to bring the cluster back with its current limits."""
    from snaptui.engine.executors.slurm.limits import read_limits

    size = read_limits().max_array_size
    return {**os.environ, **({"SLURM_CLUSTER_MAX_ARRAY_SIZE": str(size)} if size and size != 1001 else {})}


@pytest.fixture
def slurm_engine(git_repo, slurm_cluster):
    add_slurm_profile(git_repo)
    engine = Engine(git_repo)
    yield engine
    stop_everything(git_repo)


def launch(engine: Engine, text: str, **plan_args):
    path = write_sweep(engine.repo_root, text)
    plan_args.setdefault("profile", "slurm")
    return engine.launch(engine.plan(path, **plan_args))


def array_id(engine, sweep_id) -> str:
    return engine.jobs(sweep_id)[0].attempt.executor_id.split("_")[0]


def test_a_sweep_is_one_array_and_failures_keep_their_exit_code(slurm_engine):
    sweep = launch(slurm_engine, '''
        name = "arr"
        command = ["python", "job.py"]
        [grid]
        result = [1, 2]
        code = [0, 4]
    ''')
    jobs = slurm_engine.jobs(sweep.id)
    assert len({j.attempt.executor_id.split("_")[0] for j in jobs}) == 1  # one sbatch, one array
    assert sorted(j.attempt.executor_id.split("_")[1] for j in jobs) == ["0", "1", "2", "3"]
    done = wait_sweep_done(slurm_engine, sweep.id)
    assert done.counts == {JobState.COMPLETED: 2, JobState.FAILED: 2}
    failed = [j for j in slurm_engine.jobs(sweep.id) if j.state == JobState.FAILED]
    assert {j.attempt.exit_code for j in failed} == {4}
    ok = [j for j in slurm_engine.jobs(sweep.id) if j.state == JobState.COMPLETED]
    assert {j.attempt.results["score"] for j in ok} == {1, 2} and {j.attempt.node for j in ok} == {"localhost"}
    assert any("node-local filesystem" in w for w in sweep.snapshot["warnings"])  # tmp_path worktrees
    sacct = lambda: subprocess.run(["sacct", "-X", "-n", "-P", "-o", "JobID,State,ExitCode", "-j",
                                    array_id(slurm_engine, sweep.id)], capture_output=True, text=True).stdout
    # Slurm itself saw the command's exit code (its accounting may lag the jobs' own reports)
    wait_until(lambda: sacct().count("FAILED|4:0") == 2, 30, message="sacct to record both failures")


def test_cancelling_one_task_leaves_its_siblings_running(slurm_engine):
    sweep = launch(slurm_engine, '''
        name = "cancel"
        command = ["python", "job.py"]
        [grid]
        sleep = [120, 3, 3]
    ''')
    long_job = slurm_engine.jobs(sweep.id)[0]
    wait_until(lambda: slurm_engine.jobs(sweep.id)[0].state == JobState.RUNNING, 60, message="task 0 to run")
    result = run_cli(["cancel", long_job.ref], cwd=slurm_engine.repo_root)
    assert result.returncode == 0, result.stderr
    done = wait_sweep_done(slurm_engine, sweep.id, 90)
    assert done.counts == {JobState.CANCELLED: 1, JobState.COMPLETED: 2}
    assert slurm_engine.jobs(sweep.id)[0].state == JobState.CANCELLED


def test_cancelling_a_pending_task_is_recorded_even_though_slurm_forgets_it(slurm_engine):
    sweep = launch(slurm_engine, '''
        name = "pend"
        command = ["python", "job.py", "sleep=2"]
        [grid]
        i = "range(3)"
    ''', sets=["array_parallelism=1"])
    last = slurm_engine.jobs(sweep.id)[2]
    assert [j.index for j in slurm_engine.cancel([last])] == [2]  # returned as read back after the cancel
    done = wait_sweep_done(slurm_engine, sweep.id, 90)
    assert done.counts == {JobState.COMPLETED: 2, JobState.CANCELLED: 1}


def test_array_parallelism_is_honoured_as_squeue_sees_it(slurm_engine):
    sweep = launch(slurm_engine, '''
        name = "throttle"
        command = ["python", "job.py", "sleep=1"]
        [grid]
        i = "range(4)"
    ''', sets=["array_parallelism=1"])
    array = array_id(slurm_engine, sweep.id)
    peak = 0
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and slurm_engine.sweep(sweep.id).is_active:
        running = subprocess.run(["squeue", "-h", "-r", "-t", "R", "-j", array, "-o", "%i"],
                                 capture_output=True, text=True).stdout.split()
        peak = max(peak, len(running))
        time.sleep(0.2)
    assert wait_sweep_done(slurm_engine, sweep.id).counts == {JobState.COMPLETED: 4}
    assert peak == 1


def test_a_restarted_snaptui_reattaches_and_sees_completion(slurm_engine):
    write_sweep(slurm_engine.repo_root, '''
        name = "reattach"
        command = ["python", "job.py", "sleep=4"]
        [grid]
        i = [0, 1]
    ''')
    launched = run_cli(["launch", "sweep.toml", "--profile", "slurm"], cwd=slurm_engine.repo_root)
    assert launched.returncode == 0, launched.stderr
    sweep_id = int(launched.stdout.split()[-1])
    stop_everything_but_jobs(slurm_engine.repo_root)
    fresh = Engine(slurm_engine.repo_root)  # a new process's view: only the store and the scheduler
    fresh.refresh()
    assert wait_sweep_done(fresh, sweep_id, 90).counts == {JobState.COMPLETED: 2}


def stop_everything_but_jobs(repo):
    """SIGKILL the agent (found by its recorded PID, never by a name pattern); jobs keep running."""
    from snaptui.engine.agent import agent_identity, agent_running
    from snaptui.engine.procs import signal_process

    assert signal_process(agent_identity(repo), signal.SIGKILL)
    wait_until(lambda: not agent_running(repo), 30, message="the killed agent to be gone")  # a kill is not instant


def test_slurmctld_stopped_and_restarted_mid_sweep_loses_nothing(slurm_engine):
    sweep = launch(slurm_engine, '''
        name = "ctld"
        command = ["python", "job.py", "sleep=8"]
        [grid]
        i = [0, 1]
    ''')
    wait_until(lambda: slurm_engine.sweep(sweep.id).counts.get(JobState.RUNNING), 60, message="a running task")
    running = [j.index for j in slurm_engine.jobs(sweep.id) if j.state == JobState.RUNNING]
    subprocess.run([CLUSTER, "stop-ctld"], check=True, capture_output=True)
    try:
        # Progress that needs a live agent and no controller: the running tasks end and the agent
        # records them from their own reports (sacct would answer from slurmdbd alone).
        wait_until(lambda: all(slurm_engine.jobs(sweep.id)[i].state == JobState.COMPLETED for i in running), 60,
                   message="the agent to record the running tasks' completion while slurmctld is down")
        assert not any(j.state in (JobState.FAILED, JobState.CANCELLED) for j in slurm_engine.jobs(sweep.id))
    finally:
        subprocess.run([CLUSTER, "start-ctld"], check=True, capture_output=True)
    assert wait_sweep_done(slurm_engine, sweep.id, 120).counts == {JobState.COMPLETED: 2}


def test_accounting_unreachable_means_unknown_with_a_reason_then_recovery(slurm_engine):
    sweep = launch(slurm_engine, 'name = "dbd"\ncommand = ["python", "job.py", "sleep=10"]\n')
    wait_until(lambda: slurm_engine.jobs(sweep.id)[0].state == JobState.RUNNING, 60, message="the task to run")
    subprocess.run(["pkill", "-x", "slurmdbd"], check=True)
    try:
        wait_until(lambda: not subprocess.run(["pgrep", "-x", "slurmdbd"]).returncode == 0, 20,
                   message="slurmdbd to stop")
        slurm_engine.refresh()
        job = wait_until(lambda: (j := slurm_engine.jobs(sweep.id)[0]).state == JobState.UNKNOWN and j, 60,
                         message="the job to go UNKNOWN")
        assert job.attempt.reason.startswith("scheduler unreachable: sacct failed")
    finally:  # up again as it was: a shrunk MaxArraySize (make test) stays shrunk
        subprocess.run([CLUSTER, "up"], check=True, capture_output=True, env=cluster_env())
    slurm_engine.refresh()
    assert wait_sweep_done(slurm_engine, sweep.id, 120).counts == {JobState.COMPLETED: 1}


def test_a_node_set_down_mid_job_gives_a_clear_state(slurm_engine):
    sweep = launch(slurm_engine, 'name = "down"\ncommand = ["python", "job.py", "sleep=60"]\n')
    wait_until(lambda: slurm_engine.jobs(sweep.id)[0].state == JobState.RUNNING, 60, message="the task to run")
    subprocess.run(["scontrol", "update", "nodename=localhost", "state=down", "reason=snaptui-test"], check=True)
    try:
        slurm_engine.refresh()
        job = wait_until(lambda: (j := slurm_engine.jobs(sweep.id)[0]).state != JobState.RUNNING and j, 90,
                         message="the task to leave RUNNING")
        # Slurm requeues a batch job whose node failed: unknown for a moment, then pending again,
        # with Slurm's own words for it; never a plain "failed".
        assert job.state in (JobState.PENDING, JobState.UNKNOWN)
        assert "pending: " in job.attempt.reason or "NODE_FAIL: Slurm may requeue it" in job.attempt.reason
    finally:
        subprocess.run(["scontrol", "update", "nodename=localhost", "state=resume"], check=False)
    slurm_engine.cancel(slurm_engine.jobs(sweep.id))
    assert wait_sweep_done(slurm_engine, sweep.id, 60).counts == {JobState.CANCELLED: 1}


def test_the_log_of_a_running_task_can_be_tailed(slurm_engine):
    sweep = launch(slurm_engine, '''
        name = "tail"
        command = ["sh", "-c", "for i in 1 2 3 4 5 6; do echo line $i; sleep 1; done"]
        override_style = "placeholder"
    ''')
    job = wait_until(lambda: (j := slurm_engine.jobs(sweep.id)[0]).state == JobState.RUNNING and j, 60,
                     message="the task to run")
    tailer = LogTailer(slurm_engine.log_paths(job)[0])
    seen: list[str] = []
    first_seen_while_running = None
    while slurm_engine.jobs(sweep.id)[0].state == JobState.RUNNING:
        seen += [line for line in tailer.read_new() if line.startswith("line")]
        if seen and first_seen_while_running is None:
            first_seen_while_running = read_manifest(job.attempt.log_dir).get("ended_at") is None
        time.sleep(0.2)
    seen += [line for line in tailer.read_new() if line.startswith("line")]
    assert first_seen_while_running is True  # the first line arrived while the command still ran
    assert seen == [f"line {i}" for i in range(1, 7)]


def test_a_requeue_is_told_from_accounting_that_lags_the_job_start():
    """Both records are what sacct prints for a job seen running: the first still lags (PENDING, the first
    submit second), the second was requeued after a node failure (PENDING, a later submit second) while the
    killed job wrote its start into its manifest after the requeue. Only the second steps back to pending."""
    from snaptui.engine.executors.slurm import sacct
    from snaptui.engine.executors.slurm.states import requeued_since as _requeued_since
    from snaptui.engine.models import Attempt

    submitted, requeued_at = 1_780_000_000.7, 1_780_000_004
    def stamp(at: float) -> str:
        return time.strftime('%Y-%m-%dT%H:%M:%S', time.localtime(at))

    lines = (f"41|PENDING|0:0||{stamp(int(submitted))}|Unknown|Unknown|me|None\n"
             f"42|PENDING|0:0||{stamp(requeued_at)}|Unknown|Unknown|me|BeginTime\n")
    records = sacct.parse(lines)
    started_in_manifest = requeued_at + 0.6   # written by the job after Slurm requeued it
    attempt = lambda job_id: Attempt(id=1, sweep_id=1, job_index=0, number=1, state=JobState.RUNNING,
                                     executor_id=job_id, submitted_at=submitted, started_at=started_in_manifest)
    assert not _requeued_since(records["41"], attempt("41"))
    assert _requeued_since(records["42"], attempt("42"))
