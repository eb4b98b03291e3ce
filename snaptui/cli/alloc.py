"""`snaptui alloc get [--profile P]` and `snaptui alloc release ID`: a Slurm allocation to run
sweeps in as job steps (profiles with `allocation = <id>` or "current")."""
from __future__ import annotations

import sys
from argparse import Namespace

from ..engine.api import Engine
from ..engine.errors import ConfigError


def add_parser(verbs) -> None:
    alloc = verbs.add_parser("alloc", help="get or release a Slurm allocation that sweeps run in as job steps")
    alloc.add_argument("action", choices=["get", "release"])
    alloc.add_argument("job_id", nargs="?", help="release: the allocation's id")
    alloc.add_argument("--profile", dest="alloc_profile", help="get: the Slurm profile whose partition,"
                       " account, cpus_per_task, mem_gb, gpus_per_node... to ask for (default: slurm)")
    alloc.add_argument("--tasks", type=int, help="get: how many jobs it holds at once (default: max_parallel_jobs"
                       " of the profile, else 1)")
    alloc.add_argument("--time", dest="time_min", type=float, help="get: minutes (default: the profile's timeout_min)")


def alloc(engine: Engine, args: Namespace) -> int:
    if args.action == "release":
        if not args.job_id or not args.job_id.isdigit():
            raise ConfigError.single(None, "alloc release", "needs the allocation's id, e.g. snaptui alloc release 123")
        engine.release_allocation(args.job_id)
        print(f"released allocation {args.job_id}")
        return 0
    job_id = engine.allocate(args.alloc_profile or "slurm", tasks=args.tasks, time_min=args.time_min,
                             on_line=lambda line: print(line, file=sys.stderr, flush=True))
    print(job_id)
    print(f"run sweeps in it with a profile that has allocation = {job_id}"
          f" (or --set allocation={job_id}); snaptui alloc release {job_id} frees it", file=sys.stderr)
    return 0
