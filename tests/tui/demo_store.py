"""A deterministic store for screenshots: fixed times, ids, nodes and logs, written through the store."""
from __future__ import annotations

import time
from pathlib import Path
from unittest import mock

from snaptui.engine.jobside.joblogs import log_files
from snaptui.engine.states import JobState

T0 = 1_700_000_000.0   # 2023-11-14 22:13:20 UTC
NOW = T0 + 2 * 3600 + 125

S = JobState


def _sweep(store, repo: Path, name: str, grid: dict, params: dict, created: float, snapshot: dict | None,
           profile: str = "local", executor: str = "local", zips: list | None = None,
           executor_options: dict | None = None) -> int:
    import itertools

    keys = list(grid)
    combos = [dict(zip(keys, c)) for c in itertools.product(*grid.values())]
    jobs = []
    for index, varying in enumerate(combos):
        label = ",".join(f"{k}={v}" for k, v in varying.items()) or "default"
        all_params = {**params, **varying}
        jobs.append((index, label, all_params, ["python", "train.py"] + [f"{k}={v}" for k, v in all_params.items()]))
    spec = {"name": name, "command": ["python", "train.py"], "override_style": "hydra", "profile": profile,
            "workdir": ".", "params": params, "grid": grid, "zip": zips or [], "env": {}, "path": None}
    config = {"profile": profile,   # the host's cap fixed: os.cpu_count() made the pending note machine-dependent
              "executor": {"executor": executor, "max_parallel_jobs": 4, **(executor_options or {})},
              "local": {"max_jobs": 8}}
    with mock.patch.object(time, "time", return_value=created):
        sweep_id = store.create_sweep(name=name, executor=executor, profile=profile, sweep_file=None, spec=spec,
                                      config=config, snapshot=snapshot, workdir=str(repo), env={}, jobs=jobs)
    store.set_sweep_status(sweep_id, "active")
    return sweep_id


def _set(store, repo: Path, sweep_id: int, index: int, state: JobState, start: float | None = None,
         duration: float | None = None, exit_code: int | None = None, results: dict | None = None,
         reason: str | None = None) -> None:
    job = store.job(sweep_id, index)
    executor_id = str(4000 + sweep_id * 100 + index)
    fields = {"executor_id": executor_id, "log_dir": str(repo / ".submitit" / executor_id), "node": "node01"}
    if start is not None:
        fields["started_at"] = start
    if duration is not None:
        fields["ended_at"] = start + duration
    if exit_code is not None:
        fields["exit_code"] = exit_code
    if results:
        fields["results"] = results
    if reason:
        fields["reason"] = reason
    cause = {S.COMPLETED: ("completed", None), S.FAILED: ("exit", None), S.TIMEOUT: ("TIMEOUT", None),
             S.CANCELLED: ("cancelled", "snaptui")}.get(state)   # why it ended, as the agent records it
    if cause is not None:
        fields["cause"], fields["detail"] = cause
    at = (start or T0) + (duration or 0)
    with mock.patch.object(time, "time", return_value=at):
        if state is not S.PENDING and state is not S.RUNNING:
            store.update_attempt(job.attempt.id, S.RUNNING)
        store.update_attempt(job.attempt.id, state, **fields)


def build(engine, repo: Path) -> dict[str, int]:
    """Three sweeps: a 2-D grid with results, a 1-D seed sweep, a 3-D sweep still queued."""
    store = engine.store
    snapshot = {"branch": "snaptui/20231114-221320-lr", "commit": "3f2a9c1d4e5b6a7980716253443526170f1e2d3c",
                "base_commit": "9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d", "worktree": None}
    grid = _sweep(store, repo, "lr-grid", {"lr": [0.1, 0.01, 0.001], "batch": [16, 32, 64, 128]},
                  {"epochs": 10}, T0, snapshot)
    states = [S.COMPLETED, S.COMPLETED, S.COMPLETED, S.FAILED, S.COMPLETED, S.COMPLETED, S.RUNNING, S.RUNNING,
              S.TIMEOUT, S.CANCELLED, S.PENDING, S.PENDING]
    for index, state in enumerate(states):
        start = T0 + 60 + 30 * index
        if state is S.COMPLETED:
            _set(store, repo, grid, index, state, start, 600 + 37 * index, 0,
                 {"score": round(0.5 + 0.04 * index - 0.002 * index * index, 4), "loss": round(1.5 / (index + 1), 4)})
        elif state is S.FAILED:
            _set(store, repo, grid, index, state, start, 42, 1, reason="exit code 1")
        elif state is S.TIMEOUT:
            _set(store, repo, grid, index, state, start, 3600, reason="timed out after 60 min")
        elif state is S.CANCELLED:
            _set(store, repo, grid, index, state, start, 120, reason="cancelled by the user")
        elif state is S.RUNNING:
            _set(store, repo, grid, index, state, start)
    seeds = _sweep(store, repo, "seeds", {"seed": list(range(8))}, {"lr": 0.01}, T0 + 3000, None,
                   profile="debug")
    for index in range(8):
        _set(store, repo, seeds, index, S.COMPLETED, T0 + 3010, 300 + index, 0)
    cube = _sweep(store, repo, "arch-cube", {"model": ["small", "base"], "lr": [0.1, 0.01], "seed": [1, 2, 3]},
                  {}, T0 + 6000, {"branch": "snaptui/20231114-235320-cube", "commit": "c0ffee" * 6 + "abcd"},
                  profile="slurm", executor="slurm")
    _set(store, repo, cube, 0, S.RUNNING, T0 + 6100)
    _set(store, repo, cube, 3, S.RUNNING, T0 + 6100)
    write_log(repo, grid, 6)
    return {"grid": grid, "seeds": seeds, "cube": cube}


def write_log(repo: Path, sweep_id: int, index: int) -> None:
    executor_id = str(4000 + sweep_id * 100 + index)
    folder = repo / ".submitit" / executor_id
    folder.mkdir(parents=True, exist_ok=True)
    lines = [f"epoch {e:2d}  step {e * 100:5d}  loss {1.5 / (e + 1):.4f}  lr 0.01" for e in range(40)]
    lines.insert(3, "\x1b[33mwarning:\x1b[0m gradient norm 12.5 clipped to 1.0")
    lines.insert(20, "a very long line " + "x" * 150 + " end of the long line")
    out, err = log_files(folder, executor_id)
    err.write_text("Traceback (most recent call last):\n  nothing, really\n")
    out.write_text("\n".join(lines) + "\n")   # written last: the running job opens on stdout
