"""What faces compute from what the engine handed them, without asking it again: a public engine module.

The ETA of a sweep from its jobs, which metrics are better higher, which jobs compete for best, the types
of a log's line index (made by `Engine.log_index`), and the declared settings (for the Hydra launcher's
config classes). Faces import these from here, not from the modules that implement them.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from .sweep.eta import eta_seconds, slots_of
from .logs.logindex import LineIndex, Update
from .states import JobState

if TYPE_CHECKING:
    from .config.declare import SettingInfo

__all__ = ["LineIndex", "Update", "competes", "eta_seconds", "maximized", "profile_settings", "results_hint",
           "slots_of", "table_settings"]


def results_hint(sweep) -> str:
    """How jobs report results, for a sweep whose results table is empty (its config names the pattern)."""
    pattern = ((sweep.config or {}).get("results") or {}).get("pattern", "")
    return (f"jobs report results by printing lines that match results.pattern ({pattern!r}) or lines like "
            f"'SNAPTUI_RESULT loss=0.12 acc=0.9', or by writing a JSON object to $SNAPTUI_RESULT_FILE; a "
            f"pattern can read several metrics from lines you already print with named groups: "
            f"'val loss (?P<val_loss>[0-9.]+)' in [results] of snaptui.toml")


def competes(job) -> bool:
    """Whether a job's values may be ranked (best cell, ★, legend order, sort): only a COMPLETED job's.
    A failed, cancelled or timed-out job's values are partial (a diverging run's last accuracy, a
    killed run's early loss): every view shows them marked with the job's state and never ranks them."""
    return job.state is JobState.COMPLETED


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
