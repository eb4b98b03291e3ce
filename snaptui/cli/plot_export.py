"""Curves to a PNG or SVG file with matplotlib (the optional `snaptui[plot]` extra).

Written to a temporary file beside the target and renamed, so a failure never leaves a
half-written picture where the user asked for one.
"""
from __future__ import annotations

from pathlib import Path

from ..engine.atomic import replacing
from ..engine.errors import SnaptuiError
from ..format import format_result

SUPPORTED = ("png", "svg")
MAX_LEGEND = 20


def _pyplot():
    try:
        import matplotlib
    except ImportError:
        raise SnaptuiError("writing a plot needs matplotlib: pip install 'snaptui[plot]'") from None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def write_plot(out: str, curves, *, metric: str, colour_by: str | None, log_y: bool, legend: str,
               title: str, unfinished: dict[int, str] | None = None) -> None:
    """`unfinished`: job index -> state of the jobs that did not complete: dashed, their state in the legend
    (their values are partial: never read them as results)."""
    plt = _pyplot()
    unfinished = unfinished or {}
    target = Path(out)
    if not target.parent.is_dir():
        raise SnaptuiError(f"cannot write {out}: {target.parent} is not a folder")
    figure, axes = plt.subplots(figsize=(8, 5), dpi=150)
    colours = plt.get_cmap("viridis")
    ordered = sorted(curves, key=lambda c: (c.colour_at, c.job_index))
    for curve in ordered:
        value = curve.final if legend == "final" else curve.best
        key = f"{colour_by}={curve.colour_key}" if colour_by else f"job {curve.job_index}"
        state = unfinished.get(curve.job_index)
        axes.plot(curve.steps, curve.values, color=colours(0.9 * curve.colour_at), linewidth=1.2,
                  linestyle="--" if state else "-",
                  label=f"{key} (job {curve.job_index}): {legend} {format_result(value)}"
                        + (f" [{state}]" if state else ""))
    axes.set_xlabel("step")
    axes.set_ylabel(metric)
    axes.set_title(title)
    if log_y:
        axes.set_yscale("log")
    axes.grid(True, alpha=0.3)
    if 0 < len(ordered) <= MAX_LEGEND:
        axes.legend(fontsize="small")
    figure.tight_layout()
    try:
        with replacing(target) as temp:
            figure.savefig(temp, format=target.suffix[1:].lower(), metadata=_metadata(target.suffix))
    finally:
        plt.close(figure)


def _metadata(suffix: str) -> dict:
    # No creation date in the file: the same curves give the same SVG (and a stable snapshot in tests)
    return {"Date": None} if suffix.lower() == ".svg" else {}
