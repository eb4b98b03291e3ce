"""Commands whose slot worker died under them (killed, out of memory): their end is still recorded.

A job's command runs in its own session, so it lives on when its worker is killed; before, nobody
saw its exit code and a job that succeeded was recorded FAILED ("ended without reporting"). The
agent is a child subreaper (jobside/subreaper.py): the orphaned command is re-parented to it, so
the agent can wait for it as its parent would, and it writes the job's end into the manifest as the
worker would have (state from the exit code, results from the result file and the log, and what the job
wrote in its worktree put into the repository), then ends whatever the job left running. The manifest
then reaches the store the usual way.

If the agent itself is gone by then, the command is re-parented further up and its exit status is
lost: the job is then recorded as having ended without a report, as before.
"""
from __future__ import annotations

from typing import Any, Callable

import io
import logging
import os
import signal
import time
from pathlib import Path

from snaptui.engine.jobside.joblogs import log_files
from snaptui.engine.jobside.manifest import MANIFEST_NAME, RESULT_NAME, read_manifest, write_json_atomic
from snaptui.engine.jobside.results import read_result_file, scan_log
from snaptui.engine.procs import is_alive, wait_for_exit

log = logging.getLogger("snaptui.local")
NEVER_MATCHES = r"(?!)(.)(.)"  # no result pattern recorded: only SNAPTUI_RESULT lines count
PUMP_DRAIN_S = 2.0   # a daemon that escaped the command and holds its pipes: ended after this
WORKER_LOST = "its snaptui worker died while it ran; the agent saw the command end and recorded it"


class OrphanedCommands:
    def __init__(self, root: Path, sweep_env: Callable[[int], dict[str, str]]):
        self.root = Path(root)
        self.sweep_env = sweep_env   # the environment a sweep's jobs get (for the user's umask at launch)
        self.watched: dict[str, dict[str, Any]] = {}  # executor id -> the command's identity (pid, start time)

    def adopt(self, executor_id: str) -> None:
        manifest = read_manifest(self.root / executor_id) or {}
        command = manifest.get("command")
        if manifest.get("ended_at") is None and command and command.get("pid"):  # running, or ended unreaped
            log.warning("the worker running %s died; waiting for its command (pid %s) to record its end",
                        executor_id, command["pid"])
            self.watched[executor_id] = command

    def watching(self, executor_id: str | None) -> bool:
        return executor_id in self.watched

    def collect(self, spared: set[int]) -> None:
        """Record the end of every watched command that has exited; `spared`: the agent's own children
        (its workers), never ended here."""
        for executor_id, command in list(self.watched.items()):
            try:
                pid, status = os.waitpid(command["pid"], os.WNOHANG)
            except ChildProcessError:  # not re-parented to us: liveness decides, as before
                if not is_alive(command):
                    del self.watched[executor_id]
                continue
            if pid == 0:
                continue
            del self.watched[executor_id]
            self._finish(executor_id, command, os.waitstatus_to_exitcode(status),
                         spared | {c["pid"] for c in self.watched.values()})

    def _finish(self, executor_id: str, command: dict[str, Any], code: int, spared: set[int]) -> None:
        from snaptui.engine.jobside.subreaper import end_adopted   # the agent's alone: a launch never needs it

        try:
            os.killpg(command["pgid"], signal.SIGKILL)  # what the command left in its group
        except (ProcessLookupError, PermissionError, KeyError):
            pass
        if command.get("pump"):   # the worker's log pump, re-parented to us too: let it copy the log's end
            wait_for_exit(command["pump"], PUMP_DRAIN_S)
        end_adopted(spared)  # and what left the group, re-parented to the agent with it
        folder = self.root / executor_id
        manifest = read_manifest(folder) or {}
        pattern = ((manifest.get("config") or {}).get("results") or {}).get("pattern") or NEVER_MATCHES
        results, problem = read_result_file(folder / RESULT_NAME)
        stdout, stderr = log_files(folder, executor_id)
        results = {**scan_log(stdout, pattern), **results}
        landed = self._land(manifest, stderr)
        failed = None if code == 0 else f"killed by signal {-code}" if code < 0 else f"exit code {code}"
        manifest.update(state="COMPLETED" if code == 0 else "FAILED", exit_code=code, ended_at=time.time(),
                        results=results, result_problem=problem, reason=failed, note=WORKER_LOST, **landed)
        try:
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            write_json_atomic(folder / MANIFEST_NAME, manifest)
        except OSError as exc:
            log.error("could not record the end of %s (exit %s): %s", executor_id, code, exc)

    def _land(self, manifest: dict[str, Any], stderr: Path) -> dict[str, Any]:
        """What the job wrote in its worktree, put into the repository as its worker would have (runner.py)
        before its end is recorded; the notes go to the end of its stderr log, where the worker writes them."""
        worktree = (manifest.get("snapshot") or {}).get("worktree")
        if not worktree or not manifest.get("repo") or manifest.get("sweep_id") is None:
            return {}
        from snaptui.engine.jobside.runner import land_outputs   # the job side's: not imported by a launch

        landing = {"worktree": worktree, "repo": manifest["repo"], "sweep": manifest["sweep_id"]}
        umask = self.sweep_env(int(manifest["sweep_id"])).get("SNAPTUI_UMASK")
        try:
            with open(stderr, "ab") as err:
                return land_outputs(landing, umask, err)
        except OSError:   # no log to write to: the manifest's landing record still says what happened
            return land_outputs(landing, umask, io.BytesIO())

