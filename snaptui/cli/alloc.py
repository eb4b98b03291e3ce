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
    alloc.add_argument("--yes", dest="alloc_yes", action="store_true",
                       help="release: without asking, even with jobs running in it (they are cancelled first)")


def alloc(engine: Engine, args: Namespace) -> int:
    if args.action == "release":
        if not args.job_id or not args.job_id.isdigit():
            raise ConfigError.single(None, "alloc release", "needs the allocation's id, e.g. snaptui alloc release 123")
        inside = engine.jobs_in_allocation(args.job_id)
        if inside and not args.alloc_yes:
            refs = ", ".join(j.ref for j in inside[:5]) + (", ..." if len(inside) > 5 else "")
            said = f"{len(inside)} unfinished job(s) run in allocation {args.job_id} ({refs}): releasing it ends them"
            if not sys.stdin.isatty():
                raise ConfigError.single(None, "alloc release", said, hint="pass --yes to cancel them and release it")
            answer = input(f"{said}. Cancel them and release it? [y/N] ").strip().lower()
            if answer not in ("y", "yes"):
                print("nothing released")
                return 1
        if inside:
            engine.cancel(inside)
            print(f"cancelled {len(inside)} job(s) in allocation {args.job_id}")
        engine.release_allocation(args.job_id)
        print(f"released allocation {args.job_id}")
        return 0
    job_id = engine.allocate(args.alloc_profile or "slurm", tasks=args.tasks, time_min=args.time_min,
                             on_line=lambda line: print(line, file=sys.stderr, flush=True))
    print(job_id)
    print(f"run sweeps in it with a profile that has allocation = {job_id}"
          f" (or --set allocation={job_id}); snaptui alloc release {job_id} frees it", file=sys.stderr)
    return 0
