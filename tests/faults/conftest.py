"""The fault suite's report: every test records what it injected and what came of it.

`make faults` prints the table at the end: fault, what happened, data lost, orphans left. The
last two are measured (checker.py) around every test that reports: a snapshot of the repository
before the test, compared after it. A test that plants a problem on purpose says so
(`report(..., planted=True)`); any other finding fails the test.
"""
from __future__ import annotations

import tempfile
import textwrap

import pytest

from tests.faults.checker import Checker

ROWS: list[dict] = []


class Reporter:
    def __init__(self, request, tmpdir):
        self.request = request
        self.tmpdir = tmpdir
        self.checker: Checker | None = None
        self.rows: list[dict] = []
        if "git_repo" in request.fixturenames:
            self.watch(request.getfixturevalue("git_repo"))

    def watch(self, repo) -> None:
        """Measure around `repo` from now on (tests that make their own repository call this)."""
        self.checker = Checker(repo, self.tmpdir, slurm=self.request.node.get_closest_marker("slurm") is not None)

    def __call__(self, fault: str, happened: str, planted: bool = False) -> None:
        row = {"test": self.request.node.name, "fault": fault, "happened": happened, "planted": planted,
               "lost": "not measured: no repository", "orphans": "not measured: no repository", "bad": False}
        self.rows.append(row)
        ROWS.append(row)

    def measure(self):
        if self.checker is None or not self.rows:
            return None
        findings = self.checker.check()
        for row in self.rows:
            row.update(lost=findings.lost_column, orphans=findings.orphans_column,
                       bad=bool(findings.lost or findings.orphans))
        return findings


@pytest.fixture
def report(request, tmp_path, monkeypatch):
    """report(fault, happened): the data-lost and orphans-left columns are measured after the test."""
    tmpdir = tmp_path / "tmp"  # temp indexes land here (TMPDIR is inherited by the CLI and the agent)
    tmpdir.mkdir()
    monkeypatch.setenv("TMPDIR", str(tmpdir))
    monkeypatch.setattr(tempfile, "tempdir", None)
    reporter = Reporter(request, tmpdir)
    yield reporter
    findings = reporter.measure()
    if findings and (findings.lost or findings.orphans) and not any(r["planted"] for r in reporter.rows):
        pytest.fail(f"the fault left something behind: lost {findings.lost}, orphans {findings.orphans}")


def _table_lines(headers: tuple, rows: list[tuple], caps: tuple) -> list[str]:
    """Columns wrapped, not cut: a finding is never hidden by the table's width."""
    widths = [min(cap, max(len(h), *(len(r[i]) for r in rows))) for cap, (i, h) in zip(caps, enumerate(headers))]
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths)), "  ".join("-" * w for w in widths)]
    for r in rows:
        cells = [textwrap.wrap(c, w) or [""] for c, w in zip(r, widths)]
        for n in range(max(map(len, cells))):
            lines.append("  ".join((c[n] if n < len(c) else "").ljust(w) for c, w in zip(cells, widths)).rstrip())
    return lines


def pytest_terminal_summary(terminalreporter):
    if not ROWS:
        return
    tr = terminalreporter
    tr.section("fault report")
    rows = [(r["fault"], r["happened"], r["lost"], r["orphans"]) for r in ROWS]
    for line in _table_lines(("fault", "what happened", "data lost", "orphans left"), rows, (48, 64, 36, 48)):
        tr.write_line(line)
    planted = [r for r in ROWS if r["planted"]]
    bad = [r for r in ROWS if r["bad"] and not r["planted"]]
    unmeasured = [r for r in ROWS if "not measured" in r["lost"] + r["orphans"]]
    caught = sum(1 for r in planted if r["bad"])
    tr.write_line(f"{len(ROWS) - len(planted)} faults injected, {len(bad)} with data lost or orphans left "
                  f"(measured before/after each), {len(unmeasured)} with a part not measured; "
                  f"checker self-test: {caught}/{len(planted)} planted problems caught")
