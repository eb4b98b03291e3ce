"""The executors snaptui knows, by name: the class of their profiles' settings and their Executor.

Adding an executor is a folder under engine/executors/ (``settings.py``: a ``Profile`` subclass with the
keys its profiles take; ``executor.py``: the ``Executor`` subclass) and one ``register_executor`` line
below. Both are named by import path and loaded on first use: the settings layer never imports the
executors, and a job reading its sweep's record does not load every scheduler's code.

An executor in another package registers through an entry point of the ``snaptui.executors`` group,
``pbs = "snaptui_pbs:register"``, naming a function that is given ``register_executor``: the same one
line, read when a profile names an executor snaptui does not know of itself.
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
        loaded: type[Profile] = _load(self.settings)
        self.settings = loaded
        return loaded

    def executor_class(self) -> type:
        loaded: type = _load(self.executor)
        self.executor = loaded
        return loaded


EXECUTORS: dict[str, ExecutorEntry] = {}


def register_executor(name: str, *, settings: str | type | None, executor: str | type) -> None:
    """Make an executor known: ``settings`` is the Profile subclass of its profiles (None for one that a
    profile of another executor chooses, like Slurm's steps in an allocation), ``executor`` its class."""
    EXECUTORS[name] = ExecutorEntry(name, settings, executor)


def unregister_executor(name: str) -> None:
    EXECUTORS.pop(name, None)


def profile_kinds(*, plugins: bool = True) -> list[str]:
    """What a profile's ``executor`` may name (``plugins=False``: only those snaptui ships with)."""
    if plugins:
        _load_plugins()
    return [name for name, entry in EXECUTORS.items() if entry.settings is not None
            and (plugins or name in BUILT_IN)]


def _entry(name: str) -> ExecutorEntry | None:
    if name not in EXECUTORS:
        _load_plugins()
    return EXECUTORS.get(name)


def profile_class(executor: str | None) -> type[Profile]:
    """The settings class of a profile using ``executor``; the common one for a name snaptui does not know."""
    entry = _entry(executor or "local")
    if entry is None or entry.settings is None:
        from .model import Profile
        return Profile
    return entry.settings_class()


def executor_class(name: str) -> type:
    entry = _entry(name)
    if entry is None:
        raise ValueError(f"unknown executor {name!r}")
    return entry.executor_class()


_plugins_loaded = False


def _load_plugins() -> None:
    """Registrations of installed packages (entry points ``snaptui.executors``), read once, when needed."""
    global _plugins_loaded
    if _plugins_loaded:
        return
    _plugins_loaded = True
    from importlib.metadata import entry_points
    for point in entry_points(group="snaptui.executors"):
        point.load()(register_executor)


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
BUILT_IN = tuple(EXECUTORS)
