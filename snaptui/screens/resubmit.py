"""The resubmit dialog (`R` on a sweep): the chosen jobs by why they ended, each group ticked or not, the
resource fields filled with a suggestion; `y` resubmits the ticked jobs with the fields as changed, on the
sweep's snapshot. What it offers is worked out in display/resubmit.py."""
from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Input, Label, Static

from snaptui.display.resubmit import CauseGroup, ResourceField, changes, field_text


class ResubmitScreen(ModalScreen[tuple[list, list[str]] | None]):
    """Dismissed with (jobs, ["timeout_min=120", ...]) on yes, None on no."""

    BINDINGS = [
        Binding("escape,n", "answer(False)", "No", id="resubmit.no"),
        Binding("y", "answer(True)", "Resubmit", id="resubmit.yes"),
        Binding("ctrl+s", "answer(True)", "Resubmit", show=False),
    ]

    def __init__(self, title: str, groups: list[CauseGroup], fields: list[ResourceField]):
        super().__init__()
        self.title_text, self.groups, self.fields = title, groups, fields

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="resubmit"):
            yield Static(self.title_text, id="dialog-title", markup=False)
            yield Static("Jobs, by why they ended (space ticks or unticks a group):", classes="dim")
            for n, group in enumerate(self.groups):
                yield Checkbox(group.describe(), value=group.ticked, id=f"group-{n}")
            if self.fields:
                yield Static("Resources of the new attempts (was → suggested):", classes="dim")
            for field in self.fields:
                with Horizontal(classes="resource-row"):
                    was = field_text(field.current) or "unset"
                    yield Label(f"{field.key} ({field.unit})" if field.unit else field.key, classes="resource-key")
                    yield Input(field_text(field.suggested), id=f"field-{field.key}", classes="resource-value")
                    yield Label(f"was {was}", classes="dim")
            yield Static("Each runs again on the sweep's snapshot; earlier attempts and their logs are kept.",
                         classes="dim")
            with Horizontal(id="dialog-buttons"):
                yield Button("Resubmit (y)", id="yes", variant="primary")
                yield Button("No (n)", id="no", variant="default")

    def on_mount(self) -> None:
        self.query_one("#yes", Button).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_answer(True)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_answer(event.button.id == "yes")

    def chosen(self) -> tuple[list, list[str]]:
        jobs = [job for n, group in enumerate(self.groups) if self.query_one(f"#group-{n}", Checkbox).value
                for job in group.jobs]
        typed = {field.key: self.query_one(f"#field-{field.key}", Input).value for field in self.fields}
        return jobs, changes(self.fields, typed)

    def action_answer(self, yes: bool) -> None:
        if not yes:
            self.dismiss(None)
            return
        jobs, sets = self.chosen()
        if not jobs:
            self.notify("no group is ticked: nothing would be resubmitted", severity="warning")
            return
        self.dismiss((jobs, sets))
