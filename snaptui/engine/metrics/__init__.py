"""Live metrics: series per attempt read incrementally from logs and metrics files.

Curve is imported on first use (PEP 562): it holds numpy arrays, and numpy's import is most of what
`snaptui metrics` would otherwise spend before its table."""
from typing import TYPE_CHECKING, Any

from .series import SUMMARY_MODES, Series, Summary, smooth
from .service import JobFlags, Metrics
from snaptui.engine.config.model import MetricsSettings

if TYPE_CHECKING:
    from .overlay import Curve

__all__ = ["Metrics", "MetricsSettings", "JobFlags", "Series", "Summary", "smooth", "SUMMARY_MODES", "Curve"]


def __getattr__(name: str) -> Any:
    if name == "Curve":
        from .overlay import Curve
        return Curve
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
