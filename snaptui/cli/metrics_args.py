"""The arguments of `snaptui metrics` and `snaptui plot` (kept apart: parsing must not import numpy)."""
from __future__ import annotations

LEGEND_VALUES = ("final", "best")


def add_parsers(verbs) -> None:
    metrics = verbs.add_parser("metrics", help="the metric series of a sweep's jobs, or of one job")
    metrics.add_argument("ref", metavar="SWEEP[/JOB]")
    metrics.add_argument("--metric", action="append", help="only this metric (repeatable)")
    form = metrics.add_mutually_exclusive_group()
    form.add_argument("--csv", action="store_true", help="every point: job, attempt, parameters, metric, step, value")
    form.add_argument("--json", action="store_true", help="one object per job and metric with its steps and values")
    plot = verbs.add_parser("plot", help="write a picture of a sweep's curves (.png or .svg; needs snaptui[plot])")
    plot.add_argument("ref", metavar="SWEEP[/JOB]")
    plot.add_argument("--metric", required=True)
    plot.add_argument("--out", required=True, help="the file to write: curves.png or curves.svg")
    plot.add_argument("--colour-by", "--color-by", dest="colour_by", metavar="PARAM",
                      help="colour the curves by this swept parameter (default: the first one that varies)")
    plot.add_argument("--smooth", type=float, default=0.0, metavar="0..1", help="exponential smoothing weight")
    plot.add_argument("--log", action="store_true", help="logarithmic y axis")
    plot.add_argument("--legend", choices=LEGEND_VALUES, default="final",
                      help="the value shown per job in the legend")
