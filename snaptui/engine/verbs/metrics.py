"""Metrics verb: the reader of what jobs logged (TensorBoard events, JSONL, CSV)."""
from __future__ import annotations


class MetricsVerbs:
    def metrics(self):
        """A metrics.Metrics reader on this project; it caches, so a face keeps one."""
        from ..metrics import Metrics
        return Metrics(self)
