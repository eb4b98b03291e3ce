"""`snaptui metrics` and `snaptui plot`: a sweep's series as a table, CSV, JSON or a picture."""
from __future__ import annotations

import csv
import json
import math
import sys
import time
from argparse import Namespace
from contextlib import contextmanager

from rich.console import Console
from rich.markup import escape
from rich.text import Text

from ..engine.api import Engine
from ..engine.errors import ConfigError
from ..engine.views import competes
from ..format import STATE_STYLE
from .columns import aligned

SUMMARY_COLUMNS = ("points", "last step", "final", "best")  # right-aligned numbers


def _jobs(engine: Engine, ref: str):
    if "/" in ref:
        return [engine.resolve_job(ref)]
    return engine.jobs(engine.resolve_sweep(ref).id)


@contextmanager
def _progress(message: str):
    """A spinner on a terminal, so reading a long log (> 1 s) shows it is working."""
    err = Console(stderr=True, highlight=False)
    if err.is_terminal:
        with err.status(message):
            yield
    else:
        yield


def _warn_problems(reader, jobs) -> None:
    """Files that could not be read (a missing optional package, a malformed file), once per message."""
    err = Console(stderr=True, highlight=False)
    seen: dict[str, list[str]] = {}
    refs = {j.index: j.ref for j in jobs}
    for index, problems in reader.problems(jobs).items():
        for problem in problems:
            seen.setdefault(problem, []).append(refs[index])
    for problem, where in seen.items():
        jobs = ", ".join(where[:5]) + (" ..." if len(where) > 5 else "")
        err.print(f"[yellow]warning:[/] {escape(problem)} (job {jobs})",
                  markup=True)


def _fmt(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return f"{value:.6g}"


def _json_value(value: float):
    return value if math.isfinite(value) else str(value)  # NaN/inf are not JSON: written as strings


def _read(engine: Engine, ref: str, wanted: list[str]):
    """The jobs `ref` names, a metrics reader brought up to date on them (progress shown, problems
    warned), and their metric names; a `wanted` metric they do not have is a --metric error."""
    jobs = _jobs(engine, ref)
    reader = engine.metrics()
    with _progress("reading metrics"):
        reader.update(jobs)
    _warn_problems(reader, jobs)
    names = reader.metric_names(jobs)
    missing = [m for m in wanted if m not in names]
    if missing:
        raise ConfigError.single(None, "--metric", f"no metric {', '.join(map(repr, missing))} in {ref}",
                                 hint=f"metrics: {', '.join(names)}" if names else "no metrics reported yet")
    return jobs, reader, names


def metrics(engine: Engine, args: Namespace) -> int:
    out = Console(highlight=False, width=None if sys.stdout.isatty() else 200)
    jobs, reader, names = _read(engine, args.ref, args.metric or [])
    if args.metric:
        names = list(args.metric)
    params = list(dict.fromkeys(k for j in jobs for k in j.params))
    if args.csv or args.json:
        by_name = {name: reader.series_of(jobs, name) for name in names}
    if args.csv:
        writer = csv.writer(sys.stdout)
        writer.writerow(["job", "attempt", *params, "metric", "step", "value"])
        for job in jobs:
            for name in names:
                series = by_name[name].get(job.index)
                for step, value in zip(series.steps.tolist(), series.values.tolist()) if series else ():
                    writer.writerow([job.ref, job.attempt.number, *(job.params.get(p, "") for p in params), name,
                                     f"{step:g}", repr(value)])
        return 0
    if args.json:
        rows = []
        for job in jobs:
            for name in names:
                series = by_name[name].get(job.index)
                if series:
                    rows.append({"job": job.ref, "attempt": job.attempt.number, "params": job.params, "metric": name,
                                 "steps": series.steps.tolist(),
                                 "values": [_json_value(v) for v in series.values.tolist()]})
        print(json.dumps(rows, indent=1))
        return 0
    flags = reader.flags(jobs)
    if len(jobs) == 1:
        return _print_one(out, reader, jobs[0], names, flags)
    summaries = {name: reader.summaries_of(jobs, name) for name in names}   # no numpy: its import is 0.15 s
    table = []
    for job in jobs:
        for name in names:
            summary = summaries[name].get(job.index)
            if summary is None:
                continue
            table.append([job.ref, *(str(job.params.get(p, "")) for p in params),
                          Text(job.state.value, STATE_STYLE[job.state]), name, str(summary.points),
                          _fmt(summary.last_step), _marked(job, summary.final), _marked(job, summary.best),
                          _flag_text(flags.get(job.index), name)])
    headers = ["job", *params, "state", "metric", *SUMMARY_COLUMNS, "flags"]
    numbers = range(len(headers) - 1 - len(SUMMARY_COLUMNS), len(headers) - 1)
    out.print(aligned(headers, table, right=numbers) if table else f"no metrics reported yet in {args.ref}",
              soft_wrap=True)
    return 0


def _marked(job, value) -> Text | str:
    """A failed, cancelled or timed-out job's value after its state's symbol, in its colour: partial,
    never to be read as a result (views.competes)."""
    if competes(job) or value is None:
        return _fmt(value)
    return Text(f"{job.state.symbol}{_fmt(value)}", STATE_STYLE[job.state])


def _flag_text(flags, metric: str | None = None) -> Text:
    if flags is None:
        return Text("")
    parts = [f"{value} at step {step:g}" for name, step, value in flags.nonfinite if metric in (None, name)]
    if flags.silent_s is not None:
        parts.append(f"silent {flags.silent_s / 60:.0f} min: hung?")
    return Text("; ".join(parts), "bold red")


def _print_one(out: Console, reader, job, names: list[str], flags) -> int:
    series = {name: reader.series(job, name) for name in names}
    out.print(Text.assemble((f"job {job.ref} {job.label}  ", "bold"), (job.state.value, STATE_STYLE[job.state]),
                            "  ", _flag_text(flags.get(job.index))))
    by_step: dict[float, dict[str, float]] = {}
    for name, s in series.items():
        for step, value in zip(s.steps, s.values):
            by_step.setdefault(step, {})[name] = value
    rows: list[list[str | Text]] = [[_fmt(step), *(_fmt(by_step[step].get(n)) for n in names)]
                                    for step in sorted(by_step)]
    out.print(aligned(["step", *names], rows, right=range(len(names) + 1)) if rows else "no metrics reported yet",
              soft_wrap=True)
    return 0


def plot(engine: Engine, args: Namespace) -> int:
    from .plot_export import SUPPORTED, write_plot

    suffix = args.out.rsplit(".", 1)[-1].lower() if "." in args.out else ""
    if suffix not in SUPPORTED:
        raise ConfigError.single(None, "--out", f"cannot write {args.out!r}: the name must end in "
                                 + " or ".join(f".{s}" for s in SUPPORTED))
    if not 0 <= args.smooth < 1:
        raise ConfigError.single(None, "--smooth", f"must be at least 0 and below 1, got {args.smooth}")
    started = time.monotonic()
    jobs, reader, _ = _read(engine, args.ref, [args.metric])
    varying = [k for k in dict.fromkeys(k for j in jobs for k in j.params)
               if len({str(j.params.get(k)) for j in jobs}) > 1]
    if args.colour_by and args.colour_by not in {k for j in jobs for k in j.params}:
        raise ConfigError.single(None, "--colour-by", f"no parameter {args.colour_by!r}",
                                 hint=f"swept parameters: {', '.join(varying) or 'none'}")
    colour_by = args.colour_by or (varying[0] if varying else None)
    curves = reader.overlay(jobs, args.metric, colour_by=colour_by, smoothing=args.smooth, max_points=2000,
                            log_y=args.log)
    with _progress(f"writing {args.out}"):
        write_plot(args.out, curves, metric=args.metric, colour_by=colour_by, log_y=args.log, legend=args.legend,
                   title=f"sweep {jobs[0].sweep_id}: {args.metric}",
                   unfinished={j.index: j.state.value for j in jobs if not competes(j)})
    print(f"wrote {args.out}: {len(curves)} curves of {args.metric} ({time.monotonic() - started:.1f} s)")
    return 0
