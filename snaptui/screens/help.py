"""`?`: every key of the screen underneath, as the keymap has made it."""
from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Static

from snaptui.display import actions


def binding_rows(screen: Screen) -> list[tuple[str, str, str, str]]:
    """(keys, description, help, binding id) of the bindings active on a screen, in registry order.

    The id is what `[keymap]` in snaptui.toml remaps."""
    registry = {a.id: a for a in actions.ACTIONS}
    order = {a.id: n for n, a in enumerate(actions.ACTIONS)}
    keys: dict[str, list[str]] = {}
    described: dict[str, str] = {}
    for active in screen.active_bindings.values():
        binding = active.binding
        if not binding.description:
            continue
        name = binding.id or binding.action
        display = binding.key_display or screen.app.get_key_display(binding)
        keys.setdefault(name, [])
        if display not in keys[name]:
            keys[name].append(display)
        described[name] = binding.description
    names = sorted(keys, key=lambda n: order.get(n, len(order)))
    return [(", ".join(keys[n]), described[n], registry[n].help if n in registry else "",
             n if n in registry else "") for n in names]


MOVES = ("in every list, table and grid: j/k down/up, h/l left/right, g/Home first row, G/End last row, "
         "PageUp/PageDown; in the grid 0/$ first/last column")


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,q,question_mark", "dismiss_help", "Close", id="help.close")]

    def __init__(self, screen: Screen) -> None:
        super().__init__()
        self.rows = binding_rows(screen)
        self.scope = getattr(screen, "SCOPE", "")

    def compose(self) -> ComposeResult:
        wide = self.app.size.width >= 110   # narrower: the long help would wrap every entry to 3 lines
        table = Table.grid(padding=(0, 2))
        table.add_column(style="bold", no_wrap=True)
        table.add_column(no_wrap=True)
        if wide:
            table.add_column(style="dim")
        table.add_column(style="dim italic", no_wrap=True)
        for keys, description, help_text, binding_id in self.rows:
            cells = [keys, description] + ([help_text if help_text != description else ""] if wide else [])
            table.add_row(*cells, binding_id)
        with VerticalScroll(id="help"):
            yield Static(Text(f"Keys: {self.scope or 'this screen'}", style="bold"), id="help-title")
            yield Static(table)
            yield Static(Text(MOVES + "\nctrl+p: every action by name   ctrl+q: quit (jobs keep running)   "
                              "escape: close\nremap a key in snaptui.toml: [keymap] \"<id>\" = \"<key>\"",
                              style="dim"))

    def action_dismiss_help(self) -> None:
        self.dismiss(None)
