"""The Python a Slurm task starts: `python -u -m snaptui.engine.jobside.submitit_task FOLDER`.

It is submitit's own job runner (`submitit.core.submission.submitit_main`: same pickles, same
result file, same signal handling and requeue), without the numpy import submitit does first
"to avoid unexpected interactions" with pickles holding arrays. snaptui's pickles (a runner and
its RunSpecs) hold none, and the user's command runs in its own process, so the import bought
nothing while costing every task of a sweep ~80 ms (about 40% of the task's start before the
command; numpy also starts a BLAS thread per core). Measured in bench/slurm.
"""
from __future__ import annotations

import sys


def main() -> None:
    # A None entry makes `import numpy` raise ImportError, which submitit's preload catches.
    sys.modules.setdefault("numpy", None)  # type: ignore[arg-type]
    from submitit.core.submission import submitit_main

    submitit_main()


if __name__ == "__main__":
    main()
