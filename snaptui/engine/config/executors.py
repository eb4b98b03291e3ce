"""The executors snaptui knows, by name: the class of their profiles' settings and their Executor.

Adding an executor is a folder under engine/executors/ (``settings.py``: a ``Profile`` subclass with the
keys its profiles take; ``executor.py``: the ``Executor`` subclass) and one ``register_executor`` line
below. Both are named by import path and loaded on first use: the settings layer never imports the
executors, and a job reading its sweep's record does not load every scheduler's code.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .model import Profile


@dataclass
class ExecutorEntry:
    name: str
    settings: str | type | None   # "module:Class" of its Profile subclass; None: not a profile's `executor`
    executor: str | type          # "module:Class" of its Executor subclass

    def settings_class(self) -> type[Profile]:
        self.settings = _load(self.settings)
        return self.settings

    def executor_class(self) -> type:
        self.executor = _load(self.executor)
        return self.executor


EXECUTORS: dict[str, ExecutorEntry] = {}


def register_executor(name: str, *, settings: str | type | None, executor: str | type) -> None:
    """Make an executor known: ``settings`` is the Profile subclass of its profiles (None for one that a
    profile of another executor chooses, like Slurm's steps in an allocation), ``executor`` its class."""
    EXECUTORS[name] = ExecutorEntry(name, settings, executor)


def unregister_executor(name: str) -> None:
    EXECUTORS.pop(name, None)


def profile_kinds() -> list[str]:
    """What a profile's ``executor`` may name."""
    return [name for name, entry in EXECUTORS.items() if entry.settings is not None]


def profile_class(executor: str | None) -> type[Profile]:
    """The settings class of a profile using ``executor``; the common one for a name snaptui does not know."""
    entry = EXECUTORS.get(executor or "local")
    if entry is None or entry.settings is None:
        from .model import Profile
        return Profile
    return entry.settings_class()


def executor_class(name: str) -> type:
    if name not in EXECUTORS:
        raise ValueError(f"unknown executor {name!r}")
    return EXECUTORS[name].executor_class()


def _load(target: Any) -> Any:
    if not isinstance(target, str):
        return target
    module, _, attribute = target.partition(":")
    return getattr(importlib.import_module(module), attribute)


register_executor("local", settings="snaptui.engine.executors.local.settings:LocalProfile",
                  executor="snaptui.engine.executors.local.executor:LocalExecutor")
register_executor("slurm", settings="snaptui.engine.executors.slurm.settings:SlurmProfile",
                  executor="snaptui.engine.executors.slurm.executor:SlurmExecutor")
register_executor("allocation", settings=None, executor="snaptui.engine.executors.slurm.steps:StepExecutor")
