"""Series of jobs running on the real Slurm test cluster, read from their logs while they run."""
from __future__ import annotations

import pytest

from snaptui.engine.metrics import Metrics
from tests.conftest import wait_sweep_done, wait_until
from tests.metrics.test_metrics_live import TRAIN
from tests.test_slurm import launch, slurm_cluster, slurm_engine  # noqa: F401 - fixtures

pytestmark = [pytest.mark.slurm, pytest.mark.timeout(600)]


def test_series_of_slurm_jobs_grow_while_they_run(slurm_engine, tmp_path):
    engine = slurm_engine
    (engine.repo_root / "train.py").write_text(TRAIN)
    sweep = launch(engine, f'''
        name = "slurm-curves"
        command = ["python", "train.py"]
        [params]
        gate = "{tmp_path / 'go'}"
        [grid]
        lr = [0.5]
        blowup = ["0", "1"]
    ''')
    metrics = Metrics(engine)

    def three_points_each():
        jobs = engine.jobs(sweep.id)
        metrics.update(jobs)
        return all(len(metrics.series(j, "loss")) == 3 for j in jobs) and jobs

    wait_until(three_points_each, 300, 0.5, "3 loss points per Slurm job")
    assert not any(j.state.is_final for j in engine.jobs(sweep.id))
    (tmp_path / "go").touch()
    wait_sweep_done(engine, sweep.id, timeout=300)
    jobs = engine.jobs(sweep.id)
    metrics.update(jobs)
    assert [len(metrics.series(j, "loss")) for j in jobs] == [6, 6]
    assert set(metrics.flags(jobs)) == {j.index for j in jobs if j.params["blowup"] == "1"}
