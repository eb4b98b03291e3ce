"""Each reader on a file written the way its library writes it, read incrementally as it grows."""
from __future__ import annotations

import csv
import json
import math
import os

import pytest

from snaptui.engine.metrics.lines import LineParser, read_log
from snaptui.engine.metrics.reading import ReadState
from snaptui.engine.metrics.tabular import read_csv, read_jsonl
from snaptui.engine.metrics.series import Series, smooth

DEFAULT_PATTERN = r"^SNAPTUI_RESULT (\w+)=(\S+)$"
BIG = 1 << 30


def by_metric(points):
    out = {}
    for metric, step, value, *_ in points:
        out.setdefault(metric, []).append((step, value))
    return out


def test_log_lines_become_points_and_only_new_bytes_are_read(tmp_path):
    log = tmp_path / "job.out"
    log.write_text("epoch 0\nSNAPTUI_RESULT loss=2.5\nSNAPTUI_RESULT step=10 loss=2.0 acc=0.25\nnoise loss=9\n")
    parser, state = LineParser(DEFAULT_PATTERN), ReadState()
    points = by_metric(read_log(log, state, parser, BIG))
    assert points == {"loss": [(0.0, 2.5), (10.0, 2.0)], "acc": [(10.0, 0.25)]}
    first_offset = state.offset
    assert first_offset == log.stat().st_size
    with open(log, "a") as handle:
        handle.write("SNAPTUI_RESULT loss=1.5\nSNAPTUI_RESULT loss=1.")  # the last line is still being written
    points = by_metric(read_log(log, state, parser, BIG))
    assert points == {"loss": [(2.0, 1.5)]}  # step-less: its order among loss points
    with open(log, "a") as handle:
        handle.write("25\r\n")
    assert by_metric(read_log(log, state, parser, BIG)) == {"loss": [(3.0, 1.25)]}
    assert read_log(log, state, parser, BIG) == []


def test_a_truncated_or_replaced_log_is_read_again_from_its_start(tmp_path):
    log = tmp_path / "job.out"
    log.write_text("SNAPTUI_RESULT loss=3\n" * 5)
    parser, state = LineParser(DEFAULT_PATTERN), ReadState()
    assert len(read_log(log, state, parser, BIG)) == 5
    replacement = tmp_path / "new.out"
    replacement.write_text("SNAPTUI_RESULT loss=1\n")
    os.replace(replacement, log)
    points = read_log(log, state, parser, BIG)
    assert state.restarted and points == [("loss", 0.0, 1.0, True)]  # True: the line had no step


def test_a_custom_result_pattern_and_non_finite_values(tmp_path):
    log = tmp_path / "job.out"
    log.write_text("metric val_loss: nan\nmetric val_loss: inf\nmetric val_loss: 0.5\n")
    points = read_log(log, ReadState(), LineParser(r"^metric (\w+): (\S+)$"), BIG)
    values = [p.value for p in points]
    assert math.isnan(values[0]) and values[1] == math.inf and values[2] == 0.5


def test_reading_is_bounded_by_max_bytes_and_resumes(tmp_path):
    log = tmp_path / "job.out"
    log.write_text("".join(f"SNAPTUI_RESULT loss={i}\n" for i in range(1000)))
    parser, state = LineParser(DEFAULT_PATTERN), ReadState()
    seen = []
    while chunk := read_log(log, state, parser, 4096):
        assert state.offset <= log.stat().st_size
        seen += chunk
    assert [p.value for p in seen] == [float(i) for i in range(1000)]


def write_lightning_csv(path, rows):
    """Lightning's CSVLogger layout (lightning.fabric.loggers.csv_logs._ExperimentWriter): the header is the
    sorted union of keys seen so far, `epoch`/`step` included; missing cells are empty; when a new key appears
    the whole file is rewritten with the wider header. lightning itself needs torch, too heavy for CI."""
    keys = sorted({k for row in rows for k in row})
    with open(path, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=keys)
        writer.writeheader()
        writer.writerows(rows)


def test_lightning_csv_sparse_rows_and_a_rewrite_with_new_columns(tmp_path):
    path = tmp_path / "version_0" / "metrics.csv"
    path.parent.mkdir()
    rows = [{"epoch": 0, "step": 49, "train_loss": 0.9}, {"epoch": 0, "step": 99, "train_loss": 0.7}]
    write_lightning_csv(path, rows)
    state = ReadState()
    assert by_metric(read_csv(path, state, BIG)) == {"train_loss": [(49.0, 0.9), (99.0, 0.7)]}
    with open(path, "a", newline="") as handle:  # same header: Lightning appends
        csv.DictWriter(handle, fieldnames=["epoch", "step", "train_loss"]).writerow(
            {"epoch": 1, "step": 149, "train_loss": 0.5})
    assert by_metric(read_csv(path, state, BIG)) == {"train_loss": [(149.0, 0.5)]}
    rows += [{"epoch": 1, "step": 149, "train_loss": 0.5}, {"epoch": 1, "step": 149, "val_loss": 0.8}]
    write_lightning_csv(path, rows)  # a new metric: rewritten whole, with the val_loss column
    points = by_metric(read_csv(path, state, BIG))
    assert state.restarted
    assert points == {"train_loss": [(49.0, 0.9), (99.0, 0.7), (149.0, 0.5)], "val_loss": [(149.0, 0.8)]}


def test_json_lines_with_step_and_nan(tmp_path):
    path = tmp_path / "metrics.jsonl"
    with open(path, "w") as handle:
        for step, loss in [(0, 1.0), (5, float("nan")), (10, 0.5)]:
            handle.write(json.dumps({"step": step, "loss": loss, "phase": "train"}) + "\n")  # json writes NaN
    points = by_metric(read_jsonl(path, ReadState(), BIG))
    assert [s for s, _ in points["loss"]] == [0.0, 5.0, 10.0]
    assert math.isnan(points["loss"][1][1]) and "phase" not in points


def test_tensorboard_event_file_written_by_tensorboards_own_writer(tmp_path):
    pytest.importorskip("tensorboard")
    from tensorboard.compat.proto import summary_pb2
    from tensorboard.compat.proto.event_pb2 import Event
    from tensorboard.summary.writer.event_file_writer import EventFileWriter

    from snaptui.engine.metrics.tfevents import read_tfevents

    writer = EventFileWriter(str(tmp_path))

    def scalar(tag, value, step):
        summary = summary_pb2.Summary(value=[summary_pb2.Summary.Value(tag=tag, simple_value=value)])
        writer.add_event(Event(summary=summary, step=step, wall_time=1.0))

    for step in range(3):
        scalar("train/loss", 1.0 / (step + 1), step)
    writer.flush()
    (path,) = tmp_path.glob("events.out.tfevents.*")
    state = ReadState()
    points = by_metric(read_tfevents(path, state, BIG))
    assert points == {"train/loss": [(0.0, 1.0), (1.0, 0.5), (2.0, pytest.approx(1 / 3))]}
    scalar("train/loss", 0.2, 3)
    scalar("val/acc", 0.75, 3)
    writer.flush()
    assert by_metric(read_tfevents(path, state, BIG)) == {"train/loss": [(3.0, pytest.approx(0.2))],
                                                          "val/acc": [(3.0, 0.75)]}
    writer.close()


def test_tensorboard_tensor_scalars_as_tf2_writes_them(tmp_path):
    pytest.importorskip("tensorboard")
    from tensorboard.compat.proto.event_pb2 import Event
    from tensorboard.plugins.scalar.summary_v2 import scalar_pb
    from tensorboard.summary.writer.event_file_writer import EventFileWriter

    from snaptui.engine.metrics.tfevents import read_tfevents

    writer = EventFileWriter(str(tmp_path))
    for step in range(2):
        writer.add_event(Event(summary=scalar_pb("lr", 0.1 * (step + 1)), step=step, wall_time=1.0))
    writer.close()
    (path,) = tmp_path.glob("events.out.tfevents.*")
    points = by_metric(read_tfevents(path, ReadState(), BIG))
    assert points == {"lr": [(0.0, pytest.approx(0.1)), (1.0, pytest.approx(0.2))]}


def test_summaries_and_smoothing():
    loss = Series("loss", [0, 1, 2, 3], [4.0, 1.0, float("nan"), 2.0])
    assert loss.final == 2.0 and loss.best == 1.0 and loss.mean_last(2) == 2.0
    acc = Series("val_acc", [0, 1], [0.5, 0.25], higher_is_better=True)
    assert acc.best == 0.5
    assert smooth([1.0, 1.0, 1.0], 0.9) == pytest.approx([1.0, 1.0, 1.0])  # debiased: no pull towards 0
    assert smooth([0.0, 10.0], 0.5)[1] == pytest.approx(10 * 0.5 / 0.75)


def test_downsampling_keeps_each_buckets_extremes():
    import numpy as np

    from snaptui.engine.metrics.overlay import downsample

    steps = np.arange(10_000, dtype=float)
    values = np.sin(steps / 500)
    values[1234] = 50.0          # a spike must survive thinning
    values[4321] = float("nan")  # and a NaN must not swallow its bucket
    x, y = downsample(steps, values, 400)
    assert len(x) == 400 and np.nanmax(y) == 50.0 and np.isfinite(y).all()
    assert x[0] == 0 and x[-1] == 9_999 and (np.diff(x) >= 0).all()


def test_heat_values_agree_with_the_series_they_summarise(engine):
    """The heatmap's one-query aggregates give what Series computes point by point."""
    from snaptui.engine.metrics import Metrics
    from snaptui.engine.metrics.reading import Point

    metrics = Metrics(engine)
    data = {1: [3.0, 1.0, float("nan"), 2.0, 1.5], 2: [0.5, float("inf"), 0.25, float("nan")]}
    with metrics.db.write() as conn:
        for attempt_id, values in data.items():
            source_id, state = metrics.db.source(conn, attempt_id, f"/log{attempt_id}", "log")
            metrics.db.save(conn, source_id, attempt_id, state, [Point("loss", i, v) for i, v in enumerate(values)])
    ids = list(data)
    final = metrics.db.aggregate(ids, "loss", "final")
    best = metrics.db.aggregate(ids, "loss", "best")
    mean = metrics.db.aggregate(ids, "loss", "mean_last", last_n=3)
    assert final[1] == 1.5 and math.isnan(final[2])
    assert best == {1: 1.0, 2: 0.25}
    assert mean[1] == pytest.approx((2.0 + 1.5) / 2) and mean[2] == 0.25
    for attempt_id in ids:
        series = Series("loss", list(range(len(data[attempt_id]))), data[attempt_id])
        assert best[attempt_id] == series.best
        assert mean[attempt_id] == pytest.approx(series.mean_last(3))


def test_update_reads_a_log_longer_than_one_read_step_to_its_end(engine, monkeypatch):
    """Each step ends at a line end, short of its byte budget: that must not look like the end."""
    from snaptui.engine.metrics import Metrics, service
    from tests.tui.demo_store import S, T0, _set, _sweep

    monkeypatch.setattr(service, "STEP_BYTES", 1000)
    sweep_id = _sweep(engine.store, engine.repo_root, "long", {"lr": [1]}, {}, T0, None)
    _set(engine.store, engine.repo_root, sweep_id, 0, S.COMPLETED, T0, 10, 0)
    job = engine.store.job(sweep_id, 0)
    log, _ = engine.log_paths(job)
    log.parent.mkdir(parents=True)
    log.write_text("".join(f"SNAPTUI_RESULT step={i} loss={i / 7:.5f}\n" for i in range(500)))
    metrics = Metrics(engine)
    assert metrics.update([job]) == 500
    assert len(metrics.series(job, "loss")) == 500


def test_braille_rasterizer_draws_every_dot_of_a_line_and_breaks_at_nan():
    import numpy as np

    from snaptui.display.braille import rasterize

    # a horizontal line across 3 cells on the top dot row: 6 dots, cells coded 0x01|0x08
    rows, cols, codes = rasterize(np.array([0.0, 2.99]), np.array([0.1, 0.1]), 4, 2)
    assert rows.tolist() == [0, 0, 0] and cols.tolist() == [0, 1, 2] and set(codes.tolist()) == {0x09}
    # a vertical line down one column: 4 dots in cell (0, 0), 4 in (1, 0): full left column
    rows, cols, codes = rasterize(np.array([0.1, 0.1]), np.array([0.0, 1.99]), 4, 2)
    assert list(zip(rows.tolist(), cols.tolist(), codes.tolist())) == [(0, 0, 0x47), (1, 0, 0x47)]
    # NaN in the middle: the two halves are not joined across the gap
    rows, cols, _ = rasterize(np.array([0.0, 0.4, np.nan, 3.6, 3.9]), np.array([0.1] * 5), 4, 2)
    assert cols.tolist() == [0, 3]
    # outside the canvas: clipped, not wrapped
    rows, cols, _ = rasterize(np.array([-5.0, 10.0]), np.array([0.5, 0.5]), 4, 2)
    assert cols.tolist() == [0, 1, 2, 3]


def test_many_lines_in_one_pass_agree_with_one_by_one_and_the_later_line_takes_shared_cells():
    import numpy as np

    from snaptui.display.braille import rasterize, rasterize_many

    first = (np.array([0.0, 3.9]), np.array([0.1, 1.9]))    # a diagonal
    second = (np.array([0.0, 3.9]), np.array([0.6, 0.6]))   # a flat line through the top row
    rows, cols, codes, owners = rasterize_many([first, second], 4, 2)
    cells = {(r, c): (code, owner) for r, c, code, owner in zip(rows, cols, codes, owners)}
    for index, line in enumerate((first, second)):
        alone = dict(((r, c), code) for r, c, code in zip(*rasterize(*line, 4, 2)))
        for cell, code in alone.items():
            if cells[cell][1] == index:
                assert cells[cell][0] == code  # a cell shows exactly its owner's dots
    shared = set(zip(*rasterize(*first, 4, 2)[:2])) & set(zip(*rasterize(*second, 4, 2)[:2]))
    assert shared and all(cells[cell][1] == 1 for cell in shared)


def test_packed_chunks_read_back_as_the_rows_they_pack(engine):
    """A series read from its packed chunks plus its unpacked tail is the rows themselves, in insertion
    order (NaN and inf kept), at any cut-off a live view loads up to; a restarted source drops its chunks."""
    import numpy as np

    from snaptui.engine.metrics import Metrics
    from snaptui.engine.metrics.packed import PACK_AT
    from snaptui.engine.metrics.reading import Point

    metrics = Metrics(engine)
    db = metrics.db

    def save(attempt_id, points, restarted=False):
        with db.write() as conn:
            source_id, state = db.source(conn, attempt_id, f"/log{attempt_id}", "log")
            state.restarted = restarted
            db.save(conn, source_id, attempt_id, state, points)

    def rows(attempt_id, up_to):
        found = db.conn.execute("SELECT step, IFNULL(value, 'nan') FROM points WHERE attempt_id = ? AND metric = 'loss'"
                                " AND rowid <= ? ORDER BY rowid", (attempt_id, up_to)).fetchall()
        return [(float(s), float(v)) for s, v in found]

    def same(up_to):
        found = db.arrays([1, 2], "loss", up_to)
        for attempt_id in (1, 2):
            steps, values = found.get(attempt_id, (np.empty(0), np.empty(0)))
            expected = np.array(rows(attempt_id, up_to), dtype=float).reshape(-1, 2)
            np.testing.assert_array_equal(np.column_stack([steps, values]).reshape(-1, 2), expected)  # NaN == NaN

    curve = [Point("loss", float(i % 700), math.nan if i % 97 == 0 else math.inf if i % 89 == 0 else 1 / (1 + i))
             for i in range(PACK_AT * 3)]
    save(1, curve[:PACK_AT + 10])           # packed whole
    save(2, curve[:10])                     # too short to pack: rows only
    save(1, curve[PACK_AT + 10:PACK_AT + 50])  # an unpacked tail
    middle = db.last_rowid()
    save(1, curve[PACK_AT + 50:])           # the tail and these packed together
    assert db.conn.execute("SELECT COUNT(*) FROM packed WHERE attempt_id = 1").fetchone()[0] == 2
    assert db.conn.execute("SELECT COUNT(*) FROM packed WHERE attempt_id = 2").fetchone()[0] == 0
    for up_to in (db.last_rowid(), middle, PACK_AT // 2, 0):
        same(up_to)
    save(1, [Point("loss", 0.0, 9.0)], restarted=True)  # the file was replaced: its old points go, and their chunks
    same(db.last_rowid())
    assert rows(1, db.last_rowid()) == [(0.0, 9.0)]


def test_summaries_from_chunk_stats_agree_with_the_series(engine):
    """`snaptui metrics`' table reads a series' points, last step, final and best from its chunks' stats and
    its unpacked tail: the same as the whole series gives (steps out of order, NaN, inf, an all-NaN series,
    a chunk packed before the stats columns existed, a higher-is-better metric)."""
    import numpy as np

    from snaptui.engine.metrics import Metrics
    from snaptui.engine.metrics.packed import PACK_AT
    from snaptui.engine.metrics.reading import Point

    metrics = Metrics(engine)
    db = metrics.db

    def save(attempt_id, points):
        with db.write() as conn:
            source_id, state = db.source(conn, attempt_id, f"/log{attempt_id}", "log")
            db.save(conn, source_id, attempt_id, state, points)

    def values(i):
        return math.nan if i % 97 == 0 else math.inf if i % 89 == 0 else 1 / (1 + (i % 301))

    # steps 0..690 then 0..116 again; the highest (690) written again last, in the unpacked tail: that one is final
    curve = [Point(metric, float(i % 691), values(i)) for i in range(PACK_AT * 3 + 40) for metric in ("loss", "acc")]
    curve += [Point("loss", 690.0, 0.125), Point("acc", 690.0, 0.5)]
    save(1, curve[:2 * (PACK_AT + 10)])                 # a chunk
    save(1, curve[2 * (PACK_AT + 10):2 * (PACK_AT + 50)])  # a tail, then packed with the next rows
    save(1, curve[2 * (PACK_AT + 50):2 * 700])
    save(1, curve[2 * 700:])                            # an unpacked tail
    save(2, [Point("loss", float(i), math.nan) for i in range(3)])             # no finite value: no best
    save(3, [Point("loss", float(10 - i), float(i)) for i in range(PACK_AT)])  # steps falling: final at step 10
    with db.write() as conn:   # as a chunk packed by an older snaptui: no stats, summarised from its blob
        conn.execute("UPDATE packed SET n = NULL, max_step = NULL, final = NULL, lo = NULL, hi = NULL"
                     " WHERE attempt_id = 1 AND last_rowid = (SELECT MIN(last_rowid) FROM packed WHERE attempt_id = 1)")
    assert db.conn.execute("SELECT COUNT(*) FROM packed WHERE attempt_id = 1 AND metric = 'loss'").fetchone()[0] == 2
    assert db.conn.execute("SELECT COUNT(*) FROM points WHERE attempt_id = 1 AND metric = 'loss' AND rowid >"
                           " (SELECT MAX(last_rowid) FROM packed WHERE attempt_id = 1)").fetchone()[0] == 109

    jobs = [Job(attempt_id) for attempt_id in (1, 2, 3)]
    for metric in ("loss", "acc"):
        summaries = metrics.summaries_of(jobs, metric)
        whole = metrics.series_of(jobs, metric)
        assert set(summaries) == set(whole) == ({1, 2, 3} if metric == "loss" else {1})
        for index, series in whole.items():
            summary = summaries[index]
            assert summary.points == len(series) and summary.last_step == series.steps[-1]
            np.testing.assert_equal([summary.final, summary.best], [series.final, series.best])
    assert metrics.summaries_of(jobs, "acc")[1].best == 1.0 and metrics.summaries_of(jobs, "loss")[1].best == 1 / 301
    assert metrics.summaries_of(jobs, "loss")[2].best is None and metrics.summaries_of(jobs, "loss")[3].final == 0.0
    assert metrics.summaries_of(jobs, "loss")[1].final == 0.125 and metrics.summaries_of(jobs, "acc")[1].final == 0.5


class Job:
    """What summaries_of and series_of read of a job: its index and its attempt's id."""

    def __init__(self, attempt_id):
        self.index = attempt_id
        self.attempt = type("Attempt", (), {"id": attempt_id})()


def test_a_live_copy_taken_from_its_first_load_grows_without_changing_earlier_views():
    """A first load's arrays are held as they are (not copied); appends then grow a copy, so a view handed
    out before (a drawn curve) and the loaded array itself never change."""
    import numpy as np

    from snaptui.engine.metrics.live import Growing

    loaded = np.arange(5, dtype=float)
    grown = Growing.taking(loaded)
    before = grown.view()
    assert np.shares_memory(before, loaded)
    for value in (5.0, 6.0, 7.0):
        grown.append(value)
    grown.extend(np.array([8.0, 9.0]))
    np.testing.assert_array_equal(grown.view(), np.arange(10, dtype=float))
    np.testing.assert_array_equal(before, np.arange(5, dtype=float))
    np.testing.assert_array_equal(loaded, np.arange(5, dtype=float))
    frozen = np.arange(3, dtype=float)
    frozen.flags.writeable = False
    assert not np.shares_memory(Growing.taking(frozen).view(), frozen)   # not ours to hold: copied
