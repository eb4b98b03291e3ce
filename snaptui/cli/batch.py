"""`snaptui --batch`: launch a sweep, report progress, wait, exit with a status scripts can read.

Exit codes: 0 every job completed, 1 any job did not, 2 bad input, 130 interrupted
(the jobs keep running; nothing is cancelled).
"""
from __future__ import annotations

import time

from rich.console import Console
from rich.live import Live
from rich.text import Text

from ..engine.api import CheckedPlan, Engine
from ..engine.models import Sweep
from ..engine.states import STATE_ORDER, JobState
from ..engine.views import cause_summary
from ..format import STATE_STYLE, duration, eta_text, progress_text, safe

PLAIN_EVERY_S = 10.0
REFRESH_EVERY_S = 5.0  # agent nudged and health checked this often
POLL_S = 0.5
DRY_RUN_ALL, DRY_RUN_HEAD, DRY_RUN_TAIL = 50, 10, 5  # a bigger dry run shows its first and last jobs


def describe_plan(console: Console, plan: CheckedPlan) -> None:
    import tomli_w

    count = plan.job_count
    console.print(f"[bold]{plan.spec.name}[/]: {count:,} jobs, profile "
                  f"[cyan]{plan.config.profile_name}[/] ({plan.config.executor})")
    width = len(str(count - 1))
    shown = range(count) if count <= DRY_RUN_ALL else [*range(DRY_RUN_HEAD), *range(count - DRY_RUN_TAIL, count)]
    for index in shown:
        job = plan.job(index)
        if count > DRY_RUN_ALL and index == count - DRY_RUN_TAIL:
            console.print(f"  {'':>{width}}  [dim]... {count - DRY_RUN_HEAD - DRY_RUN_TAIL:,} more jobs ...[/]")
        console.print(f"  {job.index:>{width}}  {safe(job.label)}", highlight=False, markup=False)
        console.print(f"  {'':>{width}}  {' '.join(job.argv)}", highlight=False, markup=False, style="dim")
    console.print("\n[bold]effective config[/]")
    console.print(tomli_w.dumps(plan.config.to_dict()), highlight=False, markup=False)


CANARY_LOG_LINES = 12


def held_back(sweep: Sweep, job) -> bool:
    """A job its sweep's failed canary kept from being submitted."""
    return (sweep.canary or {}).get("state") == "failed" and job.index != sweep.canary["job"] and \
        (job.attempt.detail or "").startswith("not submitted")


def last_lines(engine: Engine, job, count: int = CANARY_LOG_LINES) -> list[str]:
    """The last lines of a job's stderr, else its stdout."""
    for path in reversed(engine.log_paths(job)):
        try:
            data = path.read_bytes()[-16384:] if path is not None else b""
        except OSError:
            continue
        lines = [line.rsplit("\r", 1)[-1] for line in data.decode("utf-8", "replace").splitlines() if line.strip()]
        if lines:
            return lines[-count:]
    return []


def status_text(engine: Engine, sweep: Sweep, started: float) -> Text:
    text = Text()
    text.append(f"sweep {sweep.id} {safe(sweep.name)}  ", style="bold")
    text.append_text(progress_text(sweep.counts, sweep.total))
    text.append(f"  elapsed {duration(time.time() - started)}  {eta_text(sweep, engine.jobs(sweep.id), time.time())}")
    if (sweep.canary or {}).get("state") == "waiting":
        text.append(f"  canary {sweep.id}/{sweep.canary['job']}: the others wait until it has run "
                    f"{sweep.canary['after_s']:g} s", style="yellow")
    return text


def wait_for(engine: Engine, sweep: Sweep, console: Console) -> int:
    """Follow a sweep to its end; returns the exit code."""
    started = sweep.created_at
    reported: set[int] = set()
    warned: set[str] = set()
    last_health = time.monotonic()
    live = Live(console=console, auto_refresh=False, transient=False) if console.is_terminal else None
    last_line, last_print, last_states = "", float("-inf"), frozenset()
    try:
        if live:
            live.start()
        for sweep in engine.follow(sweep.id, poll_s=POLL_S, refresh_s=REFRESH_EVERY_S):  # noqa: B020 - its updates
            for job in engine.jobs(sweep.id):
                if job.state.is_final and job.state != JobState.COMPLETED and job.attempt.id not in reported:
                    reported.add(job.attempt.id)
                    if held_back(sweep, job):
                        continue   # said once, with the canary's end
                    message = Text.assemble((f"  {job.state.value:<9}", STATE_STYLE[job.state]),
                                            f" {job.ref} {safe(job.label)}: "
                                            f"{safe(job.attempt.cause_text or job.attempt.reason or '')}")
                    (live.console if live else console).print(message, highlight=False)
            line = status_text(engine, sweep, started)
            if live:
                live.update(line, refresh=True)
            elif (counts_part := line.plain.split("  elapsed")[0]) != last_line:
                # Not a terminal (a log file, CI): a line when a state first appears or goes, else at most
                # every PLAIN_EVERY_S; 1,500 jobs printed 1,500 lines.
                states = frozenset(s for s, n in sweep.counts.items() if n)
                if states != last_states or time.monotonic() - last_print >= PLAIN_EVERY_S or not sweep.is_active:
                    last_line, last_print, last_states = counts_part, time.monotonic(), states
                    console.print(line, highlight=False)
            if sweep.is_active and time.monotonic() - last_health > REFRESH_EVERY_S:
                for problem in set(engine.health()) - warned:
                    warned.add(problem)
                    (live.console if live else console).print(f"[yellow]warning:[/] {problem}")
                last_health = time.monotonic()
    except KeyboardInterrupt:
        if live:
            live.stop()
        console.print(f"\nStopped watching. The jobs keep running: [bold]snaptui status {sweep.id}[/]")
        return 130
    finally:
        if live and live.is_started:
            live.stop()
    ok = sweep.counts.get(JobState.COMPLETED, 0) == sweep.total
    if (sweep.canary or {}).get("state") == "failed":
        canary = engine.jobs_by_index(sweep.id, [sweep.canary["job"]])[0]
        console.print(f"{safe(sweep.canary['why'])}: the other {sweep.total - 1} jobs were not submitted. The end of "
                      f"its log (snaptui logs {canary.ref} --err):", highlight=False, markup=False)
        for line in last_lines(engine, canary):
            console.print(f"  | {safe(line)}", highlight=False, markup=False)
    summary = " | ".join(f"{n} {s.value}" for s in STATE_ORDER if (n := sweep.counts.get(s, 0)))
    took = duration((sweep.ended_at or time.time()) - started)
    console.print(f"sweep {sweep.id} {safe(sweep.name)}: {summary} in {took}", highlight=False, markup=False)
    if not ok:
        causes = cause_summary(engine.jobs(sweep.id))
        if causes:
            console.print(f"why: {causes}", highlight=False, markup=False)
        failed = next((job for job in engine.jobs(sweep.id)
                       if job.state.is_final and job.state is not JobState.COMPLETED), None)
        if failed is not None:   # where to look next
            console.print(f"read a failed job's log: [bold]snaptui logs {failed.ref}[/]  (stderr: "
                          f"[bold]snaptui logs {failed.ref} --err[/]); every job: [bold]snaptui status {sweep.id}[/]",
                          highlight=False)
    return 0 if ok else 1
