"""Reusable widgets: the sweep matrix, the job table, the log view, text helpers."""
