"""The `/` box of a list screen: hidden until opened, hands focus back when it closes."""
from __future__ import annotations

from textual.events import Key
from textual.widget import Widget
from textual.widgets import Input


class FilterBox(Input):
    """A hidden one-line input that `open()` shows and focuses. Enter and escape close it and give focus
    back to the widget that had it. A filter (`keeps_text`) filters as the user types (the screen handles
    Input.Changed), stays shown while it holds text, and escape clears it; a prompt (the log search) is
    answered on enter (the screen handles Input.Submitted) and always hides."""

    def __init__(self, placeholder: str, *, id: str, keeps_text: bool = True) -> None:
        super().__init__(placeholder=placeholder, id=id, classes="filter")
        self.keeps_text = keeps_text
        self._return_to: Widget | None = None

    def on_mount(self) -> None:
        self.display = False

    def open(self, value: str | None = None) -> None:
        if self.app.focused is not self:
            self._return_to = self.app.focused
        if value is not None:
            self.value = value
        self.display = True
        self.focus()

    def _close(self, hide: bool) -> None:
        if hide:
            self.display = False
        if self._return_to is not None and self._return_to.is_attached:
            self._return_to.focus()

    def on_input_submitted(self, _event: Input.Submitted) -> None:
        self._close(hide=not (self.keeps_text and self.value.strip()))

    def on_key(self, event: Key) -> None:
        if event.key == "escape":
            event.stop()
            event.prevent_default()
            if self.keeps_text:
                self.value = ""
            self._close(hide=True)
