"""Executors: how attempts reach a machine, one folder each (its settings.py and its executor), known
by name through config/executors.py. The engine picks one by the profile's `executor`."""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from snaptui.engine.config.executors import executor_class

if TYPE_CHECKING:
    from snaptui.engine.store.store import Store
    from .base import Executor


def executor_for(name: str, store: Store, repo_root: Path) -> Executor:
    executor: Executor = executor_class(name)(store, repo_root)
    return executor
