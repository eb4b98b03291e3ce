"""The footer every screen shows: Textual's, with `? Help` first so a narrow terminal never hides it."""
from __future__ import annotations

from textual.widgets import Footer

NARROW = 100   # below this many columns: compact keys, and ctrl+p (listed in help) left out


class SnaptuiFooter(Footer):
    def compose(self):
        keys = list(super().compose())
        first = [key for key in keys if getattr(key, "action", None) == "help"]
        yield from first + [key for key in keys if key not in first]

    def on_resize(self) -> None:
        narrow = self.app.size.width < NARROW
        if self.compact != narrow or self.show_command_palette == narrow:
            self.compact = narrow
            self.show_command_palette = not narrow
