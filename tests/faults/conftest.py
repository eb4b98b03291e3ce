"""The fault suite's report: every test records what it injected and what came of it.

`make faults` (and `make test`) print the table at the end (tests/faults/table.py): fault, what
happened, data lost, orphans left. The last two are measured (checker.py) around every test that
reports: a snapshot of the repository before the test, compared after it. A test that plants a
problem on purpose says so (`report(..., planted=True)`); any other finding fails the test.
"""
from __future__ import annotations

import tempfile

import pytest

from tests.faults.checker import Checker
from tests.faults.table import FAULT_ROW



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
        row = {"test": self.request.node.name, "nodeid": self.request.node.nodeid,
               "fault": fault, "happened": happened, "planted": planted,
               "lost": "not measured: no repository", "orphans": "not measured: no repository", "bad": False}
        self.rows.append(row)
        # Reaches the summary through the test's report, also from a pytest-xdist worker (measured in teardown,
        # before the teardown report is made): tests/conftest.py collects it.
        self.request.node.user_properties.append((FAULT_ROW, row))

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
