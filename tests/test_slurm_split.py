"""Sweeps larger than one array, on the real cluster with its MaxArraySize shrunk.

`make test` brings the cluster up with MaxArraySize=11 (SLURM_CLUSTER_MAX_ARRAY_SIZE), so a
25-job sweep needs three arrays: the split is exercised without growing the sweep.
"""
from __future__ import annotations

import subprocess
import time

import pytest

from snaptui.engine.executors.slurm import limits as slurm_limits
from snaptui.engine.executors.slurm.limits import ArrayChunk, ClusterLimits, check_fits, split_arrays
from snaptui.engine.executors.slurm.throttle import ArrayLoad, changes, shares
from snaptui.engine.errors import ConfigError
from snaptui.engine.states import JobState
from tests.conftest import wait_sweep_done, wait_until
from tests.test_slurm import launch, slurm_cluster, slurm_engine  # noqa: F401 (fixtures)

JOBS = 25


def test_split_respects_the_array_size_and_shares_parallelism():
    assert split_arrays(25, 11, 256) == [ArrayChunk(0, 11, 11), ArrayChunk(11, 11, 11), ArrayChunk(22, 3, 3)]
    chunks = split_arrays(25, 11, 4)
    assert [c.size for c in chunks] == [11, 11, 3] and sum(c.throttle for c in chunks) == 4
    assert all(c.after is None for c in chunks)
    # fewer slots than arrays: lanes of arrays, each waiting for the one before it in its lane
    assert split_arrays(25, 11, 2) == [ArrayChunk(0, 11, 1), ArrayChunk(11, 11, 1), ArrayChunk(22, 3, 1, after=0)]
    assert split_arrays(5, None, 2) == [ArrayChunk(0, 5, 2)]


def test_a_drained_arrays_share_goes_to_the_arrays_still_waiting():
    # 1,500 jobs at MaxArraySize 1001 and 256 slots: 128 + 128, then the 499-task array drains
    assert shares({"21": ArrayLoad(0, 1001), "24": ArrayLoad(0, 499)}, 256) == {"21": 128, "24": 128}
    assert shares({"21": ArrayLoad(128, 700), "24": ArrayLoad(100, 0)}, 256) == {"21": 156}
    assert shares({"21": ArrayLoad(128, 600)}, 256) == {"21": 256}
    # never more than an array can use, nor more slots than array_parallelism in all
    assert shares({"21": ArrayLoad(1, 2), "24": ArrayLoad(0, 40)}, 20) == {"21": 3, "24": 17}
    # lanes (fewer slots than arrays waiting): left as submitted, each array keeps one slot
    assert shares({"1": ArrayLoad(1, 9), "2": ArrayLoad(1, 9), "3": ArrayLoad(0, 3)}, 2) == {}
    assert shares({"1": ArrayLoad(1, 0), "2": ArrayLoad(1, 9), "3": ArrayLoad(0, 3)}, 2) == {}


def test_a_draining_arrays_throttle_is_changed_only_when_that_changes_what_runs():
    # the last array of a 1,500-job sweep drains with throttle 256: its share shrinks with what is left,
    # yet min(throttle, tasks left) is the same, so no scontrol call
    loads = {"24": ArrayLoad(2, 40)}
    assert shares(loads, 256) == {"24": 42}
    assert changes(loads, shares(loads, 256), {"24": 256}) == {}
    # raising one array when another drains does change what may run
    loads = {"21": ArrayLoad(128, 600), "24": ArrayLoad(60, 0)}
    assert changes(loads, shares(loads, 256), {"21": 128}) == {"21": 196}
    # so does lowering a throttle below the tasks left (the slots are another array's now)
    loads = {"21": ArrayLoad(100, 300), "24": ArrayLoad(0, 300)}
    assert changes(loads, shares(loads, 256), {"21": 256, "24": 1}) == {"21": 128, "24": 128}
    # and an array whose throttle was never read is set
    assert changes(loads, {"21": 128}, {}) == {"21": 128}


def test_a_sweep_beyond_the_submit_limit_is_refused_with_how_to_pack():
    limits = ClusterLimits(max_array_size=1001, max_submit_jobs=100,
                           submit_limit_name="MaxSubmitJobsPerUser of QOS normal",
                           queued_now=40)
    with pytest.raises(ConfigError) as refused:
        check_fits(limits, 1500, 1500, 1, "sweep.toml")
    text = str(refused.value)
    assert "MaxSubmitJobsPerUser of QOS normal = 100" in text and "40 of your jobs" in text
    assert "jobs_per_task = 25" in text  # 1500 jobs in the 60 free places
    check_fits(limits, 1500, 60, 25, "sweep.toml")  # packed, it fits


def test_limits_are_read_from_the_cluster(slurm_cluster):
    limits = slurm_limits.read_limits()
    config = subprocess.run(["scontrol", "show", "config"], capture_output=True, text=True).stdout
    assert f"MaxArraySize            = {limits.max_array_size}" in config
    assert limits.cluster_name == "snaptui"


@pytest.fixture
def small_arrays(slurm_cluster):
    size = slurm_limits.read_limits().max_array_size
    if size is None or size >= JOBS:
        import os
        message = (f"the cluster's MaxArraySize is {size}: bring it up with SLURM_CLUSTER_MAX_ARRAY_SIZE=11 "
                   f"(make test does) so {JOBS} jobs need several arrays")
        if os.environ.get("SNAPTUI_REQUIRE_SLURM"):
            pytest.fail(message)
        pytest.skip(message)
    return size


def arrays_of(engine, sweep_id, attempt_filter=lambda a: True) -> set[str]:
    return {j.attempt.executor_id.split("_")[0] for j in engine.jobs(sweep_id) if attempt_filter(j.attempt)}


@pytest.mark.slurm
@pytest.mark.timeout(300)
def test_a_split_sweep_runs_and_resubmits_its_failed_jobs(slurm_engine, small_arrays):
    failing = {4, 15, 23}  # one in each array
    codes = [3 if i in failing else 0 for i in range(JOBS)]
    sweep = launch(slurm_engine, f'''
        name = "split"
        command = ["python", "job.py"]
        [[zip]]
        i = {list(range(JOBS))}
        code = {codes}
    ''', sets=["array_parallelism=4"])
    assert len(arrays_of(slurm_engine, sweep.id)) == -(-JOBS // small_arrays)
    done = wait_sweep_done(slurm_engine, sweep.id, 240)
    assert done.counts == {JobState.COMPLETED: JOBS - 3, JobState.FAILED: 3}
    jobs = slurm_engine.jobs(sweep.id)
    assert {j.index for j in jobs if j.state == JobState.FAILED} == failing
    for job in jobs:  # each task ran its own job's parameters
        out, _ = slurm_engine.log_paths(job)
        assert f'"i": "{job.index}"' in out.read_text()
    resubmitted = slurm_engine.resubmit_failed(sweep.id)
    assert {j.index for j in resubmitted} == failing
    done = wait_sweep_done(slurm_engine, sweep.id, 120)
    again = [j for j in slurm_engine.jobs(sweep.id) if j.index in failing]
    assert {(j.attempt.number, j.state, j.attempt.exit_code) for j in again} == {(2, JobState.FAILED, 3)}
    assert done.counts == {JobState.COMPLETED: JOBS - 3, JobState.FAILED: 3}


@pytest.mark.slurm
@pytest.mark.timeout(300)
def test_a_split_sweep_is_cancelled_as_a_whole_and_its_failed_jobs_resubmitted(slurm_engine, small_arrays):
    sweep = launch(slurm_engine, '''
        name = "split-cancel"
        command = ["python", "job.py", "sleep=300"]
        [grid]
        i = "range(25)"
    ''', sets=["array_parallelism=2"])
    arrays = arrays_of(slurm_engine, sweep.id)
    assert len(arrays) == -(-JOBS // small_arrays)
    wait_until(lambda: slurm_engine.jobs(sweep.id)[0].state == JobState.RUNNING, 90, message="a task to run")
    slurm_engine.cancel_sweep(sweep.id)
    done = wait_sweep_done(slurm_engine, sweep.id, 120)
    assert done.counts == {JobState.CANCELLED: JOBS}
    squeue = lambda: subprocess.run(["squeue", "-h", "-r", "-j", ",".join(sorted(arrays)), "-o", "%i"],
                                    capture_output=True, text=True).stdout.split()
    wait_until(lambda: not squeue(), 60, message="every array to leave the queue")
    # a fresh attempt of every cancelled job, on the same snapshot, split again
    assert slurm_engine.resubmit_failed(sweep.id)
    resubmitted = arrays_of(slurm_engine, sweep.id)
    assert len(resubmitted) == len(arrays) and not resubmitted & arrays
    assert {j.attempt.number for j in slurm_engine.jobs(sweep.id)} == {2}
    slurm_engine.cancel_sweep(sweep.id)
    assert wait_sweep_done(slurm_engine, sweep.id, 120).counts == {JobState.CANCELLED: JOBS}


@pytest.mark.slurm
@pytest.mark.timeout(300)
def test_array_parallelism_holds_across_the_arrays(slurm_engine, small_arrays):
    sweep = launch(slurm_engine, '''
        name = "split-throttle"
        command = ["python", "job.py", "sleep=1"]
        [grid]
        i = "range(25)"
    ''', sets=["array_parallelism=2"])
    arrays = ",".join(sorted(arrays_of(slurm_engine, sweep.id)))
    peak = 0
    while slurm_engine.sweep(sweep.id).is_active:
        running = subprocess.run(["squeue", "-h", "-r", "-t", "R", "-j", arrays, "-o", "%i"],
                                 capture_output=True, text=True).stdout.split()
        peak = max(peak, len(running))
        time.sleep(0.2)
    assert wait_sweep_done(slurm_engine, sweep.id).counts == {JobState.COMPLETED: JOBS}
    assert 1 <= peak <= 2


@pytest.mark.slurm
@pytest.mark.timeout(300)
def test_a_drained_arrays_slot_goes_to_the_array_still_waiting(slurm_engine, small_arrays):
    """14 jobs at MaxArraySize 11 are arrays of 11 and 3 tasks, one slot each of array_parallelism=2;
    once the 3-task array is done, its slot runs the 11-task array's tasks two at a time."""
    sweep = launch(slurm_engine, '''
        name = "split-rebalance"
        command = ["python", "job.py", "sleep=1"]
        [grid]
        i = "range(14)"
    ''', sets=["array_parallelism=2"])
    big = min(arrays_of(slurm_engine, sweep.id), key=int)
    peak, peak_big = 0, 0
    while slurm_engine.sweep(sweep.id).is_active:
        running = subprocess.run(["squeue", "-h", "-r", "-t", "R", "-j", ",".join(arrays_of(slurm_engine, sweep.id)),
                                  "-o", "%i"], capture_output=True, text=True).stdout.split()
        peak = max(peak, len(running))
        peak_big = max(peak_big, sum(1 for task in running if task.startswith(big + "_")))
        time.sleep(0.2)
    assert wait_sweep_done(slurm_engine, sweep.id).counts == {JobState.COMPLETED: 14}
    assert peak_big == 2, "the 11-task array never ran two tasks at once: the drained array's slot stayed idle"
    assert peak <= 2


@pytest.fixture
def tiny_qos(slurm_cluster):
    """A QOS that lets each user have 4 jobs queued (MaxSubmitJobsPerUser), granted to this user, as a
    cluster administrator would set one; removed afterwards."""
    import getpass
    import os

    config = slurm_limits.parse_config(subprocess.run(["scontrol", "show", "config"], capture_output=True,
                                                      text=True).stdout)
    if "limits" not in config.get("AccountingStorageEnforce", ""):
        message = "the test cluster does not enforce limits: bring it up with scripts/slurm-cluster up"
        if os.environ.get("SNAPTUI_REQUIRE_SLURM"):
            pytest.fail(message)
        pytest.skip(message)
    user, name = getpass.getuser(), "snaptui_tiny"

    def sacctmgr(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(["sacctmgr", "-i", *args], capture_output=True, text=True)

    try:
        sacctmgr("add", "qos", name, "MaxSubmitJobsPerUser=4")
        granted = sacctmgr("modify", "user", user, "set", f"qos+={name}")
        assert granted.returncode == 0, granted.stderr

        def controller_knows() -> bool:   # slurmctld hears of accounting changes from slurmdbd, a moment later
            shown = subprocess.run(["scontrol", "show", "assoc_mgr", f"qos={name}", "flags=qos"],
                                   capture_output=True, text=True).stdout
            usable = subprocess.run(["sbatch", "--test-only", f"--qos={name}", "-o", "/dev/null", "--wrap", "true"],
                                    capture_output=True, text=True)
            return "MaxSubmitJobsPU=4(" in shown and usable.returncode == 0
        wait_until(controller_knows, 60, message="slurmctld to learn the new QOS")
        yield name
    finally:
        sacctmgr("modify", "user", user, "set", f"qos-={name}")
        sacctmgr("delete", "qos", name)


def test_a_real_qos_submit_limit_refuses_the_sweep_before_sbatch_and_packing_fits_it(slurm_engine, tiny_qos):
    sweep_text = 'name = "qos"\ncommand = ["python", "job.py"]\n[grid]\nx = [0, 1, 2, 3, 4, 5]\n'
    # Slurm's own answer to 6 array tasks under this QOS: the limit is real, not only ours.
    raw = subprocess.run(["sbatch", f"--qos={tiny_qos}", "--array=0-5", "-o", "/dev/null", "--wrap", "true"],
                         capture_output=True, text=True)
    assert raw.returncode != 0 and "QOSMaxSubmitJobPerUserLimit" in raw.stderr, raw.stdout + raw.stderr
    with pytest.raises(ConfigError) as refused:
        launch(slurm_engine, sweep_text, sets=[f'qos="{tiny_qos}"'])
    text = str(refused.value)
    assert f"MaxSubmitJobsPerUser of QOS {tiny_qos} = 4" in text and "jobs_per_task = 2" in text
    assert slurm_engine.sweeps() == []   # refused before anything was recorded or submitted
    sweep = launch(slurm_engine, sweep_text, sets=[f'qos="{tiny_qos}"', "jobs_per_task=2"])   # 3 tasks: fits
    assert wait_sweep_done(slurm_engine, sweep.id, 180).counts == {JobState.COMPLETED: 6}
