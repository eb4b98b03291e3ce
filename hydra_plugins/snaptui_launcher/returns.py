"""Waiting for a sweep and turning its jobs into the ``JobReturn`` list Hydra's sweeper expects."""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Callable, List, NamedTuple, Tuple

from hydra.core.utils import JobReturn, JobStatus
from omegaconf import DictConfig, OmegaConf

from .job_results import read_return

log = logging.getLogger(__name__)

POLL_S = 0.25  # a state read from the store: cheap; the agent polls the scheduler at its own pace
REFRESH_S = 15.0
ERR_TAIL_LINES = 20


class SnaptuiJobError(RuntimeError):
    """A job that ended without the task's own outcome (killed, timed out, cancelled, crashed before
    or after the task): what its ``JobReturn.return_value`` raises."""


class PlannedJob(NamedTuple):
    num: int
    overrides: List[str]


def wait(engine: Any, sweep_id: int) -> None:
    """Log progress lines as states change until no job is active."""
    last = None
    try:
        for sweep in engine.follow(sweep_id, poll_s=POLL_S, refresh_s=REFRESH_S):
            line = progress(sweep)
            if line != last:
                log.info(f"snaptui sweep {sweep_id}: {line}")
                last = line
    except KeyboardInterrupt:
        log.warning(f"snaptui: stopped waiting; the jobs keep running: `snaptui status {sweep_id}`, "
                    f"`snaptui cancel {sweep_id}`")
        raise


def progress(sweep: Any) -> str:
    """The progress text `snaptui status` and batch mode show, as a plain log line."""
    from snaptui.format import progress_text

    return progress_text(sweep.counts, sweep.total).plain


def collect(engine: Any, sweep_id: int, first: int, jobs: List[PlannedJob], task_name: str, job_cwd: Path,
            compose: Callable[[PlannedJob], Tuple[DictConfig, Path]]) -> List[JobReturn]:
    """The batch's returns, in its order (its jobs are the sweep's ``first``, ``first + 1``, ...). A job whose
    overrides did not compose raises its error here, as Hydra's own launchers raise it from ``launch()``."""
    from snaptui.engine.states import JobState

    by_index = {job.index: job for job in engine.jobs_window(sweep_id, first, len(jobs))}
    failed = sum(1 for job in by_index.values() if job.state != JobState.COMPLETED)
    if failed:
        log.error(f"snaptui sweep {sweep_id}: {failed} of {len(by_index)} jobs did not complete "
                  f"(`snaptui status {sweep_id}`, `snaptui resubmit {sweep_id} --failed`)")
    returns = []
    for offset, planned in enumerate(jobs):
        job = by_index[first + offset]
        ret = read_return(job.attempt.log_dir)
        if isinstance(ret, JobReturn):
            if ret.cfg is None and ret.status == JobStatus.FAILED and isinstance(ret._return_value, Exception):
                raise ret._return_value  # its overrides do not compose: not a result, an error in the launch
            if ret.status != JobStatus.COMPLETED and isinstance(ret._return_value, BaseException):
                _add_note(ret._return_value, f"snaptui job {job.ref}: `snaptui logs {job.ref} --err`")
            elif job.state != JobState.COMPLETED:  # the task returned, then the job failed (e.g. killed)
                ret.status = JobStatus.FAILED
                ret.return_value = SnaptuiJobError(failure_message(engine, job, planned, failed))
            returns.append(ret)
            continue
        returns.append(_without_return(engine, job, planned, failed, task_name, job_cwd, compose))
    return returns


def _without_return(engine: Any, job: Any, planned: PlannedJob, failed: int, task_name: str, job_cwd: Path,
                    compose: Callable[[PlannedJob], Tuple[DictConfig, Path]]) -> JobReturn:
    """A JobReturn made here, for a job that left none (killed, timed out, crashed)."""
    from snaptui.engine.states import JobState

    ret = JobReturn(overrides=planned.overrides, task_name=task_name)
    try:
        config, run_dir = compose(planned)
    except Exception:  # noqa: BLE001 - the job's own overrides do not compose: its log says why
        config = None
    if config is not None:
        ret.hydra_cfg = OmegaConf.masked_copy(config, "hydra")
        ret.cfg = OmegaConf.masked_copy(config, [str(k) for k in config if k != "hydra"])
        ret.working_dir = str(run_dir if OmegaConf.select(config, "hydra.job.chdir", default=False) else job_cwd)
    else:
        ret.working_dir = str(job_cwd)
    if job.state == JobState.COMPLETED:
        ret.status = JobStatus.COMPLETED
        ret.return_value = dict(job.attempt.results) if job.attempt.results else None
    else:
        ret.status = JobStatus.FAILED
        ret.return_value = SnaptuiJobError(failure_message(engine, job, planned, failed))
    return ret


def _add_note(exc: BaseException, note: str) -> None:
    if hasattr(exc, "add_note"):
        exc.add_note(note)


def failure_message(engine: Any, job: Any, planned: PlannedJob, failed: int) -> str:
    attempt = job.attempt
    reason = attempt.reason or (f"exit code {attempt.exit_code}" if attempt.exit_code is not None else "")
    lines = [f"snaptui job {job.ref} (Hydra job #{planned.num}: {' '.join(planned.overrides)}) "
             f"{attempt.state.value}" + (f": {reason}" if reason else "")
             + (f" (and {failed - 1} more: snaptui status {job.sweep_id})" if failed > 1 else "")]
    _, err = engine.log_paths(job)
    if err is not None:
        lines.append(f"  log: {err} (snaptui logs {job.ref} --err)")
        lines += _tail(engine, err)
    return "\n".join(lines)


def _tail(engine: Any, path: Path) -> List[str]:
    tail = engine.tail(path).last_lines(ERR_TAIL_LINES)
    return ["  its last lines:", *(f"    {line}" for line in tail)] if tail else []
