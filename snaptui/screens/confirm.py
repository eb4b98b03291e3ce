"""Confirmation for anything destructive: names what it touches, focuses No, escape cancels."""
from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from snaptui.display import actions
from snaptui.display.dialogs import Confirmation


class ConfirmScreen(ModalScreen[bool]):
    BINDINGS = [
        Binding("escape,n", "answer(False)", "No", id="confirm.no"),
        Binding("y", "answer(True)", "Yes", id="confirm.yes"),
        Binding("left,right,tab,shift+tab", "toggle_focus", "Switch", show=False),
        *actions.dialog_bindings(),
    ]

    def __init__(self, question: Confirmation):
        super().__init__()
        self.title_text = question.title
        self.body = question.body
        self.yes = question.yes
        self.no = question.no
        self.danger = question.danger

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(self.title_text, id="dialog-title", markup=False)
            if self.body:
                yield Static(self.body, id="dialog-body", markup=False)
            with Horizontal(id="dialog-buttons"):
                yield Button(f"{self.yes} (y)", id="yes", variant="error" if self.danger else "primary")
                if self.no is not None:
                    yield Button(f"{self.no} (n)", id="no", variant="default")

    def on_mount(self) -> None:
        self.query_one("#no" if self.no is not None else "#yes", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id == "yes")

    def action_answer(self, value: bool) -> None:
        self.dismiss(value)

    def action_toggle_focus(self) -> None:
        if self.no is None:
            return
        target = "#yes" if self.focused is not None and self.focused.id == "no" else "#no"
        self.query_one(target, Button).focus()
