"""Sweeps before they run: the sweep file (grid, zip, explicit jobs) expanded into jobs, the launch plan
with its effective config, the checks a launch runs before its snapshot, and the ETA of a running sweep."""
