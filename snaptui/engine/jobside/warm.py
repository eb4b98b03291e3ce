"""Warm slots: a job's `python script.py ...` (or `python -m module ...`) started as a fork of a slot
worker that has imported the modules `[local] preload` names, so a sweep pays for importing torch or
pandas once per slot, not once per job. (The Hydra launcher's jobs are `python -m`, and it names the
task's imports as the preload: hydra_plugins/snaptui_launcher/preload.py.)

Each job is still its own process: forked from the worker, it makes its own session and process group,
takes the job's cwd, environment, argv and umask, writes to its own log pipes, reads /dev/null, and runs
the script from the snapshot's worktree as `__main__` (runpy), so the snapshot's code is what runs and
an edit made after the launch is not seen. Whatever a job changes in its copy of the interpreter (a
module's globals, sys.path, the environment) dies with it: the next job is a new fork of the worker.

What breaks under fork, and so makes the job start as a fresh process instead (the reason goes to the
job's log and to its manifest, `command.warm`):
- a preload that starts Python threads at import (a monitoring thread, a thread pool): fork copies only
  the thread that forks, and a lock another thread held stays held in the child for ever. Native pools
  that libraries start at load (OpenBLAS under numpy) are not counted: they stop and restart around a
  fork (pthread_atfork), which is why numpy, and torch on its CPU, fork as multiprocessing forks them;
  a native library without such handlers is the case this check cannot see;
- CUDA initialised at import (torch.cuda): a forked child cannot use it;
- a preload that is the project's own code (it would come from the repository, not the snapshot);
- a preload that fails to import;
- a job whose `python` is another interpreter than the worker's (another virtualenv), or a command that
  is not `python script.py` or `python -m module` (`-c`, options before the script); a `-m` module of the
  project's own that the slot has loaded (it would not be the snapshot's).
A slot lives across sweeps while the agent does, so two more things retire it (it runs the job fresh, says
why, and exits after it; the agent starts a new slot for the next job):
- what its preload came from changed on disk (`pip install -U` between sweeps): each fork first stats the
  site-packages folders the preloaded packages are in (any install there changes their listing: the slot
  is also retired for an unrelated package's install, once) and the files of preloaded modules from
  elsewhere (PYTHONPATH, an editable install): a few stats a job, not one per module of torch;
- a later job asks for another preload while an earlier one left threads or CUDA in the slot: every fork
  from it would be unsafe. (The job that first finds them does not retire the slot: the next job, with the
  same preload, would import it into a new slot only to find them again.)
Sockets or files a preload opens at import are shared with every job (both ends see one connection);
interpreter settings fixed at start (PYTHONHASHSEED, -X options, PYTHONPATH's place in sys.path) are the
worker's, with the job's PYTHONPATH put before site-packages.
"""
from __future__ import annotations

import importlib
import os
import shutil
import signal
import subprocess
import sys
import sysconfig
import time
from typing import Callable, NoReturn

PYTHON_NAMES = ("python", "python3", f"python3.{sys.version_info.minor}")

_preloaded: dict[tuple[str, ...], str | None] = {}  # a preload list -> why it is unsafe to fork (None: safe)
Signature = tuple[int, int, int] | None   # a file's mtime, size and inode; None: no such file
_watched: dict[str, tuple[str, Signature]] = {}  # a file the preloaded code came from -> (what it is, its signature)
_spoiled_by: str | None = None   # why no fork from this slot is safe any more (threads or CUDA an import left)
retire_why: str | None = None    # set when this slot must take no other job: the worker exits after this one


class WarmChild:
    """A job forked from the worker: what the runner uses of a Popen (pid, poll, wait, returncode)."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        if timeout is None:
            _, status = os.waitpid(self.pid, 0)
            self.returncode = os.waitstatus_to_exitcode(status)
            return self.returncode
        deadline = time.monotonic() + timeout
        delay = 0.0005
        while self.poll() is None:
            left = deadline - time.monotonic()
            if left <= 0:
                raise subprocess.TimeoutExpired([str(self.pid)], timeout)
            time.sleep(min(delay, left))
            delay = min(delay * 2, 0.05)
        assert self.returncode is not None   # poll() set it
        return self.returncode


def unsafe_reason(argv: list[str], env: dict[str, str], cwd: str, preload: list[str],
                  project_paths: list[str]) -> str | None:
    """Why this job cannot start as a fork of a warm worker; None when it can (the preload is then loaded)."""
    if os.path.basename(argv[0]) not in PYTHON_NAMES or not (
            len(argv) >= 2 and argv[1].endswith(".py") or len(argv) >= 3 and argv[1] == "-m" and argv[2]):
        return "the command is not `python script.py ...` or `python -m module ...`"
    found = shutil.which(argv[0], path=env.get("PATH")) if os.sep not in argv[0] else os.path.join(cwd, argv[0])
    if not found or os.path.realpath(found) != os.path.realpath(sys.executable) or \
            os.path.realpath(os.path.dirname(found)) != os.path.realpath(os.path.dirname(sys.executable)):
        return f"the job's {argv[0]} ({found or 'not found'}) is not the slot's interpreter ({sys.executable})"
    roots = [os.path.realpath(p) for p in project_paths if p]
    if argv[1] == "-m":
        loaded = sys.modules.get(argv[2].split(".")[0])
        origin = getattr(loaded, "__file__", None) or ""
        if origin and _project_code(origin, roots):
            return f"module {argv[2]} was loaded by the slot from {origin}, not from the snapshot"
    elif not os.path.isfile(os.path.join(cwd, argv[1])):
        return f"no script {argv[1]} in {cwd}"
    return _preload(tuple(preload), roots)


def _preload(modules: tuple[str, ...], project_paths: list[str]) -> str | None:
    global retire_why, _spoiled_by
    changed = _changed_on_disk()
    if changed is not None:
        retire_why = f"{changed} changed on disk since this slot preloaded it: a new slot takes the next job"
        return retire_why
    if modules in _preloaded:
        return _preloaded[modules]
    if _spoiled_by is not None:
        retire_why = (f"an earlier preload of this slot left it unsafe to fork ({_spoiled_by}): "
                      "a new slot takes the next job")
        return retire_why
    reason = None
    loaded = set(sys.modules)
    saved = list(sys.path)
    sys.path[:] = [p for p in sys.path if p and not _project_code(p, project_paths)]
    try:
        for name in modules:
            try:
                module = importlib.import_module(name)
            except BaseException as exc:  # noqa: BLE001 - any failure of a user's module: said, then a fresh process
                if isinstance(exc, ModuleNotFoundError) and _in_project(name, project_paths):
                    reason = f"preload {name!r} is the project's own code: it must come from the snapshot"
                else:
                    reason = f"preloading {name!r} failed: {type(exc).__name__}: {exc}"
                break
            origin = getattr(module, "__file__", None) or ""
            if origin and _project_code(origin, project_paths):
                reason = f"preload {name!r} is the project's own code ({origin}): it must come from the snapshot"
                break
    finally:
        sys.path[:] = saved
        _watch(set(sys.modules) - loaded)
    if reason is None:
        import threading

        threads = [t.name for t in threading.enumerate() if t is not threading.main_thread()]
        if threads:
            reason = (f"importing {', '.join(modules)} started {len(threads)} thread(s) ({', '.join(threads[:3])}): "
                      "a fork copies none of them and a lock one held would stay held")
        elif _cuda_initialised():
            reason = "CUDA was initialised when the preload was imported: a forked job cannot use it"
        _spoiled_by = reason
    _preloaded[modules] = reason
    return reason


def _signature(path: str) -> Signature:
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return stat.st_mtime_ns, stat.st_size, stat.st_ino


def _changed_on_disk() -> str | None:
    """What of the slot's preloaded code is no longer what is on disk (None: all of it is)."""
    for path, (what, known) in _watched.items():
        if _signature(path) != known:
            return what if what.startswith("what is installed") else f"{what} ({path})"
    return None


def _watch(names: set[str]) -> None:
    """Remember what to stat before each fork for the modules a preload loaded. An installed package: the
    site-packages folder it is in, whose listing (so its mtime) changes with every install, upgrade or
    removal there (a new dist-info folder; one stat for all of torch). A module from elsewhere (PYTHONPATH,
    an editable install's sources): its own file. The standard library is left out."""
    stdlib = [os.path.realpath(sysconfig.get_paths()[k]) for k in ("stdlib", "platstdlib")]
    paths = [os.path.abspath(p) for p in sys.path if p and os.path.isdir(p)]
    entries = sorted({*paths, *map(os.path.realpath, paths)}, key=len, reverse=True)  # as given, and resolved
    stdlib += [os.path.abspath(sysconfig.get_paths()[k]) for k in ("stdlib", "platstdlib")]
    for name in names:
        origin = getattr(sys.modules.get(name), "__file__", None)
        if not isinstance(origin, str) or not os.path.isabs(origin):
            continue
        entry = next((e for e in entries if origin.startswith(e + os.sep)), None)
        if entry is not None and os.path.basename(entry) in ("site-packages", "dist-packages"):
            _watched.setdefault(entry, (f"what is installed in {entry}", _signature(entry)))
        elif not any(origin.startswith(root + os.sep) for root in stdlib):
            _watched.setdefault(origin, (f"module {name}", _signature(origin)))


def _in_project(name: str, project_paths: list[str]) -> bool:
    from importlib.machinery import PathFinder

    return PathFinder.find_spec(name.split(".")[0], project_paths) is not None


def _cuda_initialised() -> bool:
    torch = sys.modules.get("torch")
    try:
        return bool(torch is not None and torch.cuda.is_initialized())
    except Exception:  # noqa: BLE001 - a partial torch: treat as not initialised
        return False


def _project_code(path: str, roots: list[str]) -> bool:
    """Inside the project, and not in the interpreter's own folders (a virtualenv kept in the project)."""
    return any(_inside(path, root) for root in roots) and not _inside(path, os.path.realpath(sys.prefix))


def _inside(path: str, root: str) -> bool:
    path = os.path.realpath(path)
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def start(argv: list[str], cwd: str, env: dict[str, str], pipes: tuple[int, int],
          prepare: Callable[[], None], forwarded: tuple[int, ...]) -> WarmChild:
    """Fork the job from this (warm) worker; the child never returns here."""
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:
        _run_child(argv, cwd, env, pipes, prepare, forwarded)
    return WarmChild(pid)


def _run_child(argv: list[str], cwd: str, env: dict[str, str], pipes: tuple[int, int],
               prepare: Callable[[], None], forwarded: tuple[int, ...]) -> NoReturn:
    code = 1
    try:
        os.setsid()
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        os.dup2(pipes[0], 1)
        os.dup2(pipes[1], 2)
        for fd in (devnull, *pipes):
            os.close(fd)
        for signum in forwarded:
            signal.signal(signum, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        prepare()
        os.chdir(cwd)
        os.environ.clear()
        os.environ.update(env)
        if env.get("PYTHONUNBUFFERED"):
            for stream in (sys.stdout, sys.stderr):
                stream.reconfigure(write_through=True)  # type: ignore[union-attr]
        user_paths = [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]
        if argv[1] == "-m":  # as `python -m`: the working directory first, argv[0] the module's file (runpy)
            sys.path[:] = [os.getcwd(), *user_paths, *[p for p in sys.path[1:] if p]]
            sys.argv = ["-m", *argv[3:]]
            code = _run_main(lambda: _run_module(argv[2]))
        else:
            script = os.path.abspath(argv[1])
            sys.path[:] = [os.path.dirname(script), *user_paths, *[p for p in sys.path[1:] if p]]
            sys.argv = [argv[1], *argv[2:]]  # as given, as a fresh `python app.py` has it
            code = _run_main(lambda: _run_script(script))
    finally:
        os._exit(code)


def _run_script(script: str) -> None:
    """The script as a fresh interpreter runs it: a new `__main__` module, `__file__` absolute."""
    import builtins
    import io
    import types
    from importlib.machinery import SourceFileLoader

    main = types.ModuleType("__main__")
    main.__dict__.update(__file__=script, __builtins__=builtins, __loader__=SourceFileLoader("__main__", script),
                         __spec__=None, __cached__=None)
    sys.modules["__main__"] = main
    with io.open_code(script) as source:
        compiled = compile(source.read(), script, "exec")
    exec(compiled, main.__dict__)


def _run_module(name: str) -> None:
    """`python -m name`: the module found on the job's path (the snapshot's, for the project's own) run as
    `__main__`, with sys.argv[0] its file, as runpy does for a fresh interpreter."""
    import builtins
    import runpy
    import types

    main = types.ModuleType("__main__")   # a fresh namespace, not the slot worker's
    main.__dict__["__builtins__"] = builtins
    sys.modules["__main__"] = main
    runpy._run_module_as_main(name, alter_argv=True)  # type: ignore[attr-defined]  # what `python -m` calls


def _run_main(run: Callable[[], None]) -> int:
    """Run the job's main code and end as a fresh interpreter ends: its exit code, threads joined, atexit run."""
    import atexit
    import threading
    import traceback

    code = 0
    try:
        run()
    except SystemExit as exc:
        code = _exit_code(exc.code)
    except KeyboardInterrupt:
        traceback.print_exc()
        code = 128 + signal.SIGINT
    except BaseException:  # noqa: BLE001 - printed as a fresh interpreter prints it
        traceback.print_exc()
        code = 1
    try:
        threading._shutdown()  # type: ignore[attr-defined]  # as at a fresh interpreter's end: its threads finish
        atexit._run_exitfuncs()
        sys.stdout.flush()
        sys.stderr.flush()
    except BaseException:  # noqa: BLE001 - the job's code is what it is; its exit code stands
        pass
    return code


def _exit_code(value: object) -> int:
    if value is None:
        return 0
    if isinstance(value, int):
        return value & 0xFF
    print(value, file=sys.stderr)
    return 1
