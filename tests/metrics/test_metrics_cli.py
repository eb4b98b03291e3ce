"""`snaptui metrics` and `snaptui plot` as a user runs them, on a real sweep's logs."""
from __future__ import annotations

import csv
import io
import json
import textwrap

import pytest

from tests.conftest import run_cli, write_sweep

CURVE = textwrap.dedent('''\
    import sys
    args = dict(a.split("=", 1) for a in sys.argv[1:])
    lr = float(args["lr"])
    for step in range(0, 50, 10):
        print(f"SNAPTUI_RESULT step={step} loss={1 / (1 + lr * step):.6f}", flush=True)
    if args.get("blowup") == "1":
        print("SNAPTUI_RESULT step=50 loss=inf", flush=True)
    ''')


@pytest.fixture
def finished_sweep(git_repo):
    (git_repo / "curve.py").write_text(CURVE)
    write_sweep(git_repo, '''
        name = "curves"
        command = ["python", "curve.py"]
        [grid]
        lr = [0.1, 1.0, 10.0]
    ''')
    done = run_cli(["--batch", "sweep.toml"], git_repo)
    assert done.returncode == 0, done.stdout + done.stderr
    return git_repo


def test_metrics_table_csv_and_json(finished_sweep):
    repo = finished_sweep
    table = run_cli(["metrics", "curves"], repo)
    assert table.returncode == 0, table.stderr
    lines = [t for t in table.stdout.splitlines() if " loss " in f" {t} "]
    assert len(lines) == 3 and all(" 5 " in t for t in lines)  # 5 points per job
    rows = list(csv.DictReader(io.StringIO(run_cli(["metrics", "curves", "--csv"], repo).stdout)))
    assert len(rows) == 15 and set(rows[0]) == {"job", "attempt", "lr", "metric", "step", "value"}
    assert [float(r["value"]) for r in rows if r["job"].endswith("/2")][:2] == [1.0, pytest.approx(1 / 101)]
    series = json.loads(run_cli(["metrics", "curves", "--json", "--metric", "loss"], repo).stdout)
    assert [s["steps"] for s in series] == [[0, 10, 20, 30, 40]] * 3
    one = run_cli(["metrics", f"{series[0]['job']}"], repo)
    assert one.returncode == 0 and "step" in one.stdout and len(one.stdout.splitlines()) == 7


def test_the_metrics_table_shows_each_jobs_summary_and_imports_no_numpy(finished_sweep):
    """One row per job: its points, last step, final and best loss, in aligned columns; read from the chunks'
    summaries, so the table never imports numpy (0.15 s of a 0.3 s budget)."""
    import re
    import subprocess
    import sys

    code = ("import sys; from snaptui.cli.main import main; code = main(['metrics', 'curves']); "
            "print('numpy imported' if 'numpy' in sys.modules else 'no numpy', file=sys.stderr); sys.exit(code)")
    done = subprocess.run([sys.executable, "-c", code], cwd=finished_sweep, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0 and done.stderr.strip().endswith("no numpy"), done.stderr
    header, *rows = [re.split(r"\s{2,}", line.strip()) for line in done.stdout.splitlines()]
    assert header == ["job", "lr", "state", "metric", "points", "last step", "final", "best", "flags"]
    assert {row[1]: row[2:] for row in rows} == {
        lr: ["COMPLETED", "loss", "5", "40", final, final] for lr, final in
        (("0.1", "0.2"), ("1.0", "0.02439"), ("10.0", "0.002494"))}   # as logged, to 6 decimals
    widths = {len(line) - len(line.lstrip()) for line in done.stdout.splitlines()}
    assert widths == {0}


def test_bad_metric_or_output_name_is_an_input_error_and_writes_nothing(finished_sweep):
    repo = finished_sweep
    bad = run_cli(["metrics", "curves", "--metric", "los"], repo)
    assert bad.returncode == 2 and "no metric 'los'" in bad.stderr and "metrics: loss" in bad.stderr
    bad = run_cli(["plot", "curves", "--metric", "loss", "--out", "curves.pdf"], repo)
    assert bad.returncode == 2 and ".png or .svg" in bad.stderr
    bad = run_cli(["plot", "curves", "--metric", "loss", "--out", "c.svg", "--colour-by", "seed"], repo)
    assert bad.returncode == 2 and "swept parameters: lr" in bad.stderr
    assert not list(repo.glob("*.svg")) and not list(repo.glob("*.pdf")) and not list(repo.glob(".snaptui-plot-*"))


def test_plot_writes_one_curve_per_job_to_svg_and_png(finished_sweep):
    pytest.importorskip("matplotlib")
    repo = finished_sweep
    done = run_cli(["plot", "curves", "--metric", "loss", "--out", "curves.svg", "--log"], repo)
    assert done.returncode == 0, done.stderr
    assert "3 curves of loss" in done.stdout
    svg = (repo / "curves.svg").read_text()
    assert svg.count('<g id="line2d_') >= 3
    for lr in ("0.1", "1.0", "10.0"):
        assert f"lr={lr} (job" in svg  # the legend names the swept value and the final loss
    png = run_cli(["plot", "curves", "--metric", "loss", "--out", "curves.png", "--legend", "best"], repo)
    assert png.returncode == 0 and (repo / "curves.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_a_tensorboard_file_without_tensorboard_installed_is_named_not_fatal(finished_sweep):
    """The optional reader's package missing (fault injected: tensorboard made unimportable)."""
    repo = finished_sweep
    job_dirs = sorted(p for p in (repo / ".submitit").iterdir() if p.is_dir())
    (job_dirs[0] / "events.out.tfevents.1.host").write_bytes(b"\0" * 16)
    blocker = repo.parent / "no_tensorboard"
    blocker.mkdir()
    (blocker / "tensorboard.py").write_text("raise ImportError('tensorboard is not installed')\n")
    done = run_cli(["metrics", "curves"], repo, env={"PYTHONPATH": str(blocker)})
    assert done.returncode == 0, done.stderr
    assert "needs the tensorboard package: pip install 'snaptui[tensorboard]'" in done.stderr
    assert len([t for t in done.stdout.splitlines() if " loss " in f" {t} "]) == 3  # the logs still read
