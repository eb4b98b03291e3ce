"""Live metrics: series per attempt read incrementally from logs and metrics files."""
from .series import SUMMARY_MODES, Series, smooth
from .overlay import Curve
from .service import JobFlags, Metrics
from snaptui.engine.config.model import MetricsSettings

__all__ = ["Metrics", "MetricsSettings", "JobFlags", "Series", "smooth", "SUMMARY_MODES", "Curve"]
