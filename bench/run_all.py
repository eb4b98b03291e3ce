"""`make bench`: run every benchmark in bench/ and print one table of ratios against baselines.

Each bench module exposes run() -> list of rows (bench.common.row). Benchmarks that need
something absent (the Slurm cluster) report why and are skipped, not failed.
"""
from __future__ import annotations

import importlib
import sys
import traceback
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from bench.common import print_table  # noqa: E402

SKIP = {"common", "run_all"}


def main() -> int:
    rows, problems = [], []
    for path in sorted(HERE.glob("*.py")):
        if path.stem in SKIP or path.stem.startswith("_"):
            continue
        print(f"running bench/{path.name} ...", file=sys.stderr, flush=True)
        try:
            module = importlib.import_module(f"bench.{path.stem}")
            rows += module.run()
        except Exception as exc:  # noqa: BLE001 - one broken benchmark must not hide the others (printed)
            problems.append(f"bench/{path.name}: {exc}")
            traceback.print_exc()
    print()
    print_table(rows)
    for problem in problems:
        print(f"not measured: {problem}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
