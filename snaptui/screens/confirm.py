"""Confirmation for anything destructive: names what it touches, focuses No, escape cancels."""
from __future__ import annotations

from typing import Any, Callable

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static


def describe_jobs(jobs: list, limit: int = 6) -> str:
    """'3 jobs: 12/0 lr=0.1, 12/1 lr=0.2 and 1 more' style list for a dialog."""
    names = [f"{job.ref} {job.label}" for job in jobs[:limit]]
    text = "\n".join(f"  • {name}" for name in names)
    if len(jobs) > limit:
        text += f"\n  … and {len(jobs) - limit} more"
    return text


def confirm_then(screen, act: Callable[[], Any], title: str, body: str = "", **options: Any) -> None:
    """Ask `title` (with `body`) in a ConfirmScreen over `screen`; run `act` only on yes. `options`:
    the ConfirmScreen's yes/no labels and danger."""
    screen.app.push_screen(ConfirmScreen(title, body, **options), lambda yes: act() if yes else None)


class ConfirmScreen(ModalScreen[bool]):
    BINDINGS = [
        Binding("escape,n", "answer(False)", "No", id="confirm.no"),
        Binding("y", "answer(True)", "Yes", id="confirm.yes"),
        Binding("left,right,tab,shift+tab", "toggle_focus", "Switch", show=False),
    ]

    def __init__(self, title: str, body: str = "", yes: str = "Yes", no: str = "No", danger: bool = True):
        super().__init__()
        self.title_text = title
        self.body = body
        self.yes = yes
        self.no = no
        self.danger = danger

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(self.title_text, id="dialog-title", markup=False)
            if self.body:
                yield Static(self.body, id="dialog-body", markup=False)
            with Horizontal(id="dialog-buttons"):
                yield Button(f"{self.yes} (y)", id="yes", variant="error" if self.danger else "primary")
                yield Button(f"{self.no} (n)", id="no", variant="default")

    def on_mount(self) -> None:
        self.query_one("#no", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id == "yes")

    def action_answer(self, value: bool) -> None:
        self.dismiss(value)

    def action_toggle_focus(self) -> None:
        target = "#yes" if self.focused is not None and self.focused.id == "no" else "#no"
        self.query_one(target, Button).focus()
