"""Reusable widgets: the sweep matrix, the job table, the log view, the curves plot, the footer and the filter box.

Widgets only: the models and text they render come from ``snaptui.display``."""
