"""What runs inside a submitit job: the user's command, watched, timed and reported.

submitit pickles a CommandRunner call; in the job it starts the command in its own
process group (so cancel can kill the whole tree), forwards signals to it, enforces
the timeout when asked, then writes the manifest with exit code and results. A
non-zero exit makes the job exit non-zero too, so Slurm records it as failed.
"""
from __future__ import annotations

import dataclasses
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import FrameType
from typing import IO, TYPE_CHECKING, Any, Callable, Protocol, Union

from .runspec import RunSpec  # noqa: F401 - also here: specs pickled by older snaptuis name runner.RunSpec
from .jobenv import command_environment, job_variables, task_scheduler_vars
from snaptui.engine.landing.land import land
from .joblogs import log_files, order_file
from .logpump import LogPump
from .requeue import restart_count, set_aside
from .manifest import RESULT_NAME
from snaptui.engine.procs import exit_event, start_time
from .results import last_error_line, read_result_file, scan_log
from .subreaper import become_subreaper, children, end_adopted
from .taskreport import Reporter
from .usage import UsageSampler

if TYPE_CHECKING:
    import submitit

    from .warm import WarmChild

Child = Union["subprocess.Popen[bytes]", "WarmChild"]   # the command: a process started, or forked warm
Streams = tuple[IO[bytes], IO[bytes]]                  # a packed or slot job's stdout and stderr log files
Outcome = tuple[str, int, str | None, dict[str, Any]]   # state, exit code, reason, results
class LogStream(Protocol):
    """Where the runner says a line for the job's log: a binary file, or a stand-in that drops it."""
    def write(self, data: bytes, /) -> int: ...
    def flush(self) -> None: ...


SignalHandler = Union[Callable[[int, FrameType | None], Any], int, signal.Handlers, None]   # signal.getsignal's

KILL_GRACE_S = 10.0
PUMP_DRAIN_S = 5.0   # after the command's group is gone: what a process that escaped it still holds open
FORWARDED_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)


class CommandRunner:
    """The callable submitit pickles; one call runs one attempt of one job."""

    def __call__(self, spec: RunSpec) -> dict[str, Any]:
        import submitit

        os.umask(0o077)  # manifests and result files are the user's alone
        job_env = submitit.JobEnvironment()
        folder = Path(job_env.paths.folder)
        stdout_path = Path(str(job_env.paths.stdout).replace("%t", str(job_env.global_rank)))
        restart = restart_count()
        if restart:   # Slurm requeued the job: this run is the attempt after the one its manifest holds
            set_aside(folder, [stdout_path, _stderr_of(stdout_path), order_file(stdout_path)], restart)
            spec = dataclasses.replace(spec, manifest={**spec.manifest, "attempt": spec.manifest.get("attempt", 1)
                                                       + restart, "restart": restart})
        state, code, reason, results = run_attempt(spec, folder, str(job_env.job_id), stdout_path,
                                                   task=(job_env.global_rank, job_env.num_tasks))
        if state != "COMPLETED":
            # SystemExit passes through submitit's `except Exception`: the task exits with the
            # command's own code (what sacct shows), and the log gets one line, not a traceback.
            print(f"snaptui: job {state.lower()}: {reason}", file=sys.stderr, flush=True)
            raise SystemExit(code if code and code > 0 else 128 + abs(code or 15))
        return {"exit_code": code, "results": results}


CANCEL_MARKER = "snaptui_cancel"  # a packed job asked to stop: its siblings in the task run on


def run_attempt_to_logs(spec: RunSpec, folder: Path, executor_id: str) -> Outcome:
    """run_attempt outside submitit's own task (a packed job, a local slot worker): the command's output
    is appended to the log files submitit would name, so readers find them alike, and a job that did
    not complete ends its stderr with one line saying why."""
    out_path, err_path = log_files(folder, executor_id)
    with open(out_path, "ab") as out, open(err_path, "ab") as err:
        outcome = run_attempt(spec, folder, executor_id, out_path, (out, err))
        state, _, reason, _ = outcome
        if state not in ("COMPLETED", "CANCELLED"):
            err.write(f"snaptui: job {state.lower()}: {reason}\n".encode())
    return outcome


def run_attempt(spec: RunSpec, folder: Path, executor_id: str, stdout_path: Path,
                streams: Streams | None = None, task: tuple[int, int] = (0, 1)) -> Outcome:
    """Run one attempt's command to its end and write its manifest in `folder`.

    `streams` (stdout, stderr files) are given when several jobs share one task (packing);
    otherwise the command writes to the task's own output. `task` is (rank, number of tasks): several
    tasks (srun with tasks_per_node/nodes > 1) fold their reports into one manifest (taskreport.py).
    Returns state, exit code, reason, results."""
    result_path = folder / RESULT_NAME
    cancel_path = folder / CANCEL_MARKER
    manifest = dict(spec.manifest)
    manifest.update(executor_id=executor_id, host=os.environ.get("SLURMD_NODENAME") or socket.gethostname(),
                    state="RUNNING", started_at=time.time(), argv=spec.argv, cwd=spec.cwd, log_dir=str(folder),
                    runner={"pid": os.getpid(), "ctime": start_time(os.getpid())})
    env = command_environment(spec.env, {**task_scheduler_vars(os.environ, spec.scheduler),
                                         **(spec.bound_env or {})}, spec.user_env or {})
    env.update(job_variables(folder, manifest))
    report = Reporter(folder, manifest, rank=task[0], ntasks=task[1])
    if streams is not None and cancel_path.exists():
        report.update(state="CANCELLED", exit_code=None, ended_at=time.time(), reason="cancelled")
        return "CANCELLED", 0, "cancelled", {}
    # The manifest is first written once the command runs, with its identity: a write before, with nothing
    # the agent could act on, cost an ext4 rename-over (a flush) per job, ~3-5 ms at load 7.
    sys.stdout.flush()
    sys.stderr.flush()
    out, err = streams if streams is not None else (None, None)
    spared = children() if become_subreaper() else None  # what this process ran before the job is not the job's
    for stream in (out, err):
        if stream is not None:
            stream.flush()   # the pump writes to the descriptor: nothing may wait in a buffer before it
    targets = (out.fileno(), err.fileno()) if out is not None and err is not None \
        else (sys.stdout.fileno(), sys.stderr.fileno())
    pump = LogPump(targets, order_file(stdout_path))   # the two logs, and the order they were written in
    pipes = pump.start()
    if spared is not None and pump.pid is not None:
        spared.add(pump.pid)   # ours, not the job's: it ends when the pipes do (joined below)
    warm, cold_why = _warm_start(spec, env, pipes, err) if spec.preload else (None, None)
    try:
        child: Child = warm or _start_command(spec, env, pipes)
    except OSError as exc:
        _close(pipes)
        pump.join(PUMP_DRAIN_S)
        _say(err, f"snaptui: cannot start {spec.argv[0]!r}: {exc.strerror or exc}")
        report.update(state="FAILED", exit_code=127, ended_at=time.time(), reason=f"cannot start: {exc}")
        return "FAILED", 127, f"cannot start: {exc}", {}
    _close(pipes)   # the command holds them now: the pipes end when it and its descendants are gone
    started = {"warm": {"forked": warm is not None, "preload": spec.preload, "why_not": cold_why}} \
        if spec.preload else {}
    report.update(command={"pid": child.pid, "pgid": child.pid, "ctime": start_time(child.pid),
                           "pump": pump.pid, **started})
    sampler = UsageSampler(child.pid, env)
    received: list[int] = []

    def forward(signum: int, _frame: FrameType | None) -> None:
        received.append(signum)
        _signal_group(child.pid, signum)

    for sig in FORWARDED_SIGNALS:
        signal.signal(sig, forward)
    submitit_warning = _original_usr2()

    out_of_requeues: list[str] = []

    def warn(signum: int, frame: FrameType | None) -> None:
        # Slurm's "time is almost up" (submitit's --signal=USR2@N). Only when requeueing was
        # asked for does submitit's handler requeue and exit; otherwise the job runs on.
        if spec.requeue_on_timeout and callable(submitit_warning):
            _stop_group(child)
            # what this attempt was, before submitit requeues it (and exits) or gives up: the next run is
            # another attempt, and this one timed out
            report.update(state="TIMEOUT", exit_code=None, ended_at=time.time(), reason="time limit reached",
                          requeued=True)
            try:
                submitit_warning(signum, frame)
            except Exception as exc:  # noqa: BLE001 - submitit's "not requeued: timed-out too many times"
                out_of_requeues.append(str(exc))   # this attempt timed out for good: reported as such below

    signal.signal(signal.SIGUSR2, _OurWarning(warn))
    cancelled = False
    try:
        timed_out, cancelled = _wait(child, spec.timeout_s, cancel_path if streams is not None else None)
        if timed_out and spec.timeout_s is not None:
            _say(err, f"snaptui: timeout after {spec.timeout_s / 60:g} min, stopping the job")
        if timed_out or cancelled:
            _stop_group(child)
    finally:
        if child.poll() is None:  # interrupted (requeue, error): never leave the command behind
            _stop_group(child)
    code = child.returncode
    assert code is not None   # reaped: it exited (_wait) or was stopped (_stop_group)
    _signal_group(child.pid, signal.SIGKILL)  # leftovers the command spawned and did not reap
    if spared is not None:
        end_adopted(spared)  # and those that left its group (setsid daemons): adopted by us, ended (subreaper.py)
    pump.join(PUMP_DRAIN_S)   # the pipes end once all that held them is gone
    landed = land_outputs(spec.landing, env.get("SNAPTUI_UMASK"), err)
    usage = {**sampler.stop(), **(spec.manifest.get("asked") or {})}
    results, problem = read_result_file(result_path)
    results = {**scan_log(stdout_path, spec.result_pattern), **results}
    timed_out = timed_out or bool(out_of_requeues)
    state = "CANCELLED" if cancelled else "TIMEOUT" if timed_out else "COMPLETED" if code == 0 else "FAILED"
    reason = ("cancelled" if cancelled else (out_of_requeues or ["timed out"])[0] if timed_out else None
              if code == 0 else f"killed by signal {-code}" if code < 0 else f"exit code {code}")
    error_line = last_error_line(_stderr_of(stdout_path)) if state == "FAILED" else None
    report.update(state=state, exit_code=code, ended_at=time.time(), results=results,
                  reason=reason, signals=received, result_problem=problem, error_line=error_line, usage=usage,
                  **({"requeued": False} if out_of_requeues else {}), **landed)
    return state, code, reason, results


def _start_command(spec: RunSpec, env: dict[str, str], pipes: tuple[int, int]) -> subprocess.Popen[bytes]:
    """The command as a fresh process, started by vfork and exec: no Python runs in the child (a preexec_fn
    forced a fork of the runner's whole address space, ~10 ms of a no-op job). What _prepare_command does in
    a forked child is done so: the umask by Popen, and SIGUSR2 ignored across exec by ignoring it here for the
    instant of the start (the runner's own handler is set right after)."""
    umask = env.get("SNAPTUI_UMASK")
    previous = signal.signal(signal.SIGUSR2, signal.SIG_IGN)
    try:
        # stdin: /dev/null, not the runner's (a local slot's is the agent's request pipe)
        return subprocess.Popen(spec.argv, cwd=spec.cwd, env=env, start_new_session=True, stdin=subprocess.DEVNULL,
                                stdout=pipes[0], stderr=pipes[1], umask=int(umask, 8) if umask else -1)
    finally:
        signal.signal(signal.SIGUSR2, previous if previous is not None else signal.SIG_DFL)


def _warm_start(spec: RunSpec, env: dict[str, str], pipes: tuple[int, int], err: IO[bytes] | None
                ) -> tuple[WarmChild | None, str | None]:
    """The job forked from this warm worker (jobside/warm.py), or None (said in its log) for a fresh process."""
    from . import warm

    roots = [spec.cwd, *((spec.landing or {}).get(k) for k in ("repo", "worktree")), spec.manifest.get("repo")]
    why = warm.unsafe_reason(spec.argv, env, spec.cwd, list(spec.preload or ()), [r for r in roots if r])
    if why is not None:
        _say(err, f"snaptui: started as a fresh process, not from the warm slot: {why}")
        return None, why
    return warm.start(spec.argv, spec.cwd, env, pipes, _prepare_command(env.get("SNAPTUI_UMASK")),
                      FORWARDED_SIGNALS), None


def land_outputs(landing: dict[str, Any] | None, umask: str | None, err: LogStream | None = None) -> dict[str, Any]:
    """Put what the job wrote in its worktree into the repository before the job is reported ended
    (engine/landing). A failure is said in the job's log and its manifest; the job's own state stands."""
    if not landing:
        return {}
    try:
        done = land(Path(landing["worktree"]), Path(landing["repo"]), landing["sweep"],
                    umask=int(umask, 8) if umask else None)
    except Exception as exc:  # noqa: BLE001 - never lose the job's state to a landing problem; gc lands it later
        _say(err, f"snaptui: could not put what the job wrote into the repository: {exc}")
        return {"landing": {"problem": str(exc)}}
    for note in done.kept_notes():
        _say(err, f"snaptui: {note}")
    for path, why in done.failed:
        _say(err, f"snaptui: {path} stays in the snapshot's worktree: {why}")
    return {"landing": done.to_dict()}


def _close(fds: tuple[int, int]) -> None:
    for fd in fds:
        os.close(fd)


def _stderr_of(stdout_path: Path) -> Path:
    """The stderr beside a stdout submitit named (`..._log.out` -> `..._log.err`)."""
    name = stdout_path.name
    return stdout_path.with_name(name[:-4] + ".err") if name.endswith(".out") else stdout_path


def _say(stream: LogStream | None, text: str) -> None:
    """A line for the job's stderr: the task's own, or a packed/worker job's log file (binary)."""
    if stream is None:
        print(text, file=sys.stderr, flush=True)
    else:
        stream.write(text.encode() + b"\n")
        stream.flush()


class _OurWarning:
    """Our USR2 handler for one attempt, told apart by its type from submitit's (_original_usr2)."""

    def __init__(self, warn: Callable[[int, FrameType | None], None]) -> None:
        self.warn = warn

    def __call__(self, signum: int, frame: FrameType | None) -> None:
        self.warn(signum, frame)


_saved_usr2: SignalHandler = None   # submitit's, as found before one of ours replaced it


def _original_usr2() -> SignalHandler:
    """submitit's USR2 handler, not one of ours left by an earlier job of the same task."""
    global _saved_usr2
    handler = signal.getsignal(signal.SIGUSR2)
    if isinstance(handler, _OurWarning):
        return _saved_usr2
    _saved_usr2 = handler
    return handler


class RequeueableRunner(CommandRunner):
    """A runner submitit may requeue after a timeout warning: the attempt restarts the command."""

    def checkpoint(self, spec: RunSpec) -> submitit.helpers.DelayedSubmission:
        import submitit

        return submitit.helpers.DelayedSubmission(self, spec)


def _prepare_command(umask: str | None) -> Callable[[], None]:
    """What runs in the command's process before exec.

    Slurm sends submitit's USR2 warning to every process of the step, and USR2 kills a program
    that does not handle it: ignored, it stays ignored across exec, while a program that wants the
    warning (to checkpoint) can still install a handler. The launching shell's umask comes back,
    since snaptui's own files were made private."""
    mask = int(umask, 8) if umask else None

    def prepare() -> None:
        signal.signal(signal.SIGUSR2, signal.SIG_IGN)
        if mask is not None:
            os.umask(mask)

    return prepare


def _wait(child: Child, timeout_s: float | None, cancel_path: Path | None = None) -> tuple[bool, bool]:
    """Wait for the command: (ran out of time, asked to cancel). Loops so forwarded signals are
    handled, and looks for a packed job's cancel marker once a second."""
    deadline = None if timeout_s is None else time.monotonic() + timeout_s
    with exit_event(child.pid) as exited:
        while True:
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                return True, False
            try:
                exited(min(left, 1.0) if left is not None else 1.0)
                child.wait(timeout=min(left, 1.0) if left is not None else 1.0)
                return False, False
            except subprocess.TimeoutExpired:
                if cancel_path is not None and cancel_path.exists():
                    return False, True
                continue


def _signal_group(pgid: int, signum: int) -> None:
    try:
        os.killpg(pgid, signum)
    except (ProcessLookupError, PermissionError):
        pass


def _stop_group(child: Child) -> None:
    _signal_group(child.pid, signal.SIGTERM)
    try:
        child.wait(timeout=KILL_GRACE_S)
    except subprocess.TimeoutExpired:
        _signal_group(child.pid, signal.SIGKILL)
        child.wait()
