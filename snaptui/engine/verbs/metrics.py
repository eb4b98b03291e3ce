"""Metrics verb: the reader of what jobs logged (TensorBoard events, JSONL, CSV)."""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..metrics import Metrics


class MetricsVerbs:
    def metrics(self) -> Metrics:
        """A metrics.Metrics reader on this project; it caches, so a face keeps one."""
        from ..metrics import Metrics
        return Metrics(self)
