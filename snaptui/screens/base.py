"""What every snaptui screen shares: engine calls off the UI thread, errors as notifications."""
from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from textual.screen import Screen
from textual.worker import Worker, WorkerState, get_current_worker

from snaptui.display.messages import EngineEvents

if TYPE_CHECKING:
    from snaptui.app import SnaptuiApp
    from snaptui.engine.api import Engine


def describe_error(exc: BaseException, root: Path | None = None) -> str:
    """The error as the CLI says it; paths under `root` (the repository) relative to it, as the TUI lists files."""
    from snaptui.engine.errors import SnaptuiError

    text = str(exc) if isinstance(exc, SnaptuiError) else f"{type(exc).__name__}: {exc}"
    if root is not None:
        text = text.replace(f"{root}{os.sep}", "").replace(f"({root})", "(.)")
    # what a rollback moved back or kept (the CLI prints these as `note:` lines)
    return "\n".join([text, *(f"note: {note}" for note in getattr(exc, "__notes__", ()))])


class EngineCalls:
    """Mixin for screens and widgets that read from the engine off the UI thread.

    The TUI has one worker mechanism: a method of the node that needs the result, declared with
    Textual's `@work(thread=True, exit_on_error=False, group=..., name=..., description=...)` (a
    description always: the default one is the repr of every argument, made on the UI thread). The
    method hands its result to the UI thread with `hand_back`, which drops it once the node is gone or
    the worker was cancelled (an exclusive worker's newer call wins, whatever order the threads end
    in). An exception it raises ends the worker in the ERROR state: `on_worker_state_changed` shows it
    as a notification titled with the worker's name. Commands the user asked for (cancel, resubmit,
    launch, gc) run on the app instead (`SnaptuiApp.command`): their outcome is told also when the
    screen that asked has closed.
    """

    def hand_back(self, callback: Callable[..., Any], *args: Any) -> bool:
        """From a worker thread: run `callback(*args)` on the UI thread while this node is mounted and
        the worker not cancelled. False once the app is gone (a reading loop then stops)."""
        worker = get_current_worker()

        def back() -> None:
            if self.is_attached and not worker.is_cancelled:  # type: ignore[attr-defined]
                callback(*args)

        try:
            self.app.call_from_thread(back)  # type: ignore[attr-defined]
        except RuntimeError:   # the app has exited, or this node left it (NoActiveAppError is one)
            return False
        return True

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        worker = event.worker
        if worker.state is WorkerState.ERROR and worker.node is self and worker.error is not None:
            self.notify(describe_error(worker.error), title=worker.name or "snaptui",  # type: ignore[attr-defined]
                        severity="error", timeout=8)

    def reading(self, group: str) -> bool:
        """Whether a worker of this node's `group` is still at work (Textual's own worker state)."""
        return any(w.node is self and w.group == group and not w.is_finished
                   for w in self.workers)  # type: ignore[attr-defined]


class EngineScreen(EngineCalls, Screen):
    """A full screen that reacts to engine events (`engine_events`, called on the app's `EngineEvents`
    message) and the clock."""

    SCOPE = "app"

    @property
    def snaptui(self) -> "SnaptuiApp":
        return self.app  # type: ignore[return-value]

    @property
    def engine(self) -> "Engine":
        return self.snaptui.engine

    def now(self) -> float:
        return self.snaptui.clock()

    def on_engine_events(self, message: EngineEvents) -> None:
        try:
            self.engine_events(message.events)
        except Exception as exc:  # noqa: BLE001 - one screen must not stop the others
            self.notify(describe_error(exc), severity="error")

    def engine_events(self, events: list) -> None:
        """State changes recorded by any process since the last poll (override)."""

    def action_target(self, name: str):
        """The node whose `action_<name>` runs a binding of this screen's scope (the palette asks)."""
        return self

    def action_back(self) -> None:
        self.app.pop_screen()
