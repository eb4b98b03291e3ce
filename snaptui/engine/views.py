"""What faces compute from what the engine handed them, without asking it again: a public engine module.

The ETA of a sweep from its jobs, which metrics are better higher, and the types of a log's line index
(made by `Engine.log_index`). Faces import these from here, not from the modules that implement them.
"""
from __future__ import annotations

from .sweep.eta import eta_seconds, slots_of
from .logs.logindex import LineIndex, Update

__all__ = ["LineIndex", "Update", "eta_seconds", "maximized", "slots_of"]


def maximized(metric: str) -> bool:
    """Whether a higher value of this metric is better (accuracy, reward...), by the default name patterns."""
    from .metrics.series import maximized as better_higher   # the metrics package loads numpy: only when asked
    return better_higher(metric)
