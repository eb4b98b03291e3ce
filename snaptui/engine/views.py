"""What faces compute from what the engine handed them, without asking it again: a public engine module.

The ETA of a sweep from its jobs, which metrics are better higher, which jobs compete for best, the types
of a log's line index (made by `Engine.log_index`), and the declared settings (for the Hydra launcher's
config classes). Faces import these from here, not from the modules that implement them.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Iterable

from .sweep.efficiency import Efficiency, advice as efficiency_advice, efficiency
from .sweep.eta import eta_seconds, slots_of
from .logs.logindex import LineIndex, Update
from .models import Job, Sweep
from .states import Cause, JobState

if TYPE_CHECKING:
    from .config.declare import SettingInfo

__all__ = ["Efficiency", "LineIndex", "Update", "cause_counts", "cause_summary", "competes", "efficiency",
           "efficiency_advice", "eta_seconds", "job_filter", "maximized", "profile_settings", "results_hint",
           "slots_of", "table_settings"]


def results_hint(sweep: Sweep) -> str:
    """How jobs report results, for a sweep whose results table is empty (its config names the pattern)."""
    pattern = ((sweep.config or {}).get("results") or {}).get("pattern", "")
    return (f"jobs report results by printing lines that match results.pattern ({pattern!r}) or lines like "
            f"'SNAPTUI_RESULT loss=0.12 acc=0.9', or by writing a JSON object to $SNAPTUI_RESULT_FILE; a "
            f"pattern can read several metrics from lines you already print with named groups: "
            f"'val loss (?P<val_loss>[0-9.]+)' in [results] of snaptui.toml")


def competes(job: Job) -> bool:
    """Whether a job's values may be ranked (best cell, ★, legend order, sort): only a COMPLETED job's.
    A failed, cancelled or timed-out job's values are partial (a diverging run's last accuracy, a
    killed run's early loss): every view shows them marked with the job's state and never ranks them."""
    return job.state is JobState.COMPLETED


def cause_counts(jobs: Iterable[Job]) -> dict[str, int]:
    """How many of the jobs that ended other than COMPLETED ended for each cause ('TIMEOUT': 3, 'exit 1': 1),
    most first."""
    counts: dict[str, int] = {}
    for job in jobs:
        attempt = job.attempt
        if attempt.state.is_final and attempt.state is not JobState.COMPLETED:
            label = attempt.cause_label or attempt.state.value
            counts[label] = counts.get(label, 0) + 1
    return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))


def cause_summary(jobs: Iterable[Job]) -> str:
    """'3 TIMEOUT, 2 OUT_OF_MEMORY, 1 exit 1': why the jobs that did not complete ended ('' if none)."""
    return ", ".join(f"{n} {label}" for label, n in cause_counts(jobs).items())


def job_filter(states: str | None = None, where: list[str] | tuple[str, ...] = ()) -> Callable[[Job], bool]:
    """A predicate on jobs for `--state TIMEOUT,OUT_OF_MEMORY` (states and causes: 'FAILED', 'TIMEOUT',
    'OUT_OF_MEMORY', 'exit', 'exit 1', 'cancelled', ..., case-insensitive) and `--where lr=0.1` (a parameter's
    value as written on the command line; several must all hold). A name that is neither a state nor a cause
    raises ConfigError, naming the option."""
    from .errors import ConfigError
    from .models import format_value

    wanted = [w.strip() for w in (states or "").split(",") if w.strip()]
    known = {s.value.lower() for s in JobState} | {c.value.lower() for c in Cause}
    for word in wanted:
        if word.lower() not in known and not word.lower().startswith(("exit ", "signal ", "cancelled by ")):
            raise ConfigError.single(None, "--state", f"{word!r} is neither a state nor a cause",
                                     hint=f"states: {', '.join(s.value for s in JobState)}; causes: "
                                          f"{', '.join(c.value for c in Cause)}, 'exit 1', 'cancelled by scancel'")
    pairs: list[tuple[str, str]] = []
    for item in where:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ConfigError.single(None, "--where", f"{item!r} must look like name=value", hint="e.g. --where lr=0.1")
        pairs.append((key.strip(), value.strip()))
    lowered = [w.lower() for w in wanted]

    def matches(job: Job) -> bool:
        attempt = job.attempt
        if lowered and not ({job.state.value.lower(), (attempt.cause or "").lower(), attempt.cause_label.lower()}
                            & set(lowered)):
            return False
        return all(key in job.params and _same_value(job.params[key], value) for key, value in pairs)

    def _same_value(param: Any, text: str) -> bool:   # a parameter as the sweep file gave it
        if format_value(param) == text:
            return True
        if isinstance(param, (int, float)) and not isinstance(param, bool):
            try:
                return float(text) == float(param)   # --where lr=1e-3 finds lr=0.001
            except ValueError:
                return False
        return False

    return matches


def maximized(metric: str) -> bool:
    """Whether a higher value of this metric is better (accuracy, reward...), by the default name patterns."""
    from .metrics.series import maximized as better_higher   # the metrics package loads numpy: only when asked
    return better_higher(metric)


def profile_settings(executor: str) -> dict[str, SettingInfo]:
    """The keys a profile of this executor takes, as declared (type, default, unit, help), by name."""
    from .config.declare import user_settings
    from .config.executors import profile_class
    return user_settings(profile_class(executor))


def table_settings(table: str) -> dict[str, SettingInfo]:
    """The keys of a table of snaptui.toml (``snapshot``, ``metrics``...), as declared, by name."""
    from .config.declare import user_settings
    from .config.model import SECTIONS
    return user_settings(SECTIONS[table])
