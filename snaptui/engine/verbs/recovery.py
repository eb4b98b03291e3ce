"""Launches interrupted part-way (the launching process killed): find them, finish or undo them.

A launch is recorded as 'launching' before anything else happens, with the launching
process's identity and a uid that also names the snapshot branch and tags the Slurm
jobs. When that process is gone and the record still says 'launching', the launch was
interrupted: every later snaptui process reports it, and `snaptui recover` either
finishes it (adopting jobs that were already submitted) or undoes it, leaving no
branch, worktree or job behind; files a job already wrote into the worktree move back into
the repository first (or that worktree and its branch stay, named), as in `snapshots gc`.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from snaptui.engine.errors import SnaptuiError
from snaptui.engine.snapshot.joboutputs import retire_worktree
from snaptui.engine.models import Sweep
from snaptui.engine.procs import is_alive
from snaptui.engine.snapshot.snapshots import delete_branch
from snaptui.engine.config.settings import stored_config
from snaptui.engine.gitrepo import git_for, list_worktrees, run

def interrupted_launches(engine: Any) -> list[Sweep]:
    return [s for s in engine.store.sweeps(statuses=("launching",)) if not is_alive(s.launcher)]


def describe(sweep: Sweep) -> str:
    code = f"snapshot {sweep.snapshot['branch']}" if sweep.snapshot else "no snapshot recorded yet"
    return (f"sweep {sweep.id} ({sweep.name}) was interrupted while launching ({code}, "
            f"{sweep.total} jobs): `snaptui recover {sweep.id}` finishes it, "
            f"`snaptui recover {sweep.id} --abort` removes it")


def _orphan_branches(engine: Any, uid: str) -> list[str]:
    prefix = engine.project.snapshot.branch_prefix
    out = run(git_for(engine.repo_root), "for-each-ref", "--format=%(refname:short)",
              f"refs/heads/{prefix}/")[1]
    return [b for b in out.split() if b.endswith(f"-{uid}")]


def abort(engine: Any, sweep: Sweep) -> list[str]:
    """Undo an interrupted launch: stop its jobs, remove its snapshot, forget the record."""
    done = []
    from snaptui.engine.executors import executor_for

    executor = executor_for(sweep.executor, engine.store, engine.repo_root)
    submitted = [a for a in engine.store.active_attempts(sweep_id=sweep.id, launched_only=False) if a.executor_id]
    if submitted:
        engine.store.request_cancel([a.id for a in submitted])
        submitted = [engine.store.attempt(a.id) for a in submitted]
    done += executor.abort_interrupted(sweep, submitted)  # raises, leaving everything, if unsure
    used_elsewhere = sweep.snapshot and any(
        s.snapshot and s.snapshot["branch"] == sweep.snapshot["branch"] and s.id != sweep.id
        for s in engine.store.sweeps(statuses=("active", "launching")))
    # What jobs wrote into a worktree moves back into the repository first, or the worktree stays.
    if sweep.snapshot and not used_elsewhere:
        done += _discard(engine, sweep.snapshot["branch"], [Path(sweep.snapshot["worktree"])])
    for branch in _orphan_branches(engine, sweep.uid) if sweep.uid and not sweep.snapshot else []:
        done += _discard(engine, branch, [e.path for e in list_worktrees(engine.repo_root)
                                          if e.snapshot_branch == branch])
    engine.store.delete_sweep(sweep.id)
    done.append(f"forgot sweep {sweep.id}")
    return done


def _discard(engine: Any, branch: str, worktrees: list[Path]) -> list[str]:
    """Remove a snapshot's worktrees and branch, as gc would: moved files and kept worktrees are reported."""
    lines, kept = [], False
    for worktree in worktrees:
        removed, notes = retire_worktree(engine.repo_root, worktree, branch)
        lines += notes
        kept = kept or not removed
    if not kept:
        delete_branch(engine.repo_root, branch)
        lines.append(f"removed snapshot {branch} and its worktree")
    return lines


def finish(engine: Any, sweep: Sweep) -> list[str]:
    """Complete an interrupted launch: adopt jobs already submitted, submit the rest."""
    from snaptui.engine import agent
    from snaptui.engine.executors import executor_for

    if sweep.snapshot is None and stored_config(sweep.config).snapshot.enabled:
        raise SnaptuiError(f"sweep {sweep.id} was interrupted before its snapshot was recorded, so the code it "
                           f"was meant to run is unknown; `snaptui recover {sweep.id} --abort` removes it")
    done = []
    pending = [a for a in engine.store.active_attempts(sweep_id=sweep.id, launched_only=False) if not a.executor_id]
    executor = executor_for(sweep.executor, engine.store, engine.repo_root)
    adopted, pending = executor.adopt_interrupted(sweep, pending)
    done += adopted
    if pending and executor.hand_over(sweep, [a.id for a in pending]):
        done.append(f"submitted {len(pending)} job(s)")
    engine.store.set_sweep_status(sweep.id, "active")
    agent.ensure_agent(engine.repo_root)
    done.append(f"sweep {sweep.id} is active")
    return done
