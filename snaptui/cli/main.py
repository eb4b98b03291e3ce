"""The `snaptui` command: the TUI with no arguments, `--batch` for scripts, and verbs."""
from __future__ import annotations

import argparse
import sqlite3
import sys
from pathlib import Path

from ..engine.errors import ConfigError, SnaptuiError

METRICS_VERBS = ("metrics", "plot")  # in cli/metrics.py


def _launch_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--profile", help="executor profile from snaptui.toml")
    parser.add_argument("--set", dest="sets", action="append", default=[], metavar="KEY=VALUE",
                        help="override a profile key (e.g. timeout_min=5) or a section key (snapshot.enabled=false)")
    parser.add_argument("--no-snapshot", action="store_true", help="run in the repository itself, without a snapshot")
    parser.add_argument("--yes", action="store_true", help="launch even above limits.max_jobs")
    parser.add_argument("--canary", nargs="?", const=60.0, type=float, metavar="SECONDS",
                        help="submit the first job alone, the others once it has run SECONDS (default 60) or "
                             "completed; nothing else if it fails first (profile key canary_s)")


def _job_filters(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--state", metavar="S1,S2", help="only jobs in these states or with these causes "
                        "(e.g. TIMEOUT,OUT_OF_MEMORY or 'exit 1')")
    parser.add_argument("--where", action="append", default=[], metavar="NAME=VALUE",
                        help="only jobs with this parameter value (repeat: all must hold)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="snaptui", description="Launch sweeps on exact git snapshots of your code and watch them.",
        epilog="With no arguments, opens the TUI.")
    parser.add_argument("-C", dest="directory", type=Path, help="run as if started in this directory")
    parser.add_argument("--config", type=Path, help="project config (default: <repo>/snaptui.toml)")
    parser.add_argument("--batch", metavar="SWEEP_TOML", type=Path,
                        help="launch a sweep headless, report progress, wait; exit 0 if every job completed")
    parser.add_argument("--no-wait", action="store_true", help="with --batch: return after submission")
    parser.add_argument("--dry-run", action="store_true", help="with --batch: print the jobs and config, run nothing")
    parser.add_argument("--script", action="store_true",
                        help="with --dry-run: the exact sbatch script (and srun line) a launch would submit")
    _launch_options(parser)
    verbs = parser.add_subparsers(dest="verb", metavar="VERB")
    status = verbs.add_parser("status", help="sweeps, or the jobs of one sweep")
    status.add_argument("sweep", nargs="?")
    status.add_argument("--efficiency", action="store_true",
                        help="what each job used of what it asked for: time, memory, CPU, GPU, and advice")
    cancel = verbs.add_parser("cancel", help="cancel a job (SWEEP/INDEX) or a whole sweep")
    cancel.add_argument("ref")
    _job_filters(cancel)
    resubmit = verbs.add_parser("resubmit", help="new attempt of a job, or of a sweep's finished jobs, on the same "
                                "snapshot; --set changes its resources")
    resubmit.add_argument("ref")
    resubmit.add_argument("--failed", action="store_true", help="only failed, cancelled and timed-out jobs")
    _job_filters(resubmit)
    resubmit.add_argument("--set", dest="resubmit_sets", action="append", default=[], metavar="KEY=VALUE",
                          help="run the new attempts with this profile key changed (e.g. timeout_min=120, mem_gb=32)")
    resubmit.add_argument("--why", help="a note kept with the new attempts (what the change is for)")
    logs = verbs.add_parser("logs", help="print a job's log")
    logs.add_argument("ref")
    logs.add_argument("-f", "--follow", action="store_true", help="keep printing until the job ends")
    logs.add_argument("--err", action="store_true", help="stderr instead of stdout")
    logs.add_argument("--attempt", type=int, help="an earlier attempt (default: the latest)")
    logs.add_argument("--task", type=int, help="one task of a multi-task job (default: 0)")
    results = verbs.add_parser("results", help="table of a sweep's parameters, states and results")
    results.add_argument("sweep")
    form = results.add_mutually_exclusive_group()
    form.add_argument("--csv", action="store_true")
    form.add_argument("--json", action="store_true")
    show = verbs.add_parser("show", help="a job's manifest: snapshot, command, config, times, exit code")
    show.add_argument("ref")
    reproduce = verbs.add_parser("reproduce", help="rerun a job here, in the foreground, from its snapshot")
    reproduce.add_argument("ref")
    snapshots = verbs.add_parser("snapshots", help="snapshot branches and their worktrees; 'gc' to clean up")
    snapshots.add_argument("action", nargs="?", choices=["gc"])
    snapshots.add_argument("--older-than", default="14d", help="gc: only snapshots older than this (e.g. 14d, 12h)")
    snapshots.add_argument("--dry-run", action="store_true", help="gc: say what would be removed")
    snapshots.add_argument("--branches", action="store_true", help="gc: delete the snapshot branches too")
    recover = verbs.add_parser("recover",
                               help="finish (or --abort) a launch that was interrupted; --rebuild a lost store")
    recover.add_argument("sweep", nargs="?", help="default: every interrupted launch")
    recover.add_argument("--abort", action="store_true", help="undo it: stop its jobs, remove its snapshot")
    recover.add_argument("--rebuild", action="store_true",
                         help="rebuild a lost or damaged store from the sweeps' records and job folders")
    from .alloc import add_parser as add_alloc_parser
    add_alloc_parser(verbs)
    from .metrics_args import add_parsers as add_metrics_parsers
    add_metrics_parsers(verbs)
    config = verbs.add_parser("config", help="every effective setting of a profile and where its value came from")
    config.add_argument("--profile", help="a profile of snaptui.toml (default: the one a launch would use)")
    config.add_argument("--set", dest="sets", action="append", default=[], metavar="KEY=VALUE",
                        help="see the settings with this override applied")
    launch = verbs.add_parser("launch", help="launch a sweep and return (same as --batch FILE --no-wait)")
    launch.add_argument("sweep_file", type=Path)
    _launch_options(launch)
    return parser


def main(argv: list[str] | None = None) -> int:
    """The CLI. With `argv` None this process is the `snaptui` program itself, about to exit with the code:
    every object left is frozen out of the garbage collector first, so the interpreter's exit does not walk
    them all (the modules rich, GitPython and the engine made): 90 ms -> 20 ms at load ~7."""
    code = _run(argv)
    if argv is None:
        import gc

        gc.freeze()
    return code


def _run(argv: list[str] | None) -> int:
    args = build_parser().parse_args(argv)
    from rich.console import Console
    from rich.markup import escape

    err = Console(stderr=True, highlight=False)
    try:
        if args.batch is None and args.verb is None:
            from .tui import run_tui
            return run_tui(args.directory, args.config)
        launching = args.batch is not None or args.verb == "launch"
        _refuse_unused_launch_options(args, launching)
        from ..engine.api import Engine
        engine = Engine.discover(args.directory, args.config, new_ok=launching)  # outside git: state here
        if args.verb in METRICS_VERBS:
            from . import metrics as metrics_cli
            return getattr(metrics_cli, args.verb)(engine, args)
        if args.verb == "alloc":
            from .alloc import alloc
            return alloc(engine, args)
        if args.verb == "config":
            from .commands import out
            from .settings_view import show_config
            return show_config(engine, args, out)
        from . import commands
        if args.batch is not None or args.verb == "launch":
            return commands.batch(engine, args)
        return getattr(commands, args.verb)(engine, args)
    except ConfigError as exc:
        err.print(f"[bold red]error[/] in your input; nothing was launched or changed:\n{escape(exc.render())}",
                  markup=True, soft_wrap=True)   # a line per problem, however narrow the terminal
        return exc.exit_code
    except SnaptuiError as exc:
        # one logical line, however narrow the terminal (a wrapped message reads as several)
        # escaped: "snaptui[plot]" is not markup
        err.print(f"[bold red]error:[/] {escape(str(exc))}", markup=True, soft_wrap=True)
        return exc.exit_code
    except BrokenPipeError:
        return _reader_went_away()
    except (OSError, sqlite3.DatabaseError) as exc:
        if _disk_full(exc):
            err.print(f"error: the disk is full ({exc}); free some space. Nothing half-done is kept: `snaptui "
                      f"status` names any launch it interrupted and `snaptui recover` finishes or undoes it",
                      markup=False)
            return 1
        if not isinstance(exc, sqlite3.DatabaseError):
            raise
        # the store went bad under a running command (deleted, emptied, overwritten): one line, no traceback
        err.print(f"error: snaptui's store (.snaptui/state.db) failed: {exc}; if it was lost or damaged, "
                  f"`snaptui recover --rebuild` rebuilds it", markup=False)
        return 1


def _refuse_unused_launch_options(args: argparse.Namespace, launching: bool) -> None:
    """`snaptui --set timeout_min=3 resubmit 4/1` would resubmit with the old limit: a launch option
    given to a verb that takes none is bad input, not something to ignore."""
    if args.script and not args.dry_run:
        raise ConfigError.single(None, "--script", "goes with --dry-run", hint="snaptui --batch sweep.toml --dry-run "
                                 "--script")
    if args.batch is None and args.verb not in ("snapshots", "launch") and (args.no_wait or args.dry_run):
        option = "--no-wait" if args.no_wait else "--dry-run"
        raise ConfigError.single(None, option, "goes with --batch SWEEP_TOML only", hint="e.g. snaptui --batch "
                                 f"sweep.toml {option}" + ("; snaptui snapshots gc --dry-run" if args.dry_run else ""))
    if launching or args.verb == "config":
        return
    if args.verb == "resubmit":   # `snaptui --set timeout_min=3 resubmit 4/1`: the new attempts' resources
        args.resubmit_sets = [*args.sets, *args.resubmit_sets]
        args.sets = []
    given = [option for option, used in (("--set", args.sets), ("--profile", args.profile),
                                         ("--no-snapshot", args.no_snapshot), ("--yes", args.yes),
                                         ("--canary", args.canary is not None)) if used]
    if given:
        takers = "only resubmit, --batch, launch and config do" if given[0] == "--set" else \
            "only --batch, launch and config do"
        raise ConfigError.single(None, given[0], f"`snaptui {args.verb}` takes no {given[0]} ({takers})",
                                 hint=f"e.g. snaptui launch sweep.toml {_EXAMPLES[given[0]]}" if args.verb != "resubmit"
                                 else "a resubmission keeps its sweep's profile; --set changes its resources")


_EXAMPLES = {"--set": "--set timeout_min=5", "--profile": "--profile slurm", "--no-snapshot": "--no-snapshot",
             "--yes": "--yes", "--canary": "--canary"}   # the hint shows the option refused, where it is taken


def _disk_full(exc: BaseException) -> bool:
    import errno
    return getattr(exc, "errno", None) in (errno.ENOSPC, errno.EDQUOT) or "disk is full" in str(exc)


def _reader_went_away() -> int:
    """`snaptui results --csv | head`: the reader has all it wanted; leave quietly, as cat does."""
    import os

    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())   # the interpreter's final flush must not raise again
    return 141   # 128 + SIGPIPE, what a shell reports for a writer stopped by a closed pipe


if __name__ == "__main__":
    sys.exit(main())
