"""The CLI verbs, each a thin call into the engine plus plain, script-friendly output."""
from __future__ import annotations

import csv
import json
import math
import sqlite3
import sys
import time
from argparse import Namespace

from rich.console import Console
from rich.table import Table
from rich.text import Text

from ..engine.api import Engine
from ..engine.errors import ConfigError, SnaptuiError
from ..engine.states import RETRYABLE_STATES, JobState
from ..engine.views import competes, efficiency_advice, job_filter, maximized
from ..display.columns import column as job_column, why_text
from ..format import (STATE_STYLE, cancel_outcome, duration, format_result, profile_label, progress_text, safe,
                      size_text)

import os

# Piped output (scripts, CI logs) must not wrap at rich's default 80 columns.
out = Console(highlight=False, width=None if sys.stdout.isatty() or "COLUMNS" in os.environ else 200)
FOLLOW_POLL_S = 0.3  # `logs --follow`: how often a caught-up log is looked at again
# `snaptui status SWEEP`: the job table's columns (display/columns.py), the job named by its ref.
STATUS_COLUMNS = ("ref", "label", "state", "cause", "attempt", "executor_id", "node", "elapsed", "exit")
EFFICIENCY_COLUMNS = ("ref", "label", "state", "cause", "time_used", "mem_used", "cpu_eff", "gpu_util")


def batch(engine: Engine, args: Namespace) -> int:
    from .batch import describe_plan, wait_for
    from .snapshot_view import HashProgress, print_preview

    sweep_file = args.batch if args.batch is not None else args.sweep_file
    sets = [*args.sets, *([f"canary_s={args.canary:g}"] if args.canary is not None else [])]
    plan = engine.plan(sweep_file, profile=args.profile, sets=sets, no_snapshot=args.no_snapshot)
    for note in plan.notes:
        out.print(f"note: {note}", markup=False)
    if getattr(args, "dry_run", False):
        if getattr(args, "script", False):
            return _print_script(engine, plan)
        describe_plan(out, plan)
        return print_preview(out, plan)
    err, notes_before = Console(stderr=True, highlight=False), len(plan.notes)
    try:
        sweep = engine.launch(plan, yes=args.yes, progress=HashProgress(err))
    except KeyboardInterrupt:  # launch() has rolled everything back before this propagates
        _print_rollback_notes(err, plan.notes[notes_before:])
        err.print("interrupted: nothing was launched (its snapshot and record were removed)", markup=False)
        return 130
    except BaseException:  # the error itself is printed by the caller; first what the rollback moved or kept
        _print_rollback_notes(err, plan.notes[notes_before:])
        raise
    where = f"snapshot {sweep.snapshot['branch']} ({sweep.snapshot['commit'][:10]})" if sweep.snapshot \
        else "no snapshot: jobs run in the repository itself"
    out.print(f"launched sweep [bold]{sweep.id}[/] {sweep.name}: {sweep.total} jobs on "
              f"{sweep.executor} (profile {sweep.profile}), {where}")
    if (sweep.snapshot or {}).get("linked"):
        out.print(engine.linked_summary(sweep.snapshot["linked"]), markup=False, soft_wrap=True)
    if sweep.canary:
        out.print(f"canary: job {sweep.id}/{sweep.canary['job']} runs first; the other {sweep.total - 1} are "
                  f"submitted once it has run {sweep.canary['after_s']:g} s or completed", markup=False)
    for warning in (sweep.snapshot or {}).get("warnings", []):
        out.print(f"[yellow]warning:[/] {warning}")
    for note in plan.notes[notes_before:]:
        out.print(f"note: {note}", markup=False, soft_wrap=True)
    if args.verb == "launch" or args.no_wait:
        print(sweep.id)
        return 0
    return wait_for(engine, sweep, out)


def _print_script(engine: Engine, plan) -> int:
    """--dry-run --script: the script alone (what sbatch would get), after the checks a launch makes."""
    if plan.refusal is not None:
        raise plan.refusal
    text = engine.submission_script(plan)
    if text is None:
        out.print(f"profile {plan.config.profile_name} runs jobs with the {plan.config.executor} executor, as "
                  f"processes: no script; the command lines are in --dry-run", markup=False)
        return 0
    sys.stdout.write(text if text.endswith("\n") else text + "\n")
    return 0


def _print_rollback_notes(err: Console, notes: list[str]) -> None:
    for note in notes:
        err.print(f"note: {note}", markup=False, soft_wrap=True)


def warn_interrupted(engine: Engine, sweeps=()) -> None:
    """Warnings before a listing: interrupted launches, what keeps states from being recorded, and the
    notes of the sweeps listed (a worktree a job damaged, ...)."""
    err = Console(stderr=True, highlight=False)
    for sweep in engine.interrupted_launches():
        err.print(f"[yellow]warning:[/] {engine.describe_interrupted(sweep)}")
    for problem in engine.health():
        err.print(f"[yellow]warning:[/] {problem}")
    for sweep in sweeps:
        for note in engine.sweep_notes(sweep.id):
            err.print(Text.assemble(("warning:", "yellow"), f" sweep {sweep.id}: {note}"), soft_wrap=True)


def recover(engine: Engine, args: Namespace) -> int:
    if args.rebuild:
        if args.sweep is not None or args.abort:
            raise ConfigError.single(None, "--rebuild", "rebuilds the whole store: give no sweep and no --abort")
        for line in engine.rebuild_store():
            out.print(line, markup=False, soft_wrap=True)
        return 0
    found = engine.interrupted_launches()
    if args.sweep is not None:
        found = [s for s in found if str(s.id) == args.sweep]
        if not found:
            raise SnaptuiError(f"sweep {args.sweep} is not an interrupted launch")
    if not found:
        out.print("no interrupted launches")
    for sweep in found:
        for line in engine.recover(sweep, abort=args.abort):
            out.print(line)
    return 0


def status(engine: Engine, args: Namespace) -> int:
    if args.sweep is None:
        sweeps = engine.sweeps()
        warn_interrupted(engine, sweeps)
        table = Table(box=None, pad_edge=False)
        for column in ("id", "name", "profile", "jobs", "snapshot", "started", "elapsed"):
            table.add_column(column)
        for sweep in sweeps:
            branch = sweep.snapshot["branch"] if sweep.snapshot else "-"
            elapsed = (sweep.ended_at if not sweep.is_active and sweep.ended_at else time.time()) - sweep.created_at
            table.add_row(str(sweep.id), safe(sweep.name), safe(profile_label(sweep)),
                          progress_text(sweep.counts, sweep.total), safe(branch),
                          time.strftime("%Y-%m-%d %H:%M", time.localtime(sweep.created_at)), duration(elapsed))
        out.print(table if table.row_count else "no sweeps yet: launch one with snaptui --batch sweep.toml")
        return 0
    if args.efficiency and args.sweep is None:
        raise ConfigError.single(None, "--efficiency", "is per sweep: snaptui status SWEEP --efficiency")
    sweep = engine.resolve_sweep(args.sweep)
    warn_interrupted(engine, [sweep])
    causes = engine.cause_summary(sweep.id)
    out.print(Text.assemble((f"sweep {sweep.id} {safe(sweep.name)}  ", "bold"),
                            progress_text(sweep.counts, sweep.total),
                            f"  ({safe(causes)})" if causes else ""))
    if args.efficiency:
        said = efficiency_advice(engine.jobs_with_usage(sweep.id))
        out.print(said or "no job has reported what it used yet (a job reports it when it ends)", markup=False)
        _print_job_table(engine, sweep, EFFICIENCY_COLUMNS)
    else:
        _print_jobs(engine, sweep)
    return 0


STATE_TEXT = {state.value: f"{state.symbol} {state.value}" for state in JobState}  # as the job table's state column
# the state column's colours on a terminal (STATE_STYLE's, as ANSI codes: rows are written, not rendered)
ANSI = {"dim": "2", "bold blue": "1;34", "green": "32", "bold red": "1;31", "yellow": "33", "magenta": "35",
        "bold yellow": "1;33"}


def _print_jobs(engine: Engine, sweep) -> None:
    """Every job of the sweep under the TUI's job-table column titles (display/columns.py), streamed a
    page at a time from light rows (models.JobLine): 100,000 jobs list in about a second and in little
    memory (a table of all rows at once took minutes and 600 MB). Columns are sized from the first
    page, the label column from the longest label of the sweep."""
    columns = [job_column(key) for key in STATUS_COLUMNS]
    now, prefix = time.time(), f"{sweep.id}/"
    live: dict[int, str] = {}   # a running job's results so far (its page's)
    hidden: list[str] = []  # a reason the column cannot show beside the results (a copy kept beside a file)

    def cells(line) -> list[str]:
        # (written for speed: a 100,000-job sweep makes this the whole cost of the listing)
        (index, label, state, attempt, executor_id, node, started, ended, code, reason, results,
         cause, detail, expected_start, slurm_id) = line
        why = why_text(state, cause, code, detail, reason, expected_start, now)
        if results and results != "{}":
            results = " ".join(f"{safe(k)}={safe(v)}" for k, v in json.loads(results).items())
            if reason:
                hidden.append(f"{prefix}{index}: {safe(reason)}\n")
        elif index in live:
            results = live[index]
        else:   # the reason, unless the cause column says it already (a completed job's is a note: a kept copy)
            results = safe(reason) if reason and (why == "-" or state == JobState.COMPLETED) else ""
        executor_id = slurm_id or executor_id
        return [prefix + str(index), label if label.isprintable() else safe(label), STATE_TEXT[state], why,
                str(attempt), safe(executor_id) if executor_id else "-", safe(node) if node else "-",
                "-" if started is None else duration((ended if ended is not None else now) - started),
                "-" if code is None else str(code), results]

    pages = engine.job_lines_in_pages(sweep.id, 5000)
    first = next(pages, [])
    live = _live_results(engine, sweep.id, first)
    rows = [cells(line) for line in first]
    titles = [c.title for c in columns] + ["results / reason"]
    widths = [max([len(t)] + [len(r[i]) for r in rows]) for i, t in enumerate(titles)]
    widths[0] = max(widths[0], len(f"{prefix}{max(sweep.total - 1, 0)}"))
    widths[1] = max(widths[1], engine.widest_label(sweep.id))
    widths[2] = max(widths[2], max(map(len, STATE_TEXT.values())))
    template = "  ".join(f"{{{n}:{'>' if c.right else '<'}{w}}}" for n, (c, w) in enumerate(zip(columns, widths)))
    template += f"  {{{len(columns)}}}"
    colour = sys.stdout.isatty()

    def text(row: list[str], state=None) -> str:
        if colour and state is not None:
            row[2] = f"\x1b[{ANSI[STATE_STYLE[JobState(state)]]}m{row[2]:<{widths[2]}}\x1b[0m"
        return template.format(*row).rstrip() + "\n"

    out.file.flush()
    write = sys.stdout.write
    header = text(titles)
    write(f"\x1b[1m{header[:-1]}\x1b[0m\n" if colour else header)
    write("".join(text(r, line.state) for r, line in zip(rows, first)))
    for page in pages:
        live = _live_results(engine, sweep.id, page)
        write("".join(text(cells(line), line.state) for line in page))
    write("".join(hidden))
    sys.stdout.flush()


LIVE_READ = 4 * 1024 * 1024   # bytes of each running job's logs and metrics files read for its results so far


def _live_results(engine: Engine, sweep_id: int, lines: list) -> dict[int, str]:
    """The running jobs' results so far, as the TUI shows them: each metric's last value, read from their
    logs and metrics files ('loss=0.52 (so far)'); only those jobs are read in full, and the metrics reader
    is loaded only when one runs."""
    indexes = [line.index for line in lines if line.state == "RUNNING"]
    if not indexes:
        return {}
    running = engine.jobs_by_index(sweep_id, indexes)
    try:
        reader = engine.metrics()
        reader.update(running, max_bytes=LIVE_READ)
    except (OSError, sqlite3.DatabaseError):
        # the metrics cache beside the store cannot be made or written (a full disk, which status
        # already warns of): the states and final results are still worth showing
        return {}
    found: dict[int, list[str]] = {}
    for name in reader.metric_names(running):
        for index, value in reader.summaries(running, name, "final").items():
            found.setdefault(index, []).append(f"{safe(name)}={format_result(value)}")
    return {index: " ".join(parts) + " (so far)" for index, parts in found.items()}


def _print_job_table(engine: Engine, sweep, keys: tuple[str, ...]) -> None:
    """Every job of the sweep under any of the job table's columns (`status --efficiency`), a page of full
    jobs at a time: slower than _print_jobs's light rows, for the columns that need a job's usage."""
    columns = [job_column(key) for key in keys]
    now = time.time()

    def cells(job) -> list[str]:
        return [safe(c.text(job, now)) if c.key == "cause" else c.text(job, now) for c in columns]

    pages = engine.jobs_in_pages(sweep.id, 5000)
    first = next(pages, [])
    rows = [cells(job) for job in first]
    titles = [c.title for c in columns]
    widths = [max([len(t)] + [len(r[i]) for r in rows]) for i, t in enumerate(titles)]
    position = {c.key: n for n, c in enumerate(columns)}
    widths[position["ref"]] = max(widths[position["ref"]], len(f"{sweep.id}/{max(sweep.total - 1, 0)}"))
    widths[position["label"]] = max(widths[position["label"]], engine.widest_label(sweep.id))
    widths[position["state"]] = max(widths[position["state"]], max(map(len, STATE_TEXT.values())))
    state_at = position["state"]
    colour = sys.stdout.isatty()

    def line(row: list[str], state=None) -> str:
        padded = [(cell.rjust(w) if c.right else cell.ljust(w)) for cell, w, c in zip(row, widths, columns)]
        if colour and state is not None:
            padded[state_at] = f"\x1b[{ANSI[STATE_STYLE[state]]}m{padded[state_at]}\x1b[0m"
        return "  ".join(padded).rstrip() + "\n"

    out.file.flush()
    write = sys.stdout.write
    header = line(titles)
    write(f"\x1b[1m{header[:-1]}\x1b[0m\n" if colour else header)
    write("".join(line(r, job.state) for r, job in zip(rows, first)))
    for page in pages:
        write("".join(line(cells(job), job.state) for job in page))
    sys.stdout.flush()


def _jobs_for(engine: Engine, args: Namespace):
    """The jobs a verb names: one (SWEEP/INDEX) or a sweep's, narrowed by --state and --where."""
    chosen = job_filter(getattr(args, "state", None), getattr(args, "where", ()))
    if "/" in args.ref:
        return [job for job in [engine.resolve_job(args.ref)] if chosen(job)]
    return [job for job in engine.jobs(engine.resolve_sweep(args.ref).id) if chosen(job)]


def _filtered(args: Namespace) -> str:
    said = [f"--state {args.state}"] if args.state else []
    return " ".join(said + [f"--where {w}" for w in args.where])


def cancel(engine: Engine, args: Namespace) -> int:
    """One line per job saying what became of it (read back after the cancel, not assumed)."""
    named = _jobs_for(engine, args)
    after = engine.cancel(named)
    if not after:
        out.print(f"nothing to cancel: no job matches {_filtered(args)}" if not named and _filtered(args)
                  else "nothing to cancel: every job named is already finished", markup=False)
    for job in after:
        name = f"{job.ref} {safe(job.label)}"
        if job.state == JobState.CANCELLED:
            line = f"cancelled {name}"
        elif job.state.is_final:
            line = f"{name} was not cancelled: it ended {job.state.value}"
        else:
            line = f"{name}: cancel requested, still stopping ({job.state.value}; `snaptui status` shows its end)"
        out.print(line, markup=False, soft_wrap=True)
    if len(after) > 1:
        out.print(cancel_outcome(after), markup=False)
    return 0


def resubmit(engine: Engine, args: Namespace) -> int:
    jobs = _jobs_for(engine, args)
    if args.failed:
        jobs = [j for j in jobs if j.state in RETRYABLE_STATES]
    done = engine.resubmit(jobs, args.resubmit_sets, args.why)
    if not done:
        out.print(f"nothing to resubmit: no job matches {_filtered(args)}" if not jobs and _filtered(args)
                  else "nothing to resubmit: the jobs named are still pending or running", markup=False)
    for job in done:
        latest = engine.attempts(job)[-1]
        changed = (latest.changes or {}).get("set") or {}
        was = (latest.changes or {}).get("was") or {}
        with_text = ", ".join(f"{k}={_plain(v)}" + (f" (was {_plain(was[k])})" if k in was else "")
                              for k, v in changed.items())
        out.print(f"resubmitted {job.ref} {safe(job.label)} as attempt {latest.number}" +
                  (f" with {with_text}" if with_text else ""), markup=False)
    return 0


def _plain(value) -> str:
    """3.0 as 3: a setting as the user wrote it."""
    return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)


def logs(engine: Engine, args: Namespace) -> int:
    job = engine.resolve_job(args.ref)
    attempt = job.attempt
    if args.attempt is not None:
        matches = [a for a in engine.attempts(job) if a.number == args.attempt]
        if not matches:
            raise SnaptuiError(f"job {job.ref} has no attempt {args.attempt}")
        attempt = matches[0]
    task = args.task or 0
    count = engine.task_count(attempt)
    if not 0 <= task < count:
        raise ConfigError.single(None, "--task", f"job {job.ref} has {count} task{'s' if count > 1 else ''}: "
                                 + (f"0 to {count - 1}" if count > 1 else "only task 0"))
    stdout, stderr = engine.log_paths(attempt, task)
    path = stderr if args.err else stdout
    if path is not None and not path.exists() and attempt.state.is_final:
        path = None   # submitted, never started (cancelled while pending, refused by the scheduler)
    if path is None and (attempt.state.is_final or not args.follow):
        which = f"attempt {attempt.number} of job {job.ref}" if args.attempt is not None else f"job {job.ref}"
        if attempt.state.is_final:
            raise SnaptuiError(f"{which} never started ({attempt.cause_text or attempt.state.value}): it has no log")
        raise SnaptuiError(f"{which} has not started yet: no log (snaptui logs {job.ref} -f waits for it)")
    tailer = engine.tail(path) if path is not None else None
    sink = sys.stdout.buffer

    def step() -> bool:
        nonlocal tailer
        if tailer is None:   # following a job that had not started: its log has a name once it runs
            stdout, stderr = engine.log_paths(engine.attempt(attempt.id), task)
            if (stderr if args.err else stdout) is None:
                return False
            tailer = engine.tail(stderr if args.err else stdout)
        data = tailer.read_bytes()
        sink.write(data)   # as written: an unfinished tqdm line shows, and redraws in place
        sink.flush()
        return bool(data)

    if not args.follow:
        while step():
            pass
        return 0
    engine.follow_log(step, interval=FOLLOW_POLL_S, stop=lambda: engine.attempt(attempt.id).state.is_final
                      and (tailer is None or not tailer.has_more))
    return 0


def results(engine: Engine, args: Namespace) -> int:
    sweep = engine.resolve_sweep(args.sweep)
    jobs = engine.jobs(sweep.id)
    params = list(dict.fromkeys(k for j in jobs for k in j.params))
    names = list(dict.fromkeys(k for j in jobs for k in j.attempt.results))
    rows = [{"job": j.ref, **j.params, "state": j.state.value, "cause": j.attempt.cause_text, **j.attempt.results}
            for j in jobs]
    if args.json:
        print(json.dumps(rows, indent=2))
    elif args.csv:
        # a file gets the values as they are; a terminal gets their control characters escaped
        tty = sys.stdout.isatty()
        writer = csv.writer(sys.stdout)
        columns = ["job", *params, "state", "cause", *names]
        writer.writerow([safe(c) if tty else c for c in columns])
        writer.writerows([safe(row.get(c, "")) if tty else row.get(c, "") for c in columns] for row in rows)
    else:
        table = Table(box=None, pad_edge=False)
        with_cause = any(j.attempt.cause not in (None, "completed") for j in jobs)
        for column in ["job", *params, "state", *(["cause"] if with_cause else []), *names]:
            table.add_column(safe(column), justify="right" if column in names else "left")
        best = {name: _best_value(jobs, name) for name in names}
        for job, row in zip(jobs, rows):
            cells: list = [row["job"], *(safe(row.get(p, "")) for p in params),
                           Text(row["state"], STATE_STYLE.get(row["state"], "")),
                           *([safe(job.attempt.cause_label) if job.attempt.cause != "completed" else ""]
                             if with_cause else [])]
            for name in names:
                value = job.attempt.results.get(name)
                if value is None:
                    cells.append("")
                elif not competes(job):   # partial: marked with the job's state, never the best
                    cells.append(Text(f"{job.state.symbol}{safe(value)}", STATE_STYLE[job.state]))
                else:
                    cells.append(Text(f"★{safe(value)}", "bold") if value == best[name] else safe(value))
            table.add_row(*cells)
        out.print(table)
        if any(not competes(j) and j.attempt.results for j in jobs):
            out.print("★ best of the COMPLETED jobs; ✘/⊘/◔ values are a failed, cancelled or timed-out job's "
                      "last report, never ranked", style="dim", markup=False)
    if not names and any(j.state.is_final for j in jobs):
        Console(stderr=True, highlight=False).print(f"no results: {engine.results_hint(sweep)}", markup=False,
                                                    soft_wrap=True)
    return 0


def _best_value(jobs: list, name: str):
    """The best numeric value of a result among the jobs that compete (views.competes), by the metric's
    direction (views.maximized); None when none has one."""
    values = [v for j in jobs if competes(j) for v in [j.attempt.results.get(name)]
              if isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)]
    if not values:
        return None
    return max(values) if maximized(name) else min(values)


def show(engine: Engine, args: Namespace) -> int:
    job = engine.resolve_job(args.ref)
    manifest = engine.manifest(job)
    if manifest is None:
        sweep = engine.sweep(job.sweep_id)
        manifest = {"sweep_id": sweep.id, "sweep_name": sweep.name, "job_index": job.index, "label": job.label,
                    "attempt": job.attempt.number, "state": job.state.value, "exit_code": job.attempt.exit_code,
                    "cause": job.attempt.cause_text or None, "argv": job.argv,
                    "params": job.params, "snapshot": sweep.snapshot, "config": sweep.config,
                    "note": "the job never started" if job.state.is_final
                    else "the job has not started yet; this is what it will run"}
    print(json.dumps(manifest, indent=2, sort_keys=True))
    return 0


def reproduce(engine: Engine, args: Namespace) -> int:
    return engine.reproduce(engine.resolve_job(args.ref), out)


def snapshots(engine: Engine, args: Namespace) -> int:
    if args.action == "gc":
        notes: list[str] = []
        removed = engine.gc(older_than_s=engine.parse_age(args.older_than), dry_run=args.dry_run,
                     delete_branches=args.branches, notes=notes)
        verb = "would remove" if args.dry_run else "removed"
        for line in notes:
            out.print(line, markup=False)
        for line in removed:
            out.print(f"{verb} {line}", markup=False)
        if not removed:
            out.print("nothing to remove")
        return 1 if any(n.startswith("kept worktree") for n in notes) else 0
    table = Table(box=None, pad_edge=False)
    for column in ("branch", "commit", "age", "sweeps", "worktree", "disk", "in use"):
        table.add_column(column)
    for row in engine.snapshots():
        table.add_row(row.branch, row.commit[:10], duration(row.age_s), ",".join(map(str, row.sweeps)) or "-",
                      row.worktree or "-", size_text(row.disk_bytes), "yes" if row.in_use else "no")
    out.print(table if table.row_count else "no snapshots yet")
    return 0
