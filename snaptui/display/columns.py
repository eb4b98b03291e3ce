"""The columns of a job table, one registration each: the TUI's job table (widgets/jobtable.py) and
`snaptui status SWEEP` (cli) draw theirs from here, so a column is added, titled, aligned and sorted
once for both.

A column gives its header, its cell's text for a job (`now` for what runs on), how its jobs sort and
how it aligns. Besides the fixed columns, a family of columns is registered by a key prefix (`r:NAME`:
the result NAME) with a function that makes the column for a name; metrics columns go the same way.
Cell texts have their control characters escaped (format.safe): labels, ids and results come from the
user's values and the jobs' own reports.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Callable, Mapping

from snaptui.engine.states import STATE_ORDER, cause_text
from snaptui.engine.views import competes, efficiency
from snaptui.format import duration, format_result, safe
from .text import elapsed

_STATE_RANK = {state: n for n, state in enumerate(STATE_ORDER)}
_NUMBER = re.compile(r"((?:(?<![\w.])[-+])?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)")  # 'run-2' has no sign


def natural_key(text: str) -> tuple:
    """'lr=9' before 'lr=49', 'lr=1e-3' before 'lr=0.01': numbers in a label compare as numbers."""
    parts = []
    for n, piece in enumerate(_NUMBER.split(text)):
        if n % 2:
            try:
                parts.append((0, float(piece), ""))
                continue
            except ValueError:
                pass
        if piece:
            parts.append((1, 0.0, piece))
    return tuple(parts)


@dataclass(frozen=True)
class JobColumn:
    key: str
    title: str
    text: Callable[[Any, float], str]                 # (job, now) -> the cell
    sort: Callable[[Any, float], Any] | None = None   # (job, now) -> what it sorts by (default: its text)
    right: bool = False                               # numbers align right
    max_width: int = 16

    def sort_value(self, job: Any, now: float) -> tuple:
        """What a job sorts by in this column; ties keep the jobs' order."""
        value = self.sort(job, now) if self.sort is not None else natural_key(self.text(job, now))
        return (value, job.index)


COLUMNS: dict[str, JobColumn] = {}
FAMILIES: dict[str, Callable[[str], JobColumn]] = {}   # key prefix -> the column for a name


def register_column(column: JobColumn) -> None:
    COLUMNS[column.key] = column


def register_family(prefix: str, make: Callable[[str], JobColumn]) -> None:
    FAMILIES[prefix] = make


def column(key: str) -> JobColumn:
    """The column of a key: a fixed one, or one of a family (``r:loss``)."""
    if key in COLUMNS:
        return COLUMNS[key]
    for prefix, make in FAMILIES.items():
        if key.startswith(prefix):
            return make(key[len(prefix):])
    raise KeyError(f"no job column {key!r}")


def _elapsed(job: Any, now: float) -> float | None:
    return elapsed(job.attempt.started_at, job.attempt.ended_at, now)


def _exit(job: Any) -> int | None:
    return job.attempt.exit_code


def _valued_column(key: str, title: str, value: Callable[[Any], Any]) -> JobColumn:
    """A column of numbers: only a COMPLETED job's value competes (ranks first); another's is shown marked
    with its state's symbol (a running job's live value too) and sorts after them."""
    def text(job: Any, _now: float) -> str:
        found = value(job)
        if found is not None and not competes(job):
            return f"{job.state.symbol}{format_result(found)}"
        return format_result(found)

    def sort(job: Any, _now: float) -> tuple:
        found = value(job)
        numeric = isinstance(found, (int, float)) and not isinstance(found, bool)
        return (0 if numeric and competes(job) else 1 if numeric else 2, found if numeric else 0)

    return JobColumn(key, title, text, sort, right=True)


def result_column(name: str, live: Mapping[int, float] | None = None) -> JobColumn:
    """A reported result; while its job runs (no result yet), the last value of the metric of that name
    when `live` gives it (the metrics read from the job's log and files, by job index)."""
    def value(job: Any) -> Any:
        found = (job.attempt.results or {}).get(name)
        if found is None and live is not None and not job.state.is_final:
            found = live.get(job.index)
        return found

    return _valued_column(f"r:{name}", name, value)


def metric_column(mode: str, values: Mapping[int, float]) -> JobColumn:
    """A metric summary ('loss best', 'acc mean10'), read from the jobs' metrics, live while they run."""
    return _valued_column(f"m:{mode}", mode, lambda job: values.get(job.index))


register_column(JobColumn("index", "#", lambda job, _now: str(job.index), lambda job, _now: job.index, right=True))
register_column(JobColumn("ref", "job", lambda job, _now: job.ref, lambda job, _now: job.index))
register_column(JobColumn("label", "label", lambda job, _now: safe(job.label), max_width=48))
register_column(JobColumn("state", "state", lambda job, _now: f"{job.state.symbol} {job.state.value}",
                          lambda job, _now: _STATE_RANK.get(job.state, 99)))
register_column(JobColumn("attempt", "att", lambda job, _now: str(job.attempt.number),
                          lambda job, _now: job.attempt.number, right=True))
register_column(JobColumn("executor_id", "executor id",   # a step's is Slurm's own (ID.STEP) once it runs
                          lambda job, _now: safe((job.attempt.proc or {}).get("slurm_id") or job.attempt.executor_id
                                                 or "-"),
                          max_width=14))
register_column(JobColumn("node", "node", lambda job, _now: safe(job.attempt.node or "-"), max_width=12))
register_column(JobColumn("elapsed", "elapsed", lambda job, now: duration(_elapsed(job, now)),
                          lambda job, now: _elapsed(job, now) or -1.0, right=True))
register_column(JobColumn("exit", "exit", lambda job, _now: "-" if _exit(job) is None else str(_exit(job)),
                          lambda job, _now: _exit(job) if _exit(job) is not None else -10**9, right=True))


def why_text(state: str, cause: str | None, exit_code: int | None, detail: str | None, reason: str | None,
             expected_start: float | None, now: float) -> str:
    """Why a job ended (its cause), or why it waits: the queue's reason and when the scheduler expects it to
    start; '-' for neither. The TUI's column and `snaptui status`'s light rows both say it so."""
    if cause:
        return safe(cause_text(cause, exit_code, detail))
    if state == "PENDING" and reason:
        waits = safe(reason.removeprefix("pending: "))
        if expected_start and expected_start > now:
            waits += f", start in ~{duration(expected_start - now)}"
        return waits
    return "-"


def _why(job: Any, now: float) -> str:
    attempt = job.attempt
    return why_text(job.state.value, attempt.cause, attempt.exit_code, attempt.detail, attempt.reason,
                    attempt.expected_start, now)


register_column(JobColumn("cause", "cause / waits", _why,
                          lambda job, now: (job.attempt.cause_label or "~", _why(job, now)), max_width=40))


def _used(job: Any):
    return efficiency(job.attempt)


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}%"


def _time_used(job: Any, _now: float) -> str:
    found = _used(job)
    if found is None or found.elapsed_s is None:
        return "-"
    text = duration(found.elapsed_s)
    return f"{text}/{duration(found.limit_s)} {_pct(found.time_pct)}" if found.limit_s else text


def _mem_used(job: Any, _now: float) -> str:
    found = _used(job)
    if found is None or found.peak_mb is None:
        return "-"
    peak = f"{found.peak_mb / 1024:.1f}G" if found.peak_mb >= 1000 else f"{found.peak_mb:.0f}M"
    return f"{peak}/{found.mem_req_mb / 1024:g}G {_pct(found.mem_pct)}" if found.mem_req_mb else peak


def _sort_by(value):
    def sort(job: Any, _now: float) -> float:
        found = _used(job)
        got = value(found) if found is not None else None
        return -1.0 if got is None else got
    return sort


register_column(JobColumn("time_used", "time/limit", _time_used, _sort_by(lambda e: e.time_pct or e.elapsed_s),
                          right=True, max_width=20))
register_column(JobColumn("mem_used", "mem peak/asked", _mem_used, _sort_by(lambda e: e.mem_pct or e.peak_mb),
                          right=True, max_width=20))
register_column(JobColumn("cpu_eff", "CPU eff", lambda job, _now: _pct(e.cpu_pct) if (e := _used(job)) else "-",
                          _sort_by(lambda e: e.cpu_pct), right=True, max_width=8))
register_column(JobColumn("gpu_util", "GPU busy", lambda job, _now: _pct(e.gpu_pct) if (e := _used(job)) else "-",
                          _sort_by(lambda e: e.gpu_pct), right=True, max_width=8))
register_family("r:", result_column)
