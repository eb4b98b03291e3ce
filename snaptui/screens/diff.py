"""A snapshot's code as a coloured, scrollable diff: what it holds beyond its base (the edits its jobs ran),
your working tree now against it, or another snapshot against it. Read in a worker; shown inside the TUI
(git's pager quit at once on a short diff and the TUI drew over it)."""
from __future__ import annotations

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.widgets import Static

from snaptui.display import actions
from snaptui.widgets.diffview import DiffView
from snaptui.widgets.footer import SnaptuiFooter
from .base import EngineScreen


class DiffScreen(EngineScreen):
    SCOPE = "diff"
    BINDINGS = actions.bindings("diff")
    AUTO_FOCUS = "#diff"

    def __init__(self, commit: str, against: str, title: str) -> None:
        super().__init__()
        self.commit, self.against, self.heading = commit, against, title

    def compose(self) -> ComposeResult:
        yield Static(Text(self.heading, style="bold"), id="title", classes="title-bar")
        yield Static("reading the diff…", id="status", classes="status-bar")
        yield DiffView(id="diff")
        yield SnaptuiFooter()

    def on_mount(self) -> None:
        self._read()

    @work(thread=True, exit_on_error=False, group="diff", name="diff", description="read the diff")
    def _read(self) -> None:
        self.hand_back(self._shown, *self.engine.diff_patch(self.commit, self.against))

    def _shown(self, text: str, cut: bool) -> None:
        self.query_one(DiffView).show(text)
        lines = text.count("\n")
        if not text:
            status = "no difference" + (": a clean snapshot, its commit as it was" if self.against == "base" else "")
        else:
            status = f"{lines:,} lines" + ("; cut at 4 MB: `git diff` shows the rest" if cut else "")
        self.query_one("#status", Static).update(Text(status, style="dim"))
