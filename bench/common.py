"""What every benchmark shares: the row shape, timing helpers and the table printer."""
from __future__ import annotations

import statistics
import time
from typing import Callable


def row(bench: str, case: str, baseline_s: float, value_s: float, note: str = "", unit: str = "s",
        spread: str = "") -> dict:
    """One result: a measured value against a baseline measured in the same run.

    Values are seconds unless `unit` says otherwise (e.g. "MB", "calls/min"); `spread` says how
    much the samples behind them varied (see sampled_row)."""
    return {"bench": bench, "case": case, "baseline_s": baseline_s, "value_s": value_s,
            "ratio": value_s / baseline_s if baseline_s else float("nan"), "note": note, "unit": unit,
            "spread": spread}


def alternating(baseline: Callable[[], float], value: Callable[[], float], samples: int = 5,
                warmup: bool = True) -> tuple[list[float], list[float]]:
    """Samples of two measurements taken in turns (A B B A A B ...), after one unrecorded warm-up
    of each, so neither side alone gets the cold caches or a burst of load. Each callable
    returns its own measurement (seconds, MB, ...)."""
    if warmup:
        baseline()
        value()
    base, val = [], []
    for i in range(samples):
        pair = [(baseline, base), (value, val)]
        for fn, out in (pair if i % 2 == 0 else pair[::-1]):
            out.append(fn())
    return base, val


def timed(fn: Callable[[], object]) -> Callable[[], float]:
    """fn as a callable returning the seconds it took."""
    def run() -> float:
        start = time.perf_counter()
        fn()
        return time.perf_counter() - start
    return run


def sampled_row(bench: str, case: str, base: list[float], val: list[float], note: str = "", unit: str = "s") -> dict:
    """A row of medians, with the spread of both sides: min-max of the samples relative to the median."""
    def spread(xs: list[float]) -> str:
        mid = statistics.median(xs)
        return f"{(max(xs) - min(xs)) / mid * 100:.0f}%" if mid else "-"
    return row(bench, case, statistics.median(base), statistics.median(val), note, unit,
               spread=f"n={len(val)}, range {spread(base)} / {spread(val)}")


def best_of(fn: Callable[[], object], repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def median_of(fn: Callable[[], object], repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def print_table(rows: list[dict]) -> None:
    headers = ("bench", "case", "baseline", "value", "ratio", "samples, spread (base / value)", "note")
    cells = [(r["bench"], r["case"], _fmt(r["baseline_s"], r.get("unit", "s")), _fmt(r["value_s"], r.get("unit", "s")),
              f"{r['ratio']:.2f}x", r.get("spread") or "-", r.get("note", "")) for r in rows]
    widths = [max(len(h), *(len(c[i]) for c in cells)) if cells else len(h) for i, h in enumerate(headers)]
    print("  ".join(h.ljust(w) for h, w in zip(headers, widths)))
    print("  ".join("-" * w for w in widths))
    for c in cells:
        print("  ".join(v.ljust(w) for v, w in zip(c, widths)))


def _fmt(seconds: float, unit: str = "s") -> str:
    if seconds != seconds:
        return "-"
    if unit != "s":
        return f"{seconds:.3g} {unit}"
    if seconds < 1e-3:
        return f"{seconds * 1e6:.0f}us"
    if seconds < 1:
        return f"{seconds * 1e3:.1f}ms"
    return f"{seconds:.2f}s"
