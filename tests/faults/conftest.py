"""The fault suite's report: every test records what it injected and what came of it.

`make faults` prints the table at the end: fault, what happened, data lost, orphans left.
"""
from __future__ import annotations

import pytest

ROWS: list[tuple[str, str, str, str, str]] = []


@pytest.fixture
def report(request):
    """report(fault, happened, lost="none", orphans="none")."""
    def add(fault: str, happened: str, lost: str = "none", orphans: str = "none") -> None:
        ROWS.append((request.node.name, fault, happened, lost, orphans))
    return add


def pytest_terminal_summary(terminalreporter):
    if not ROWS:
        return
    tr = terminalreporter
    tr.section("fault report")
    headers = ("fault", "what happened", "data lost", "orphans left")
    rows = [r[1:] for r in ROWS]
    caps = (64, 110, 12, 12)  # wide enough that no outcome is cut
    widths = [min(cap, max(len(h), *(len(r[i]) for r in rows))) for cap, (i, h) in zip(caps, enumerate(headers))]
    tr.write_line("  ".join(h.ljust(w) for h, w in zip(headers, widths)))
    tr.write_line("  ".join("-" * w for w in widths))
    for r in rows:
        tr.write_line("  ".join(c[:w].ljust(w) for c, w in zip(r, widths)))
    bad = [r for r in rows if r[2] != "none" or r[3] != "none"]
    tr.write_line(f"{len(rows)} faults injected, {len(bad)} with data lost or orphans left")
