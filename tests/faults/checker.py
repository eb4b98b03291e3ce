"""Measures what a fault left behind, instead of assuming "none".

Taken before and after each fault test (tests/faults/conftest.py), it compares:
- the user's repository: HEAD, branch, index entries, stash list, a hash of every file outside
  `.git` and `.snaptui` (result files under `.submitit`/`outputs` included): changed or gone is "lost";
- snaptui's snapshot branches and worktrees against the sweeps the store records (a record whose
  branch is gone is "lost", a branch or worktree no record knows is an orphan);
- temp indexes (`snaptui-index-*` in the test's own TMPDIR), `tmp_obj_*`/`tmp_*` files in
  `.git/objects` and `*.lock` files in `.git`;
- processes: job processes (found by the SNAPTUI_REPO their environment carries) and local
  controllers whose attempt is final or unknown, and agents other than the recorded one;
- Slurm jobs of this test (their batch script lies under the test's folder) still queued or
  running that no attempt in the store knows;
- starts counted outside the repository: test jobs drop `run-<sweep>-<job>-<attempt>-<pid>.run` into the
  test's `marks/` folder; an attempt that ran twice, or ran although the store says it never started, is
  "lost" (states against what the jobs did);
- the store against what outlives it: a sweep with a launch record (`.snaptui/sweeps/<id>.json`) but no
  row is a lost store; a job folder whose manifest lacks its sweep, job or attempt is a lost job end.
A part it cannot look at is reported as "not measured: <what>", never as "none".
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import psutil

SKIP_DIRS = {".git", ".snaptui"}
FINAL = {"COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "OUT_OF_MEMORY", "NODE_FAIL"}
PROCESS_GRACE_S = 10.0  # a job that just ended may still be exiting; wait for that, not longer


@dataclass
class Findings:
    lost: list[str] = field(default_factory=list)
    orphans: list[str] = field(default_factory=list)
    lost_unmeasured: list[str] = field(default_factory=list)
    orphans_unmeasured: list[str] = field(default_factory=list)

    @staticmethod
    def column(items: list[str], unmeasured: list[str]) -> str:
        text = "; ".join(items[:4]) + (f" (+{len(items) - 4} more)" if len(items) > 4 else "")
        if unmeasured:
            gap = "not measured: " + ", ".join(unmeasured)
            return f"{text}; {gap}" if text else f"none found; {gap}"
        return text or "none"

    @property
    def lost_column(self) -> str:
        return self.column(self.lost, self.lost_unmeasured)

    @property
    def orphans_column(self) -> str:
        return self.column(self.orphans, self.orphans_unmeasured)


def _git(repo: Path, *args: str) -> tuple[int, str]:
    out = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True)
    return out.returncode, out.stdout


def _hash_files(repo: Path) -> dict[str, str]:
    hashes = {}
    for folder, dirs, files in os.walk(repo):
        if Path(folder) == repo:
            dirs[:] = [d for d in dirs if d not in SKIP_DIRS]
        for name in files + [d for d in dirs if os.path.islink(os.path.join(folder, d))]:
            path = os.path.join(folder, name)
            rel = os.path.relpath(path, repo)
            if os.path.islink(path):
                hashes[rel] = "link:" + os.readlink(path)
                continue
            digest = hashlib.sha256()
            try:
                with open(path, "rb") as handle:
                    for block in iter(lambda: handle.read(1 << 20), b""):
                        digest.update(block)
            except OSError:
                continue
            hashes[rel] = digest.hexdigest()
    return hashes


@dataclass
class RepoState:
    head: str
    branch: str
    index: str
    stash: str
    files: dict[str, str]

    @classmethod
    def read(cls, repo: Path) -> "RepoState":
        index = hashlib.sha256(_git(repo, "ls-files", "-s", "-z")[1].encode()).hexdigest()
        return cls(_git(repo, "rev-parse", "-q", "--verify", "HEAD")[1].strip(),
                   _git(repo, "symbolic-ref", "-q", "HEAD")[1].strip(), index,
                   _git(repo, "stash", "list")[1], _hash_files(repo))


def _store_rows(repo: Path) -> tuple[list[dict], list[dict]] | None:
    """(sweeps, attempts) read-only and without snaptui's code (a store refused to snaptui is still read)."""
    db = repo / ".snaptui" / "state.db"
    if not db.exists():
        return [], []
    try:
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)
        conn.row_factory = sqlite3.Row
        sweeps = [dict(r) for r in conn.execute("SELECT * FROM sweeps")]
        attempts = [dict(r) for r in conn.execute("SELECT * FROM attempts")]
        conn.close()
    except sqlite3.Error:
        return None
    return sweeps, attempts


class Checker:
    def __init__(self, repo: Path, tmpdir: Path, slurm: bool = False):
        self.repo = Path(repo).resolve()
        self.tmpdir = Path(tmpdir)
        self.slurm = slurm
        self.process_grace_s = PROCESS_GRACE_S
        self.before = RepoState.read(self.repo)

    def check(self) -> Findings:
        found = Findings()
        self._repo(found)
        rows = _store_rows(self.repo)
        if rows is None:
            found.lost_unmeasured.append("store unreadable")
            found.orphans_unmeasured.append("store unreadable")
            sweeps, attempts = [], []
        else:
            sweeps, attempts = rows
        self._snapshots(found, sweeps)
        self._temp_files(found)
        self._starts(found, attempts)
        self._records(found, sweeps)
        self._processes(found, attempts)
        if self.slurm:
            self._scheduler(found, attempts)
        return found

    def _repo(self, found: Findings) -> None:
        after = RepoState.read(self.repo)
        for name in ("head", "branch", "index", "stash"):
            if getattr(after, name) != getattr(self.before, name):
                found.lost.append(f"user's {name} changed")
        gone = sorted(set(self.before.files) - set(after.files))
        changed = sorted(p for p in self.before.files if p in after.files and after.files[p] != self.before.files[p])
        found.lost += [f"{p} gone" for p in gone] + [f"{p} modified" for p in changed]

    def _snapshots(self, found: Findings, sweeps: list[dict]) -> None:
        recorded = [(row["status"], json.loads(row["snapshot_json"])) for row in sweeps if row.get("snapshot_json")]
        snapshots = [snapshot for _, snapshot in recorded]
        known_branches = {s["branch"] for s in snapshots}
        known_worktrees = {os.path.realpath(s["worktree"]) for s in snapshots if s.get("worktree")}
        branches = set(_git(self.repo, "for-each-ref", "--format=%(refname:short)", "refs/heads/snaptui/")[1].split())
        found.orphans += [f"stray branch {b}" for b in sorted(branches - known_branches)]
        live = {snapshot["branch"] for status, snapshot in recorded if status in ("active", "launching")}
        found.lost += [f"snapshot branch {b} of a recorded sweep gone" for b in sorted(live - branches)]
        listing = _git(self.repo, "worktree", "list", "--porcelain")[1]
        paths = [line.split(" ", 1)[1] for line in listing.splitlines() if line.startswith("worktree ")]
        for path in paths[1:]:  # the first is the repository itself
            if os.path.realpath(path) not in known_worktrees:
                found.orphans.append(f"stray worktree {Path(path).name}")

    def _starts(self, found: Findings, attempts: list[dict]) -> None:
        marks = self.tmpdir.parent / "marks"
        runs: dict[tuple[str, str, str], int] = {}
        for path in marks.glob("run-*.run") if marks.is_dir() else ():
            parts = path.stem.split("-")
            if len(parts) == 5:
                key = tuple(parts[1:4])
                runs[key] = runs.get(key, 0) + 1
        by_key = {(str(a["sweep_id"]), str(a["job_idx"]), str(a["number"])): a for a in attempts}
        for key, count in sorted(runs.items()):
            ref = f"{key[0]}/{key[1]} attempt {key[2]}"
            if count > 1:
                found.lost.append(f"job {ref} ran {count} times")
            attempt = by_key.get(key)
            if attempt is not None and not attempt["claimed"] and attempt["executor_id"] is None:
                found.lost.append(f"job {ref} ran, but the store says it never started ({attempt['state']})")

    def _records(self, found: Findings, sweeps: list[dict]) -> None:
        records = self.repo / ".snaptui" / "sweeps"
        ids = {int(p.stem) for p in records.glob("*.json") if p.stem.isdigit()} if records.is_dir() else set()
        missing = sorted(ids - {row["id"] for row in sweeps})
        if missing:
            found.lost.append(f"store lacks launched sweeps {', '.join(map(str, missing[:5]))}")
        for manifest in sorted((self.repo / ".submitit").glob("*/snaptui_manifest.json")):
            try:
                data = json.loads(manifest.read_text())
            except (OSError, ValueError):
                continue
            if any(data.get(k) is None for k in ("sweep_id", "job_index", "attempt")):
                found.lost.append(f"job folder {manifest.parent.name}'s manifest lacks its ids")

    def _temp_files(self, found: Findings) -> None:
        found.orphans += [f"temp index {p.name}" for p in sorted(self.tmpdir.glob("snaptui-index-*"))]
        git_dir = Path(_git(self.repo, "rev-parse", "--absolute-git-dir")[1].strip())
        objects = git_dir / "objects"
        stray = [p for p in objects.rglob("tmp_obj_*")] + [p for p in (objects / "pack").glob("tmp_*")]
        stray += [p for p in git_dir.glob("*.lock")]
        found.orphans += [f"{p.relative_to(git_dir)} in .git" for p in sorted(stray)]

    def _processes(self, found: Findings, attempts: list[dict]) -> None:
        by_key = {(str(a["sweep_id"]), str(a["job_idx"]), str(a["number"])): a for a in attempts}
        suspects: list[tuple[psutil.Process, str]] = []
        unreadable = 0
        for proc in psutil.process_iter(["pid"]):
            if proc.pid == 1:
                continue  # init (this machine's PID 1 hides its environment) is never one of our jobs
            try:
                env = proc.environ()
            except psutil.AccessDenied:
                unreadable += 1
                continue
            except psutil.Error:
                continue
            if os.path.realpath(env.get("SNAPTUI_REPO", "/nonexistent")) != str(self.repo):
                continue
            key = (env.get("SNAPTUI_SWEEP_ID", ""), env.get("SNAPTUI_JOB_INDEX", ""), env.get("SNAPTUI_ATTEMPT", ""))
            attempt = by_key.get(key)
            if attempt is None or attempt["state"] in FINAL:
                suspects.append((proc, f"job process {proc.pid} of {'/'.join(key)}"))
        for attempt in attempts:
            controller = json.loads(attempt.get("proc_json") or "{}").get("controller") or {}
            if attempt["state"] in FINAL and controller.get("pid"):
                try:
                    proc = psutil.Process(controller["pid"])
                    if controller.get("ctime") is None or abs(proc.create_time() - controller["ctime"]) < 0.01:
                        suspects.append((proc, f"controller {proc.pid} of a finished attempt"))
                except psutil.Error:
                    pass
        from snaptui.engine.agent import agent_identity
        from tests.conftest import agent_processes

        recorded = agent_identity(self.repo)
        suspects += [(p, f"agent {p.pid} nobody recorded") for p in agent_processes(self.repo)
                     if not recorded or p.pid != recorded["pid"]]
        if suspects:  # wait for the exit of a process that is just ending, then count what is left
            _, alive = psutil.wait_procs([p for p, _ in suspects], timeout=self.process_grace_s)
            pids = {p.pid for p in alive if p.is_running() and p.status() != psutil.STATUS_ZOMBIE}
            found.orphans += [what for proc, what in suspects if proc.pid in pids]
        if unreadable:
            found.orphans_unmeasured.append(f"{unreadable} processes' environments")

    def _scheduler(self, found: Findings, attempts: list[dict]) -> None:
        if not shutil.which("squeue"):
            found.orphans_unmeasured.append("scheduler (no squeue)")
            return
        out = subprocess.run(["squeue", "--me", "-h", "-r", "-o", "%i|%k|%o"], capture_output=True, text=True)
        if out.returncode != 0:
            found.orphans_unmeasured.append(f"scheduler (squeue exit {out.returncode})")
            return
        known = {a["executor_id"] for a in attempts if a.get("executor_id")}
        ours = str(self.repo.parent)
        for line in out.stdout.splitlines():
            job_id, comment, script = (line.split("|") + ["", ""])[:3]
            if script.startswith(ours) and "snaptui:" in comment and job_id not in known:
                found.orphans.append(f"Slurm job {job_id} ({comment}) no record knows")
