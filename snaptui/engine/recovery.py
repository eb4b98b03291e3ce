"""Launches interrupted part-way (the launching process killed): find them, finish or undo them.

A launch is recorded as 'launching' before anything else happens, with the launching
process's identity and a uid that also names the snapshot branch and tags the Slurm
jobs. When that process is gone and the record still says 'launching', the launch was
interrupted: every later snaptui process reports it, and `snaptui recover` either
finishes it (adopting jobs that were already submitted) or undoes it, leaving no
branch, worktree or job behind.
"""
from __future__ import annotations

from .errors import SnaptuiError
from .models import Sweep
from .procs import is_alive
from .snapshot import Snapshot, delete_branch, discard_snapshot
from .worktrees import git_for, run


def interrupted_launches(engine) -> list[Sweep]:
    return [s for s in engine.store.sweeps(statuses=("launching",)) if not is_alive(s.launcher)]


def describe(sweep: Sweep) -> str:
    code = f"snapshot {sweep.snapshot['branch']}" if sweep.snapshot else "no snapshot recorded yet"
    return (f"sweep {sweep.id} ({sweep.name}) was interrupted while launching ({code}, "
            f"{sweep.total} jobs): `snaptui recover {sweep.id}` finishes it, "
            f"`snaptui recover {sweep.id} --abort` removes it")


def _orphan_branches(engine, uid: str) -> list[str]:
    prefix = engine.project.data["snapshot"]["branch_prefix"]
    out = run(git_for(engine.repo_root), "for-each-ref", "--format=%(refname:short)",
              f"refs/heads/{prefix}/")[1]
    return [b for b in out.split() if b.endswith(f"-{uid}")]


def abort(engine, sweep: Sweep) -> list[str]:
    """Undo an interrupted launch: stop its jobs, remove its snapshot, forget the record."""
    done = []
    from .executors import executor_for

    executor = executor_for(sweep.executor, engine.store, engine.repo_root)
    submitted = [a for a in engine.store.active_attempts(sweep_id=sweep.id, launched_only=False) if a.executor_id]
    if submitted:
        engine.store.request_cancel([a.id for a in submitted])
        submitted = [engine.store.attempt(a.id) for a in submitted]
    done += executor.abort_interrupted(sweep, submitted)  # raises, leaving everything, if unsure
    used_elsewhere = sweep.snapshot and any(
        s.snapshot and s.snapshot["branch"] == sweep.snapshot["branch"] and s.id != sweep.id
        for s in engine.store.sweeps(statuses=("active", "launching")))
    if sweep.snapshot and not used_elsewhere:
        discard_snapshot(engine.repo_root, Snapshot.from_dict(sweep.snapshot))
        done.append(f"removed snapshot {sweep.snapshot['branch']} and its worktree")
    for branch in _orphan_branches(engine, sweep.uid) if sweep.uid and not sweep.snapshot else []:
        _discard_branch_and_worktree(engine, branch)
        done.append(f"removed snapshot {branch} and its worktree")
    engine.store.delete_sweep(sweep.id)
    done.append(f"forgot sweep {sweep.id}")
    return done


def _discard_branch_and_worktree(engine, branch: str) -> None:
    from .worktrees import list_worktrees, remove_worktree

    for entry in list_worktrees(engine.repo_root):
        if entry.snapshot_branch == branch:
            remove_worktree(engine.repo_root, entry.path)
    delete_branch(engine.repo_root, branch)


def finish(engine, sweep: Sweep) -> list[str]:
    """Complete an interrupted launch: adopt jobs already submitted, submit the rest."""
    from . import agent
    from .executors import executor_for

    if sweep.snapshot is None and sweep.config["snapshot"]["enabled"]:
        raise SnaptuiError(f"sweep {sweep.id} was interrupted before its snapshot was recorded, so the code it "
                           f"was meant to run is unknown; `snaptui recover {sweep.id} --abort` removes it")
    done = []
    pending = [a for a in engine.store.active_attempts(sweep_id=sweep.id, launched_only=False) if not a.executor_id]
    executor = executor_for(sweep.executor, engine.store, engine.repo_root)
    adopted, pending = executor.adopt_interrupted(sweep, pending)
    done += adopted
    if pending and not executor.submits_from_agent:
        executor.submit(sweep, pending)
        done.append(f"submitted {len(pending)} job(s)")
    engine.store.set_sweep_status(sweep.id, "active")
    agent.ensure_agent(engine.repo_root)
    done.append(f"sweep {sweep.id} is active")
    return done
