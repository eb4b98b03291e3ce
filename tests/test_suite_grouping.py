"""The suite's own promise about running in parallel: every Slurm test runs on one pytest-xdist worker, one after
another, because they share one small cluster (they count its jobs and CPUs, and the two-node tests stop a node)."""
from __future__ import annotations

import os

import pytest


@pytest.mark.slurm
def test_a_slurm_test_is_in_the_slurm_group_when_the_suite_runs_in_parallel(request):
    if not os.environ.get("PYTEST_XDIST_WORKER") or not request.config.getvalue("loadgroup"):
        pytest.skip("the group only exists under pytest-xdist's --dist loadgroup (make test)")
    assert request.node.nodeid.endswith("@slurm"), request.node.nodeid
