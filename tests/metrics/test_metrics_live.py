"""Series from real jobs on the local executor: they grow while the job runs; NaN and silence are flagged."""
from __future__ import annotations

import math
import textwrap

import pytest

from snaptui.engine.metrics import Metrics, MetricsSettings
from tests.conftest import wait_sweep_done, wait_until, write_sweep

TRAIN = textwrap.dedent('''\
    """Prints a learning curve; after 3 points waits until the test creates `go`, then finishes."""
    import os, sys, time
    args = dict(a.split("=", 1) for a in sys.argv[1:])
    gate, lr = args["gate"], float(args["lr"])
    for step in range(6):
        if step == 3:
            while not os.path.exists(gate):
                time.sleep(0.05)
        loss = "nan" if args.get("blowup") == "1" and step == 5 else 1.0 / (1 + lr * step)
        print(f"SNAPTUI_RESULT step={step} loss={loss} acc={step / 10}", flush=True)
    ''')


def launch(engine, tmp_path, grid: str):
    (engine.repo_root / "train.py").write_text(TRAIN)
    sweep_file = write_sweep(engine.repo_root, f'''
        name = "curves"
        command = ["python", "train.py"]
        [params]
        gate = "{tmp_path / 'go'}"
        [grid]
        {grid}
    ''')
    # every job waits on the gate at once: more than the host cap (the CPU count) must run together
    return engine.launch(engine.plan(sweep_file, sets=["local.max_jobs=4"]))


def test_series_grow_while_the_jobs_run_and_nan_is_flagged(engine, tmp_path):
    sweep = launch(engine, tmp_path, 'lr = [0.5, 2.0]\nblowup = ["0", "1"]')
    metrics = Metrics(engine)

    def three_points_each():
        jobs = engine.jobs(sweep.id)
        metrics.update(jobs)
        return all(len(metrics.series(j, "loss")) == 3 for j in jobs) and jobs

    jobs = wait_until(three_points_each, 60, message="3 loss points per running job")
    # read while the jobs still run (they wait for `go`; the agent may not have recorded RUNNING yet)
    assert not any(j.state.is_final for j in engine.jobs(sweep.id))
    assert metrics.flags(jobs) == {}
    live = metrics.live("loss")
    curves = metrics.overlay(jobs, "loss", colour_by="lr", live=live)
    assert sorted(c.job_index for c in curves) == [j.index for j in jobs]  # one curve per job
    assert {c.points for c in curves} == {3}
    assert {c.colour_key for c in curves} == {"0.5", "2.0"} and {c.colour_at for c in curves} == {0.0, 1.0}
    (tmp_path / "go").touch()
    wait_sweep_done(engine, sweep.id)
    jobs = engine.jobs(sweep.id)
    metrics.update(jobs)
    for job in jobs:
        loss = metrics.series(job, "loss")
        assert loss.steps == [0, 1, 2, 3, 4, 5]
        assert metrics.metric_names([job]) == ["acc", "loss"]
    assert live.refresh([j.attempt.id for j in jobs]) == {j.attempt.id for j in jobs}  # only new rows fetched
    assert {c.points for c in metrics.overlay(jobs, "loss", live=live)} == {6}
    assert live.refresh([j.attempt.id for j in jobs]) == set()
    flags = metrics.flags(jobs)
    blown = {j.index for j in jobs if j.params["blowup"] == "1"}
    assert set(flags) == blown
    assert all(f.nonfinite == [("loss", 5.0, "nan")] for f in flags.values())
    # a second reader (another process would do the same) finds everything stored, nothing read twice
    assert Metrics(engine).update(jobs) == 0
    finals = metrics.summaries(jobs, "loss", "final")
    assert all(math.isnan(finals[i]) for i in blown)
    best = metrics.summaries(jobs, "acc", "best")
    assert set(best.values()) == {0.5}
    lr_of = {j.index: float(j.params["lr"]) for j in jobs}
    means = metrics.summaries([j for j in jobs if j.index not in blown], "loss", "mean_last", last_n=2)
    for index, value in means.items():
        assert value == (1 / (1 + lr_of[index] * 4) + 1 / (1 + lr_of[index] * 5)) / 2


def test_a_running_job_whose_log_is_silent_is_flagged_as_possibly_hung(engine, tmp_path):
    sweep = launch(engine, tmp_path, "lr = [1.0]")
    metrics = Metrics(engine, MetricsSettings(hung_after_min=0.5 / 60))  # half a second of silence

    def flagged():
        jobs = engine.jobs(sweep.id)
        flags = metrics.flags(jobs)
        return flags.get(0) and jobs

    jobs = wait_until(flagged, 60, message="the waiting job to be flagged silent")
    assert jobs[0].state.value == "RUNNING"  # only a job recorded as running is ever flagged
    assert metrics.flags(jobs)[0].silent_s > 0.5 and metrics.flags(jobs)[0].nonfinite == []
    (tmp_path / "go").touch()
    wait_sweep_done(engine, sweep.id)
    assert metrics.flags(engine.jobs(sweep.id)) == {}  # finished jobs are never "hung"


WRITERS = textwrap.dedent('''\
    """Writes the files the libraries write, into the job's folder, the way a user points their logger there."""
    import csv, json, os
    folder = os.environ["SNAPTUI_JOB_DIR"]
    with open(os.path.join(folder, "metrics.jsonl"), "w") as handle:
        for step in range(3):
            handle.write(json.dumps({"step": step, "val_loss": 1.0 / (step + 1)}) + "\\n")
    version = os.path.join(folder, "lightning_logs", "version_0")
    os.makedirs(version)
    with open(os.path.join(version, "metrics.csv"), "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=["epoch", "step", "train_loss", "val_acc"])
        writer.writeheader()
        writer.writerow({"epoch": 0, "step": 9, "train_loss": 0.9})
        writer.writerow({"epoch": 0, "step": 9, "val_acc": 0.5})
    from tensorboard.compat.proto import summary_pb2
    from tensorboard.compat.proto.event_pb2 import Event
    from tensorboard.summary.writer.event_file_writer import EventFileWriter
    writer = EventFileWriter(os.path.join(folder, "tb"))
    for step in range(4):
        value = summary_pb2.Summary.Value(tag="lr", simple_value=0.1 / (step + 1))
        writer.add_event(Event(summary=summary_pb2.Summary(value=[value]), step=step, wall_time=0.0))
    writer.close()
    ''')


def test_metrics_files_in_the_job_folder_are_found_by_the_globs(engine, tmp_path):
    import pytest
    pytest.importorskip("tensorboard")
    (engine.repo_root / "writers.py").write_text(WRITERS)
    sweep_file = write_sweep(engine.repo_root, '''
        name = "files"
        command = ["python", "writers.py"]
    ''')
    sweep = engine.launch(engine.plan(sweep_file))
    wait_sweep_done(engine, sweep.id)
    (job,) = engine.jobs(sweep.id)
    assert job.state.value == "COMPLETED", job.attempt.reason
    metrics = Metrics(engine)
    metrics.update([job])
    assert metrics.metric_names([job]) == ["lr", "train_loss", "val_acc", "val_loss"]
    assert metrics.series(job, "val_loss").steps == [0, 1, 2]
    assert metrics.series(job, "train_loss").values == [0.9] and metrics.series(job, "val_acc").steps == [9]
    assert len(metrics.series(job, "lr")) == 4
    assert metrics.problems([job]) == {}


@pytest.fixture
def tsv_reader():
    """A reader of tab-separated `step name value` lines, registered for one test."""
    from snaptui.engine.metrics import readers
    from snaptui.engine.metrics.reading import Point, read_complete

    def read_tsv(path, state, max_bytes):
        points = []
        for chunk in read_complete(path, state, max_bytes):
            for line in chunk.splitlines():
                step, name, value = line.decode().split("\t")
                points.append(Point(name, float(step), float(value)))
        return points

    readers.register_reader("tsv", lambda name: name.endswith(".tsv"), read_tsv)
    yield
    del readers.READERS["tsv"]


def test_a_metrics_file_format_is_one_reader_registration(engine, tsv_reader):
    """A format snaptui does not read (tab-separated step/name/value lines) is read once its reader is
    registered (engine/metrics/readers.py) and `metrics.files` names its files."""
    (engine.repo_root / "tsv.py").write_text(
        "import os\nwith open(os.environ['SNAPTUI_JOB_DIR'] + '/m.tsv', 'w') as f:\n"
        "    f.write('0\\tloss\\t2\\n1\\tloss\\t1\\n')\n")
    sweep_file = write_sweep(engine.repo_root, 'name = "tsv"\ncommand = ["python", "tsv.py"]\n')
    sweep = engine.launch(engine.plan(sweep_file))
    wait_sweep_done(engine, sweep.id)
    (job,) = engine.jobs(sweep.id)
    assert job.state.value == "COMPLETED", job.attempt.reason
    metrics = Metrics(engine, MetricsSettings(files=("**/*.tsv",)))
    metrics.update([job])
    series = metrics.series(job, "loss")
    assert (series.steps, series.values) == ([0, 1], [2.0, 1.0])
