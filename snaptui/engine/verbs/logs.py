"""Log verbs: where a job's logs are, and readers that follow them as they grow."""
from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from snaptui.engine.store.store import Store

if TYPE_CHECKING:
    from snaptui.engine.logs.logindex import LineIndex
    from snaptui.engine.logs.logorder import LogOrder
    from snaptui.engine.logs.logtail import LogTailer

from snaptui.engine.jobside.joblogs import log_files
from ..models import Attempt, Job, Sweep
from snaptui.engine.jobside.taskreport import tasks_of


class LogVerbs:
    repo_root: Path   # api.Engine's

    if TYPE_CHECKING:
        @property
        def store(self) -> Store: ...

    def log_paths(self, job: Job | Attempt, task: int = 0) -> tuple[Path | None, Path | None]:
        """stdout and stderr of one task of the attempt (a job has several with tasks_per_node/nodes > 1)."""
        attempt = job.attempt if isinstance(job, Job) else job
        if not attempt.log_dir or not attempt.executor_id:
            return None, None
        return log_files(attempt.log_dir, attempt.executor_id, task, run=(attempt.proc or {}).get("log_run"))

    def run_dir(self, job: Job | Attempt, sweep: Sweep | None = None) -> Path | None:
        """The Hydra run dir snaptui gave the job (a ``--batch`` sweep of a Hydra app), in the repository
        when it is there (``outputs/`` is linked from the snapshot), else in the sweep's code; None if none."""
        from snaptui.engine.sweep.spec import run_dir_of

        attempt = job.attempt if isinstance(job, Job) else job
        sweep = sweep or self.store.sweep(attempt.sweep_id)
        if sweep is None:
            return None
        rel = run_dir_of(sweep.spec or {}, sweep.id, attempt.job_index)
        if rel is None:
            return None
        inside = Path(sweep.spec.get("workdir") or ".") / rel
        in_repo = self.repo_root / inside
        return in_repo if in_repo.exists() or not sweep.workdir else Path(sweep.workdir) / inside

    def task_count(self, job: Job | Attempt) -> int:
        """How many tasks the attempt runs (each with its own log): what a task picker offers."""
        attempt = job.attempt if isinstance(job, Job) else job
        sweep = self.store.sweep(attempt.sweep_id)
        return tasks_of(sweep.config) if sweep is not None else 1

    @staticmethod
    def tail(path: Path | str) -> LogTailer:
        """A logtail.LogTailer on `path`: read_bytes() gives what was appended since the last call."""
        from snaptui.engine.logs.logtail import LogTailer
        return LogTailer(path)

    @staticmethod
    def follow_log(step: Callable[[], bool], *, stop: Callable[[], bool], interval: float,
                   wake: threading.Event | None = None) -> None:
        """The follow loop every log reader uses (see logtail.follow): `step()` until `stop()`, waiting
        `interval` whenever `step` has caught up with the file."""
        from snaptui.engine.logs.logtail import follow
        follow(step, stop=stop, interval=interval, wake=wake)

    def log_order(self, job: Job | Attempt, task: int = 0) -> LogOrder | None:
        """A logorder.LogOrder of the attempt's task: the order its stdout and stderr were written (None
        when the attempt has no log folder yet)."""
        out, _ = self.log_paths(job, task)
        if out is None:
            return None
        from snaptui.engine.jobside.joblogs import order_file
        from snaptui.engine.logs.logorder import LogOrder
        return LogOrder(order_file(out))

    @staticmethod
    def log_index(path: Path | str) -> LineIndex:
        """A logindex.LineIndex of `path`: any line read on demand, update() follows the file."""
        from snaptui.engine.logs.logindex import LineIndex
        return LineIndex(path)
