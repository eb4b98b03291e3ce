"""What every snaptui screen shares: engine calls off the UI thread, errors as notifications."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

from textual.screen import Screen
from textual.worker import get_current_worker

from snaptui.display.messages import EngineEvents

if TYPE_CHECKING:
    from snaptui.app import SnaptuiApp
    from snaptui.engine.api import Engine


def describe_error(exc: BaseException) -> str:
    from snaptui.engine.errors import SnaptuiError

    text = str(exc) if isinstance(exc, SnaptuiError) else f"{type(exc).__name__}: {exc}"
    # what a rollback moved back or kept (the CLI prints these as `note:` lines)
    return "\n".join([text, *(f"note: {note}" for note in getattr(exc, "__notes__", ()))])


class EngineCalls:
    """Mixin for screens and widgets: run a blocking engine call in a thread worker.

    `done(result)` runs on the UI thread, only while the node is still mounted. Any
    exception becomes an error notification; the app keeps running. With `exclusive`, a call
    cancels the group's earlier ones (Textual's exclusive workers) and a cancelled call's
    result or error is dropped: the latest read wins, whatever order the threads end in.
    """

    def call_engine(self, fn: Callable[..., Any], *args: Any, done: Callable[[Any], None] | None = None,
                    failed: Callable[[BaseException], None] | None = None, title: str = "snaptui",
                    group: str = "engine", exclusive: bool = False, **kwargs: Any) -> None:
        app = self.app  # type: ignore[attr-defined]

        def back(worker, callback, value) -> None:
            if self.is_attached and not (exclusive and worker.is_cancelled):  # type: ignore[attr-defined]
                callback(value)

        def tell(worker, exc: BaseException) -> None:  # also once the node is gone: the user asked for it
            if not (exclusive and worker.is_cancelled):
                app.notify(describe_error(exc), title=title, severity="error", timeout=8)

        def work() -> None:
            worker = get_current_worker()
            try:
                result = fn(*args, **kwargs)
            except BaseException as exc:  # noqa: BLE001 - shown to the user, never raised
                try:
                    app.call_from_thread(tell, worker, exc)
                    if failed is not None:
                        app.call_from_thread(back, worker, failed, exc)
                except RuntimeError:
                    pass
                return
            if done is not None:
                try:
                    app.call_from_thread(back, worker, done, result)
                except RuntimeError:  # the app has exited meanwhile
                    pass

        self.run_worker(work, thread=True, exit_on_error=False, group=group,  # type: ignore[attr-defined]
                        exclusive=exclusive)

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

    def action_back(self) -> None:
        self.app.pop_screen()
