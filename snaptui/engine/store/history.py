"""What outlives the database: the highest sweep id ever issued and each sweep's launch record.

The store (state.db) can be lost: deleted, truncated, overwritten, damaged. Were a new, empty one
then made in its place, a running sweep would vanish from every view, the next launch would be
sweep 1 again (overwriting whatever jobs keyed on SNAPTUI_SWEEP_ID wrote) and its snapshot would
become an orphan. So, beside the database and never inside it:

- ``history.json`` in the state folder, and a copy in the repository's git folder (which survives
  ``rm -rf .snaptui``): the highest sweep id issued. An id is reserved here *before* the sweep row
  is written, so no id is ever issued twice, even across a rebuilt store.
- ``sweeps/<id>.json``: each sweep's launch facts (spec, config, snapshot, code folder, environment,
  status), enough with the job folders' manifests to rebuild its jobs and attempts
  (``snaptui recover --rebuild``, verbs/rebuild.py).
- ``sweeps/<id>.cancelled``: jobs cancelled before they started (they have no job folder to say so).
- ``sweeps/<id>.notes``: what the user should hear about a sweep that is no job's state (a snapshot
  worktree a job damaged and the agent restored), shown by `snaptui status`.

A store that is missing or empty where this history says sweeps were launched is refused (see
``evidence``), never silently replaced.
"""
from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

from snaptui.engine.atomic import write_atomic

HISTORY_NAME = "history.json"
GIT_HISTORY_NAME = "snaptui-history.json"
RECORDS_DIRNAME = "sweeps"
JOB_FOLDERS_DIRNAME = ".submitit"  # executors/base.py's SUBMITIT_DIRNAME, where job folders live


def git_dir_of(project: Path) -> Path | None:
    """The project's own git folder (a linked worktree's is under the main one), read without git."""
    dot_git = project / ".git"
    if dot_git.is_dir():
        return dot_git
    try:
        text = dot_git.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    if not text.startswith("gitdir:"):
        return None
    target = Path(text[len("gitdir:"):].strip())
    target = target if target.is_absolute() else project / target
    return target if target.is_dir() else None


class History:
    def __init__(self, state_dir: Path) -> None:
        self.state_dir = Path(state_dir)
        self.project = self.state_dir.parent

    # -- the highest id issued ------------------------------------------------------------------
    def _marker_paths(self) -> list[Path]:
        paths = [self.state_dir / HISTORY_NAME]
        git_dir = git_dir_of(self.project)
        if git_dir is not None:
            paths.append(git_dir / GIT_HISTORY_NAME)
        return paths

    def last_sweep_id(self) -> int:
        """The highest sweep id any marker or record remembers (0: none)."""
        last = 0
        for path in self._marker_paths():
            try:
                last = max(last, int(json.loads(path.read_text(encoding="utf-8"))["last_sweep_id"]))
            except (OSError, ValueError, KeyError, TypeError):
                continue
        return max(last, *self.record_ids(), 0)

    def reserve(self, sweep_id: int) -> None:
        """Remember that `sweep_id` was issued (before its row is written: an id is never issued twice)."""
        data = (json.dumps({"last_sweep_id": sweep_id, "note": "written by snaptui: the highest sweep id issued "
                            "in this repository, kept outside .snaptui/state.db"}) + "\n").encode()
        self.state_dir.mkdir(mode=0o700, exist_ok=True)
        write_atomic(self.state_dir / HISTORY_NAME, data)
        git_dir = git_dir_of(self.project)
        if git_dir is not None:
            try:
                write_atomic(git_dir / GIT_HISTORY_NAME, data)
            except OSError:
                pass  # a read-only git folder: the marker beside the store still holds

    def ensure_marker(self, last_id: int) -> None:
        """A store written before markers existed gets them on first open (one stat when they exist)."""
        if last_id and not (self.state_dir / HISTORY_NAME).exists():
            try:
                self.reserve(max(last_id, self.last_sweep_id()))
            except OSError:
                pass

    # -- each sweep's record --------------------------------------------------------------------
    @property
    def records_dir(self) -> Path:
        return self.state_dir / RECORDS_DIRNAME

    def record_ids(self) -> list[int]:
        try:
            names = os.listdir(self.records_dir)
        except OSError:
            return []
        return [int(n[:-5]) for n in names if n.endswith(".json") and n[:-5].isdigit()]

    def write_record(self, sweep_id: int, record: dict[str, Any]) -> None:
        self.records_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        write_atomic(self.records_dir / f"{sweep_id}.json",
                     (json.dumps(record, sort_keys=True, default=str) + "\n").encode())

    def update_record(self, sweep_id: int, **fields: Any) -> None:
        record = self.record(sweep_id)
        if record is not None:
            self.write_record(sweep_id, {**record, **fields})

    def record(self, sweep_id: int) -> dict[str, Any] | None:
        try:
            found = json.loads((self.records_dir / f"{sweep_id}.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return found if isinstance(found, dict) else None

    def forget(self, sweep_id: int) -> None:
        """A launch rolled back: its record goes (its id stays issued)."""
        for suffix in (".json", ".cancelled", ".notes"):
            (self.records_dir / f"{sweep_id}{suffix}").unlink(missing_ok=True)

    def note_cancelled(self, sweep_id: int, jobs: list[tuple[int, int]]) -> None:
        """(job index, attempt number) of attempts cancelled before they started, in one append."""
        self.records_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        with open(self.records_dir / f"{sweep_id}.cancelled", "a", encoding="utf-8") as handle:
            handle.write("".join(f"{job_index} {attempt}\n" for job_index, attempt in jobs))

    def cancelled(self, sweep_id: int) -> set[tuple[int, int]]:
        try:
            lines = (self.records_dir / f"{sweep_id}.cancelled").read_text(encoding="utf-8").split("\n")
        except OSError:
            return set()
        return {(int(a), int(b)) for a, b in (line.split() for line in lines if line.strip())}

    def note(self, sweep_id: int, text: str) -> None:
        """Something the user should hear about a sweep that is no job's state (status shows it)."""
        self.records_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        with open(self.records_dir / f"{sweep_id}.notes", "a", encoding="utf-8") as handle:
            handle.write(json.dumps({"at": time.time(), "text": text}) + "\n")

    def notes(self, sweep_id: int) -> list[dict[str, Any]]:
        try:
            lines = (self.records_dir / f"{sweep_id}.notes").read_text(encoding="utf-8").splitlines()
        except OSError:
            return []
        found = []
        for line in lines:
            try:
                found.append(json.loads(line))
            except ValueError:
                continue
        return found

    # -- is a missing store a lost one? --------------------------------------------------------
    def evidence(self) -> str | None:
        """Why this project has had sweeps (so a missing or empty store was lost), or None for a new one."""
        last = self.last_sweep_id()
        if last:
            return f"sweeps up to {last} were launched here"
        folders = self.project / JOB_FOLDERS_DIRNAME
        try:
            with os.scandir(folders) as entries:
                for entry in entries:
                    if os.path.exists(os.path.join(entry.path, "snaptui_manifest.json")):
                        return f"job folders of earlier sweeps are in {folders}"
        except OSError:
            pass
        return None
