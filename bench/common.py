"""What every benchmark shares: the row shape, timing helpers and the table printer."""
from __future__ import annotations

import statistics
import time
from typing import Callable


def row(bench: str, case: str, baseline_s: float, value_s: float, note: str = "", unit: str = "s") -> dict:
    """One result: a measured value against a baseline measured in the same process.

    Values are seconds unless `unit` says otherwise (e.g. "MB", "calls/min")."""
    return {"bench": bench, "case": case, "baseline_s": baseline_s, "value_s": value_s,
            "ratio": value_s / baseline_s if baseline_s else float("nan"), "note": note, "unit": unit}


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
    headers = ("bench", "case", "baseline", "value", "ratio", "note")
    cells = [(r["bench"], r["case"], _fmt(r["baseline_s"], r.get("unit", "s")), _fmt(r["value_s"], r.get("unit", "s")),
              f"{r['ratio']:.2f}x", r.get("note", "")) for r in rows]
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
