"""o on the sweep screen: which results and metric summaries the job table shows, in the order listed."""
from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, SelectionList, Static

from snaptui.display import actions


class ColumnsScreen(ModalScreen[list[str] | None]):
    BINDINGS = [Binding("escape", "dismiss(None)", "Cancel", id="columns.cancel"), *actions.dialog_bindings()]

    def __init__(self, choices: list[str], shown: list[str]) -> None:
        super().__init__()
        self.choices = choices
        self.shown = set(shown)

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static("The job table's columns", id="dialog-title")
            yield Static("A result shows a running job's last value (▶). space: on/off, enter: done. "
                         "[tui] columns in snaptui.toml sets them for good.", id="dialog-body", markup=False)
            yield SelectionList[str](*[(choice, choice, choice in self.shown) for choice in self.choices],
                                     id="columns")
            with Horizontal(id="dialog-buttons"):
                yield Button("Show", id="yes", variant="primary")
                yield Button("Cancel", id="no")

    def on_mount(self) -> None:
        self.query_one(SelectionList).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(self._picked() if event.button.id == "yes" else None)

    def on_key(self, event) -> None:
        if event.key == "enter" and self.focused is self.query_one(SelectionList):
            event.stop()
            self.dismiss(self._picked())

    def _picked(self) -> list[str]:
        selected = set(self.query_one(SelectionList).selected)
        return [choice for choice in self.choices if choice in selected]
