"""Slurm executor: a sweep is one job array submitted through submitit's SlurmExecutor, or
several when it is larger than the cluster's MaxArraySize (limits.py).

States come from one batched sacct call per poll for every active job of every
sweep (not one call per job), at the profile's poll interval, backing off while
nothing changes. When sacct cannot answer, jobs go UNKNOWN with the reason and
nothing is marked failed; the next good answer restores the truth.
"""
from __future__ import annotations

import getpass
import json
import logging
import math
import os
import subprocess
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from snaptui.engine import faults
from snaptui.engine.config.settings import EffectiveConfig, stored_config
from snaptui.engine.errors import SnaptuiError
from snaptui.engine.jobside.manifest import read_manifest
from snaptui.engine.models import Attempt, Sweep
from snaptui.engine.jobside.packed import PackedRunner, packed_folder, request_cancel
from snaptui.engine.jobside.runner import CommandRunner, RequeueableRunner
from snaptui.engine.states import JobState
from . import queue, sacct, limits as slurm_limits, recovery as slurm_recovery, request as slurm_request
from . import throttle as slurm_throttle
from snaptui.engine.executors.base import Executor
from .reasons import pending_words
from .settings import SlurmProfile
from .states import apply_record, packed, record_requeue

if TYPE_CHECKING:
    import submitit

    from snaptui.engine.jobside.runspec import RunSpec
    from snaptui.engine.store.store import Store

log = logging.getLogger("snaptui.slurm")
DEFAULT_POLL_S = SlurmProfile().poll_interval_s
MAX_POLL_S = 30.0
# squeue: which jobs left the queue, and why the others wait (0: never; bench/slurm_truth.py measures without)
QUEUE_LOOK_S = float(os.environ.get("SNAPTUI_SLURM_QUEUE_LOOK_S", "1"))
SETTLE_RETRY_S = 0.4      # a job that left the queue is looked up in accounting this often...
SETTLE_GIVE_UP_S = 120.0  # ...until it answers, or this long (then the regular sacct poll goes on)
# Ends Slurm itself decides, which the job cannot report: once the queue lists one, accounting is given this long
# to say so too (slurmdbd lags the controller by 0.5-3 s here), then the queue's word stands and accounting only
# adds what the queue cannot say (who cancelled it, the exit code) when it answers. With the queue looked at every
# QUEUE_LOOK_S, such an end shows within QUEUE_LOOK_S + ACCOUNTING_WAIT_S + SETTLE_RETRY_S (1.9 s) of leaving it.
QUEUE_ENDS_TRUSTED = frozenset({"CANCELLED", "TIMEOUT", "DEADLINE", "OUT_OF_MEMORY"})
ACCOUNTING_WAIT_S = 0.5
REFINE_RETRY_S = 2.0   # how often accounting is asked for the details of such an end (an array task cancelled
                       # while pending never has a record: asked until SETTLE_GIVE_UP_S)
# A worktree under one of these is on this machine's own disk, invisible to other compute nodes.
NODE_LOCAL_ROOTS = ("/tmp", "/var/tmp", "/dev/shm", "/run")


def slurm_profile(sweep: Sweep, attempt: Attempt | None = None) -> SlurmProfile:
    """The Slurm profile a sweep was launched with, as recorded (with `attempt`: as its resubmission changed it)."""
    profile = (stored_config(sweep.config) if attempt is None else Executor.config_of(sweep, attempt)).profile
    if not isinstance(profile, SlurmProfile):
        raise SnaptuiError(f"sweep {sweep.id} was not launched with a Slurm profile ({profile.executor})")
    return profile


def submitit_parameters(sweep: Sweep, profile: SlurmProfile | None = None) -> dict[str, Any]:
    """sbatch's options for the sweep's jobs (``profile``: an attempt's own, when its resubmission changed it)."""
    profile = profile or slurm_profile(sweep)
    params: dict[str, Any] = {key: list(value) if isinstance(value, tuple) else value  # update_parameters takes these
                              for key in SlurmProfile.PASSTHROUGH
                              if (value := getattr(profile, key)) is not None and value != ()}
    params["time"] = max(1, math.ceil(profile.timeout_min))
    # submitit warns with USR2 90 s before the limit; for short limits that would be at once.
    params.setdefault("signal_delay_s", int(min(90, max(10, params["time"] * 60 / 4))))
    # The launch's uid in the default name finds its arrays in accounting, which keeps no comment
    # unless the cluster is set up to (slurm/recovery.py).
    params["job_name"] = profile.job_name or "-".join(filter(None, ("snaptui", sweep.name, sweep.uid)))
    params["array_parallelism"] = profile.parallelism()
    if profile.mem_gb is not None:
        params["mem"] = f"{int(profile.mem_gb * 1024)}MB"
    if profile.tasks_per_node is not None:
        params["ntasks_per_node"] = profile.tasks_per_node
    # Tagged so an interrupted launch can find the jobs it submitted before it died (verbs/recovery.py).
    tag = slurm_recovery.launch_tag(sweep)
    if tag:
        params["comment"] = f"{profile.comment} {tag}" if profile.comment else tag
    if profile.additional_parameters:
        params["additional_parameters"] = dict(profile.additional_parameters)
    return params


class SlurmExecutor(Executor):
    name = "slurm"
    scheduler_commands = ("sbatch", "sacct", "squeue", "scancel")

    def __init__(self, store: Store, repo_root: Path) -> None:
        super().__init__(store, repo_root)
        self._quiet_polls = 0
        self._throttles = slurm_throttle.ThrottleKeeper()
        self._arrays_of: dict[int, set[str]] = {}   # sweep id -> every array it was submitted in
        self._next_queue_look = 0.0
        self._leaving: dict[int, float] = {}   # attempt id -> when it was seen to leave the queue
        self._queue_ends: dict[int, queue.QueuedJob] = {}   # attempt id -> how the queue listed its end
        self._refining: dict[int, float] = {}   # attempt id -> since when its end is the queue's, not accounting's
        self._next_refine = 0.0
        self._next_settle = 0.0

    def poll_interval(self) -> float:
        base = min((slurm_profile(s).poll_interval_s for s in self._active_sweeps()), default=DEFAULT_POLL_S)
        return min(base * (1.5 ** self._quiet_polls), max(MAX_POLL_S, base))

    def quick_poll(self, attempts: list[Attempt]) -> None:
        """Every agent tick: the manifests jobs write when they start and end; every QUEUE_LOOK_S the
        queue (queue.py); and the jobs that left it, looked up in accounting until it knows how they
        ended. So an end shows within about a second, however it came (an exit, a time limit, scancel)."""
        self._read_manifests(attempts)
        now = time.monotonic()
        if QUEUE_LOOK_S > 0 and now >= self._next_queue_look:
            self._next_queue_look = now + QUEUE_LOOK_S
            if self._look_at_queue([a for a in attempts if a.executor_id and not a.state.is_final]):
                self._next_settle = now   # just left: asked at once, not a retry period later
        if (self._leaving or self._refining) and now >= self._next_settle:
            self._next_settle = now + SETTLE_RETRY_S
            self._settle_leaving()

    def _look_at_queue(self, attempts: list[Attempt]) -> bool:
        """What the queue says of each job: running, pending (why, and when Slurm expects it to start),
        or ending, ended or gone, in which case its end is looked up now (_settle_leaving). True when a
        job was seen leaving."""
        try:
            listed = queue.query(_job_ids(attempts))
        except sacct.SchedulerUnreachable:
            return False   # the regular poll says so on the jobs
        requeued, leaving = [], False
        for attempt in attempts:
            job = listed.get(attempt.executor_id or "")
            if job is None or job.ended or job.slurm_state == "COMPLETING":   # its end is decided
                leaving |= attempt.id not in self._leaving
                if job is not None and job.slurm_state in QUEUE_ENDS_TRUSTED:
                    self._queue_ends[attempt.id] = job
                self._leaving.setdefault(attempt.id, time.monotonic())
                continue
            state = sacct.SLURM_STATES.get(job.slurm_state, JobState.UNKNOWN)
            if state == JobState.PENDING:
                if attempt.state == JobState.RUNNING and not packed(attempt):
                    requeued.append(attempt)   # pending again after it ran: accounting tells the requeue
                elif attempt.state in (JobState.PENDING, JobState.UNKNOWN):
                    reason = pending_words(job.reason)
                    if (attempt.state, attempt.reason, attempt.expected_start) != (JobState.PENDING, reason, job.start):
                        self.store.update_attempt(attempt.id, JobState.PENDING, reason=reason,
                                                  expected_start=job.start, announce=True)
            elif state == JobState.RUNNING and not packed(attempt) and attempt.state != JobState.RUNNING:
                self.store.update_attempt(attempt.id, JobState.RUNNING, node=job.node, reason=None,
                                          started_at=attempt.started_at or job.start or time.time(),
                                          expected_start=None)
        if requeued:
            self.poll(requeued)
        return leaving

    def _settle_leaving(self) -> None:
        """Jobs that left the queue: their end from accounting, asked again until it has one. An end Slurm
        decided (QUEUE_ENDS_TRUSTED) is the queue's after ACCOUNTING_WAIT_S, and accounting's details are
        added when it answers (_refining)."""
        now = time.monotonic()
        live, refining = [], []
        for attempt_id, since in list(self._leaving.items()):
            attempt = self.store.attempt(attempt_id)
            if attempt is None or attempt.state.is_final or now - since > SETTLE_GIVE_UP_S:
                del self._leaving[attempt_id]
                self._queue_ends.pop(attempt_id, None)
            elif attempt_id in self._queue_ends and now - since >= ACCOUNTING_WAIT_S:
                # accounting had its time: the queue's word now, without another sacct round trip first
                apply_record(self.states, attempt, self._queue_ends.pop(attempt_id).as_record())
                del self._leaving[attempt_id]
                self._refining[attempt_id] = now
            else:
                live.append(attempt)
        if self._refining and now >= self._next_refine:
            self._next_refine = now + REFINE_RETRY_S
            for attempt_id, since in list(self._refining.items()):
                attempt = self.store.attempt(attempt_id)
                if attempt is None or now - since > SETTLE_GIVE_UP_S:
                    del self._refining[attempt_id]
                else:
                    refining.append(attempt)
        if not live and not refining:
            return
        try:
            records = sacct.query(_job_ids(live + refining))
        except sacct.SchedulerUnreachable:
            return
        for attempt in live + refining:
            record = records.get(attempt.executor_id or "")
            if record is not None and record.state.is_final:
                apply_record(self.states, attempt, record)   # for one refined: the same state, with its details
                self._leaving.pop(attempt.id, None)
                self._queue_ends.pop(attempt.id, None)
                self._refining.pop(attempt.id, None)

    def _read_manifests(self, attempts: list[Attempt]) -> None:
        """Read the manifests jobs write when they start and end, so a finished job shows at once
        instead of at the next sacct. Only clean exits are taken from the manifest: a job killed by
        a signal may be requeued by Slurm, so sacct decides those."""
        for attempt in attempts:
            if not self.states.manifest_changed(attempt):
                continue
            manifest = read_manifest(attempt.log_dir) or {}
            if not packed(attempt) and (manifest.get("attempt") or 0) > attempt.number and \
                    manifest.get("executor_id") == attempt.executor_id:
                record_requeue(self.states, attempt, JobState.RUNNING, None)   # requeued and running again
                continue
            if packed(attempt):  # its task goes on after it: the job's own report is final
                self.states.apply_manifest(attempt)
                continue
            if manifest.get("ended_at") is not None and (manifest.get("exit_code") or 0) < 0:
                continue
            if manifest.get("state") == "TIMEOUT":
                continue
            self.states.apply_manifest(attempt)

    def submission_script(self, name: str, config: EffectiveConfig, job_count: int) -> str | None:
        """The sbatch script of the sweep's (first) array as submitit writes it, with its srun line: what a
        launch of `job_count` jobs hands to sbatch, launch tag and uid aside ("<uid>")."""
        from .submission import CleanEnvSlurmExecutor

        profile = config.profile
        if not isinstance(profile, SlurmProfile) or profile.allocation is not None:
            return None
        sweep = Sweep(id=0, name=name, created_at=0.0, status="planned", executor="slurm",
                      profile=config.profile_name, sweep_file=None, spec={}, config=config.to_dict(), snapshot=None,
                      workdir=str(self.repo_root), uid="<uid>")
        params = submitit_parameters(sweep, profile)
        tasks = math.ceil(job_count / profile.jobs_per_task)
        size = min(filter(None, (slurm_limits.read_limits(profile.qos, profile.account).max_array_size,
                                 profile.max_array_size)), default=None) or tasks
        params["array_parallelism"] = min(params["array_parallelism"], min(tasks, size))
        executor = CleanEnvSlurmExecutor(folder=self.submitit_root / "%j", max_num_timeout=profile.max_num_timeout)
        executor.update_parameters(**params)
        if tasks > 1:
            executor.parameters["map_count"] = min(tasks, size)
        text = executor._make_submission_file_text(executor._submitit_command_str, "<uid>")
        if tasks > size:
            text += (f"\n# {tasks} array tasks: this is the first of {math.ceil(tasks / size)} arrays of at most "
                     f"{size} (MaxArraySize), each with a share of max_parallel_jobs\n")
        return text

    @staticmethod
    def check_request(config: EffectiveConfig) -> None:
        """The partition, QOS, account and what a node holds, checked against what the profile asks for,
        before anything is written (request.py); a request in an allocation is the allocation's."""
        profile = config.profile
        if isinstance(profile, SlurmProfile) and profile.allocation is None:
            slurm_request.check(profile, config.sources)

    def workdir_warnings(self, workdir: Path) -> list[str]:
        """Compute nodes other than this one cannot see a worktree on a node-local filesystem (the
        default worktree root is under $HOME)."""
        if any(workdir == Path(root) or Path(root) in workdir.parents for root in NODE_LOCAL_ROOTS):
            return [f"the worktree {workdir} is on a node-local filesystem: compute nodes other than this "
                    f"one will not find it; set snapshot.worktree_root to a shared filesystem"]
        return []

    def _active_sweeps(self) -> list[Sweep]:
        return [s for s in self.store.sweeps() if s.executor == "slurm" and s.is_active]

    def submit(self, sweep: Sweep, attempts: list[Attempt]) -> None:
        """As few sbatch calls as the cluster's limits allow: one array, or several when the sweep is
        larger than MaxArraySize; with jobs_per_task = N, each array task runs N jobs one after another.
        A sweep the user's limits cannot take is refused before any sbatch."""
        groups: dict[str, list[Attempt]] = {}
        for attempt in attempts:   # attempts resubmitted with other resources go in an array of their own
            groups.setdefault(json.dumps(attempt.changes, sort_keys=True), []).append(attempt)
        for group in groups.values():
            self._submit_group(sweep, group, slurm_profile(sweep, group[0]))

    def _submit_group(self, sweep: Sweep, attempts: list[Attempt], profile: SlurmProfile) -> None:
        per_task = profile.jobs_per_task
        tasks = [attempts[i:i + per_task] for i in range(0, len(attempts), per_task)]
        limits = slurm_limits.read_limits(profile.qos, profile.account)
        slurm_limits.check_fits(limits, len(attempts), len(tasks), per_task, sweep.sweep_file)
        params = submitit_parameters(sweep, profile)
        array_size = min(filter(None, (limits.max_array_size, profile.max_array_size)), default=None)
        chunks = slurm_limits.split_arrays(len(tasks), array_size, params["array_parallelism"])
        specs: dict[int, RunSpec] = {}
        for attempt in attempts:
            self.store.claim(attempt.id)
            job = self.store.job(sweep.id, attempt.job_index)
            if job is None:
                raise SnaptuiError(f"sweep {sweep.id} was removed while its jobs were being submitted")
            spec = self.run_spec(sweep, job, attempt, timeout_s=None)
            spec.requeue_on_timeout = profile.max_num_timeout > 0 and per_task == 1
            specs[attempt.id] = spec
        array_ids: list[str] = []
        for chunk in chunks:
            part = tasks[chunk.start:chunk.start + chunk.size]
            after = array_ids[chunk.after] if chunk.after is not None else None
            args: list[RunSpec | list[RunSpec]] = [[specs[a.id] for a in group] if per_task > 1
                                                   else specs[group[0].id] for group in part]
            tasks_submitted = self._sbatch_array(profile, params, args, chunk.throttle, after, packed=per_task > 1)
            array_ids.append(tasks_submitted[0].job_id.split("_")[0])
            faults.point("slurm:sbatch-returned")  # the array exists; the store does not know its id yet
            now = time.time()
            for group, task in zip(part, tasks_submitted):
                for attempt in group:
                    folder = packed_folder(task.paths.folder, attempt.job_index, attempt.number) \
                        if per_task > 1 else task.paths.folder
                    self.store.update_attempt(attempt.id, executor_id=task.job_id, log_dir=str(folder),
                                              submitted_at=now, announce=True,   # the TUI shows the id at once
                                              proc={"cluster": limits.cluster_name, "packed": per_task > 1})

    def _sbatch_array(self, profile: SlurmProfile, params: dict[str, Any], args: list[RunSpec | list[RunSpec]],
                      throttle: int, after: str | None, packed: bool) -> list[submitit.Job[Any]]:
        from .submission import CleanEnvSlurmExecutor, SbatchRefused

        max_num_timeout = profile.max_num_timeout
        executor = CleanEnvSlurmExecutor(folder=self.submitit_root / "%j", max_num_timeout=max_num_timeout)
        params = dict(params, array_parallelism=throttle)
        if after:
            params["additional_parameters"] = {**params.get("additional_parameters", {}),
                                               "dependency": f"afterany:{after}"}
        executor.update_parameters(**params)
        runner: CommandRunner | PackedRunner = PackedRunner() if packed else \
            RequeueableRunner() if max_num_timeout > 0 else CommandRunner()
        try:
            return executor.map_array(runner, args)
        except SbatchRefused as exc:
            raise slurm_request.refusal(str(exc), profile) from None
        except (subprocess.CalledProcessError, FileNotFoundError, OSError) as exc:
            detail = getattr(exc, "output", b"") or getattr(exc, "stderr", b"") or str(exc)
            if isinstance(detail, bytes):
                detail = detail.decode(errors="replace")
            raise SnaptuiError(f"sbatch refused the sweep: {str(detail).strip()[:500]}") from None

    def poll(self, attempts: list[Attempt]) -> None:
        submitted = [a for a in attempts if a.executor_id]
        if not submitted:
            return
        try:
            records = sacct.query(_job_ids(submitted))
        except sacct.SchedulerUnreachable as exc:
            for attempt in submitted:
                self.store.update_attempt(attempt.id, JobState.UNKNOWN, reason=f"scheduler unreachable: {exc}")
            return
        changed = False
        for attempt in submitted:
            changed |= apply_record(self.states, attempt, records.get(attempt.executor_id or ""))
        self._quiet_polls = 0 if changed else min(self._quiet_polls + 1, 6)
        self._rebalance_split_sweeps(submitted)   # also when the manifests told the ends first

    def _rebalance_split_sweeps(self, submitted: list[Attempt]) -> None:
        """array_parallelism held across a sweep's arrays as they drain (throttle.py). A sweep is
        split if it ever had several arrays: the last one left is the one that needs the slots."""
        active: dict[int, set[str]] = {}
        for attempt in submitted:
            if array := slurm_throttle.array_of(attempt.executor_id):
                active.setdefault(attempt.sweep_id, set()).add(array)
        for sweep_id, arrays in active.items():
            known = self._arrays_of.get(sweep_id)
            if known is None or not arrays <= known:   # first sight, or a resubmission's new array
                known = self._arrays_of[sweep_id] = self.store.array_ids(sweep_id)
            if len(known) < 2:
                continue
            sweep = self.store.sweep(sweep_id)
            if sweep is None:   # removed meanwhile
                continue
            profile = slurm_profile(sweep)
            parallelism = profile.parallelism()
            if parallelism >= math.ceil(sweep.total / profile.jobs_per_task):
                continue   # submitted without a throttle: nothing to deal
            self._throttles.rebalance(self.store.active_attempts(sweep_id=sweep_id), parallelism)

    def adopt_interrupted(self, sweep: Sweep, pending: list[Attempt]) -> tuple[list[str], list[Attempt]]:
        if not pending or not sweep.uid:
            return [], pending
        arrays = slurm_recovery.find_arrays(sweep, submitit_parameters(sweep)["job_name"], self.submitit_root)
        known = {a.executor_id for job in self.store.jobs(sweep.id)
                 for a in self.store.attempts(sweep.id, job.index) if a.executor_id}
        untracked = {a: tasks for a, tasks in arrays.items() if not set(tasks) & known}
        if not untracked:
            return [], pending
        profile = slurm_profile(sweep)
        limits = slurm_limits.read_limits(profile.qos, profile.account)
        rest = slurm_recovery.adopt(self.store, self.submitit_root, pending, untracked, limits.cluster_name)
        finished = sum(1 for tasks in untracked.values() for r in tasks.values() if r and r.state.is_final)
        return [f"adopted Slurm array(s) {', '.join(sorted(untracked, key=int))} submitted before the interruption "
                f"({finished} task(s) already finished, found in the queue or accounting)"], rest

    def abort_interrupted(self, sweep: Sweep, submitted: list[Attempt]) -> list[str]:
        if not sweep.uid:
            return super().abort_interrupted(sweep, submitted)
        return slurm_recovery.abort(sweep, submitted, submitit_parameters(sweep)["job_name"], self.submitit_root)

    def read_usage(self, attempts: list[Attempt]) -> None:
        """Slurm's own account of what these ended jobs used (sacct's Elapsed, Timelimit, TotalCPU,
        AllocCPUS, MaxRSS, ReqMem) over the runner's, kept whole under "sacct"; the memory peak is the
        larger of Slurm's (sampled every JobAcctGatherFrequency) and the runner's. A packed job shares its
        task's account with its siblings: its runner's figures stay."""
        wanted = [a for a in attempts if a.executor_id and not packed(a)]
        found = sacct.query_usage(_job_ids(wanted))
        for attempt in wanted:
            record = found.get(attempt.executor_id or "")
            if not record or record.get("state") not in sacct.FINAL_SLURM_STATES:
                continue
            runner = {k: v for k, v in (attempt.usage or {}).items() if k != "sacct"}
            usage = {**runner, **{k: record[k] for k in ("elapsed_s", "limit_s", "cpu_s", "cpus", "mem_req_mb")
                                  if record.get(k) is not None}, "sacct": record, "source": "sacct"}
            peaks = [v for v in (runner.get("peak_rss_mb"), record.get("peak_rss_mb")) if v]
            if peaks:
                usage["peak_rss_mb"] = max(peaks)
            self.store.update_attempt(attempt.id, usage=usage)

    def stop(self, attempts: list[Attempt]) -> bool:
        ids = _job_ids([a for a in attempts if not packed(a)])
        ids += self._cancel_packed([a for a in attempts if a.executor_id and packed(a)])
        if not ids:
            return False
        ours = self._owned(self._whole_arrays(ids, attempts))
        if ours:
            result = subprocess.run(["scancel", *ours], capture_output=True, text=True, timeout=60)
            if result.returncode != 0:
                raise SnaptuiError(f"scancel failed: {result.stderr.strip()[:300]}")
        return True

    def _whole_arrays(self, ids: list[str], attempts: list[Attempt]) -> list[str]:
        """An array whose every unfinished task is being cancelled is passed to scancel as one id:
        one argument instead of thousands, and it also reaches tasks whose index the cluster's
        MaxArraySize, lowered since they were submitted, no longer lets scancel name."""
        tasks: dict[str, list[str]] = {}
        for job_id in ids:
            array, sep, _ = job_id.partition("_")
            tasks.setdefault(array if sep else job_id, []).append(job_id)
        active = [a for sweep_id in {a.sweep_id for a in attempts}
                  for a in self.store.active_attempts(sweep_id=sweep_id, launched_only=False)]
        out = []
        for array, members in tasks.items():
            whole = all(a.cancel_requested for a in active if (a.executor_id or "").partition("_")[0] == array)
            out += [array] if whole and members[0] != array else members
        return out

    def _cancel_packed(self, attempts: list[Attempt]) -> list[str]:
        """Mark each packed job cancelled in its folder (its task skips or stops it); a task whose
        every unfinished job is cancelled is scancelled as a whole. Returns those task ids."""
        for attempt in attempts:
            if attempt.log_dir:   # set with its id when it was submitted
                request_cancel(attempt.log_dir)
        whole = []
        for sweep_id in {a.sweep_id for a in attempts}:
            active = self.store.active_attempts(sweep_id=sweep_id, launched_only=False)
            for task_id in sorted(set(_job_ids([a for a in attempts if a.sweep_id == sweep_id]))):
                if all(a.cancel_requested for a in active if a.executor_id == task_id):
                    whole.append(task_id)
        return whole

    def _owned(self, ids: list[str]) -> list[str]:
        """Only jobs the current user owns are passed to scancel (ids come from our store anyway)."""
        try:
            records = sacct.query(ids)
        except sacct.SchedulerUnreachable:
            return ids  # scancel itself refuses other users' jobs
        me = getpass.getuser()
        return [i for i in ids if i not in records or records[i].user in (me, "")]


def _job_ids(attempts: list[Attempt]) -> list[str]:
    """The Slurm ids of those of these attempts that were submitted."""
    return [a.executor_id for a in attempts if a.executor_id]
