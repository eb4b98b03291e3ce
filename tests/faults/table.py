"""The fault report's table, printed at the end of a run by tests/conftest.py.

Rows travel in each test's report (`user_properties`), so a run split over pytest-xdist workers prints
one table, in the controller, as a serial run does."""
from __future__ import annotations

import textwrap

FAULT_ROW = "snaptui_fault_row"


def rows_of(report) -> list[dict]:
    """The fault rows a teardown report carries (its rows are measured by then)."""
    if report.when != "teardown":
        return []
    return [value for key, value in report.user_properties if key == FAULT_ROW]


def _table_lines(headers: tuple, rows: list[tuple], caps: tuple) -> list[str]:
    """Columns wrapped, not cut: a finding is never hidden by the table's width."""
    widths = [min(cap, max(len(h), *(len(r[i]) for r in rows))) for cap, (i, h) in zip(caps, enumerate(headers))]
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths)), "  ".join("-" * w for w in widths)]
    for r in rows:
        cells = [textwrap.wrap(c, w) or [""] for c, w in zip(r, widths)]
        for n in range(max(map(len, cells))):
            lines.append("  ".join((c[n] if n < len(c) else "").ljust(w) for c, w in zip(cells, widths)).rstrip())
    return lines


def write_summary(tr, rows: list[dict]) -> None:
    if not rows:
        return
    rows = sorted(rows, key=lambda r: r["nodeid"])   # the same order whichever worker ran a test
    tr.section("fault report")
    cells = [(r["fault"], r["happened"], r["lost"], r["orphans"]) for r in rows]
    for line in _table_lines(("fault", "what happened", "data lost", "orphans left"), cells, (48, 64, 36, 48)):
        tr.write_line(line)
    planted = [r for r in rows if r["planted"]]
    bad = [r for r in rows if r["bad"] and not r["planted"]]
    unmeasured = [r for r in rows if "not measured" in r["lost"] + r["orphans"]]
    caught = sum(1 for r in planted if r["bad"])
    tr.write_line(f"{len(rows) - len(planted)} faults injected, {len(bad)} with data lost or orphans left "
                  f"(measured before/after each), {len(unmeasured)} with a part not measured; "
                  f"checker self-test: {caught}/{len(planted)} planted problems caught")
