"""Why a Slurm job waits, in words, and the reasons after which it can never start as submitted."""
from __future__ import annotations

# Slurm's pending reasons in words (squeue(1), "JOB REASON CODES"); the ones after which a job can never
# start as submitted are in NEVER_STARTS.
REASONS = {
    "Priority": "other jobs come first (priority)",
    "Resources": "waiting for CPUs, memory or GPUs to free up",
    "JobArrayTaskLimit": "held back by the sweep's max_parallel_jobs",
    "Dependency": "waiting for the sweep's earlier array",
    "BeginTime": "waiting for its begin time (a requeued job waits about two minutes)",
    "None": "just submitted: the scheduler has not looked at it yet",
    "QOSMaxJobsPerUserLimit": "your QOS's limit on running jobs is reached",
    "QOSMaxSubmitJobPerUserLimit": "your QOS's limit on submitted jobs is reached",
    "QOSMaxCpuPerUserLimit": "your QOS's limit on CPUs in use is reached",
    "QOSMaxGRESPerUser": "your QOS's limit on GPUs in use is reached",
    "QOSGrpCpuLimit": "the QOS's CPUs are all in use",
    "QOSGrpGRES": "the QOS's GPUs are all in use",
    "AssocMaxJobsLimit": "your account's limit on running jobs is reached",
    "AssocGrpCpuLimit": "your account's CPUs are all in use",
    "AssocGrpGRES": "your account's GPUs are all in use",
    "ReqNodeNotAvail": "a node it needs is down, drained or reserved",
    "Reservation": "waiting for its reservation",
    "JobHeldUser": "held by you (scontrol release)",
    "JobHeldAdmin": "held by an administrator",
    "NodeDown": "a node it needs is down",
    "Licenses": "waiting for licenses",
    "PartitionDown": "its partition is down",
    "PartitionInactive": "its partition is inactive",
    "launch failed requeued held": "its launch failed and it is held (scontrol release)",
}
NEVER_STARTS = {
    "PartitionConfig": "asks for more CPUs, memory or GPUs per node than its partition has",
    "PartitionNodeLimit": "asks for more nodes than its partition has",
    "PartitionTimeLimit": "its time limit is over its partition's",
    "BadConstraints": "no node has the features, CPUs or memory it asks for",
    "QOSMaxWallDurationPerJobLimit": "its time limit is over its QOS's",
    "AssocMaxWallDurationPerJobLimit": "its time limit is over its account's",
    "QOSMaxCpuPerJobLimit": "asks for more CPUs than its QOS allows a job",
    "QOSMaxMemoryPerJob": "asks for more memory than its QOS allows a job",
    "QOSMaxGRESPerJob": "asks for more GPUs than its QOS allows a job",
    "QOSMaxNodePerJobLimit": "asks for more nodes than its QOS allows a job",
    "AssocMaxCpuPerJobLimit": "asks for more CPUs than its account allows a job",
    "AssocMaxNodePerJobLimit": "asks for more nodes than its account allows a job",
    "DependencyNeverSatisfied": "waits for a job that did not end as it requires",
    "InvalidAccount": "its account is not valid",
    "InvalidQOS": "its QOS is not valid",
    "AccountNotAllowed": "its account may not use its partition",
    "QOSNotAllowed": "its QOS may not be used with its partition",
}
NEVER = "can never start"


def pending_words(reason: str | None) -> str:
    """A pending reason as the table and the header show it: 'pending: waiting for CPUs... (Resources)';
    one after which it cannot start says so first."""
    if reason in NEVER_STARTS:
        return f"pending: {NEVER}: {NEVER_STARTS[reason]} ({reason})"
    if reason in REASONS:
        return f"pending: {REASONS[reason]} ({reason})" if reason != "None" else f"pending: {REASONS[reason]}"
    return f"pending: {reason}" if reason else "pending"
