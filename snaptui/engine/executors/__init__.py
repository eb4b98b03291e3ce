"""Executors: how attempts reach a machine. The engine picks one by the profile's `executor`."""
from __future__ import annotations

from pathlib import Path

from snaptui.engine.store.store import Store
from .base import Executor


def executor_for(name: str, store: Store, repo_root: Path) -> Executor:
    if name == "local":
        from .local.executor import LocalExecutor
        return LocalExecutor(store, repo_root)
    if name == "slurm":
        from .slurm.executor import SlurmExecutor
        return SlurmExecutor(store, repo_root)
    if name == "allocation":
        from .slurm.steps import StepExecutor
        return StepExecutor(store, repo_root)
    raise ValueError(f"unknown executor {name!r}")
