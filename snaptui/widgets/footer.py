"""The footer every screen shows: the screen's keys, `? Help` first so a narrow terminal never hides it.

One widget that renders its keys itself. Textual's Footer composes a widget per key (~15 on a
screen), and styling them was most of the cost of opening a screen; this one draws the same line
(key, description, the command palette's key on the right), maps a click to its key, and
highlights the key under the mouse with its binding's tooltip (the action's longer help).
"""
from __future__ import annotations

from rich.style import Style
from rich.text import Text
from textual import events
from textual.reactive import reactive
from textual.widget import Widget

from snaptui.display import actions

REGISTRY_ORDER = {action.id: n for n, action in enumerate(actions.ACTIONS)}
NARROW = 100   # below this many columns: compact keys, and ctrl+p (listed in help) left out


class SnaptuiFooter(Widget, can_focus=False):
    ALLOW_SELECT = False
    COMPONENT_CLASSES = {"footer--key", "footer--description", "footer--disabled", "footer--palette-edge",
                         "footer--hover"}
    DEFAULT_CSS = """
    SnaptuiFooter {
        dock: bottom;
        height: 1;
        color: $footer-foreground;
        background: $footer-background;
        .footer--key {
            color: $footer-key-foreground;
            background: $footer-key-background;
            text-style: bold;
        }
        .footer--description {
            color: $footer-description-foreground;
            background: $footer-description-background;
        }
        .footer--disabled { text-style: dim; }
        .footer--hover { background: $block-hover-background; }
        .footer--palette-edge { color: $foreground 20%; }
    }
    """

    compact = reactive(False)
    """Keys without padding (set under NARROW columns)."""
    show_command_palette = reactive(True)

    def __init__(self) -> None:
        super().__init__()
        self._keys: list[tuple[int, int, str, bool, str]] = []   # (first cell, end cell, key, enabled, tooltip) drawn
        self._hover: str | None = None   # the key under the mouse

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def _bindings_changed(self, _screen) -> None:
        self.refresh()

    def on_resize(self) -> None:
        narrow = self.app.size.width < NARROW
        self.compact = narrow
        self.show_command_palette = not narrow

    # -- what is shown -----------------------------------------------------------------------
    def _shown(self) -> tuple[list[tuple[str, str, str, bool, str]], tuple[str, str, str, bool, str] | None]:
        """(key, key display, description, enabled, tooltip) per action, help first; and the palette's key."""
        active = self.screen.active_bindings
        seen: dict[str, tuple[str, str, str, bool, str]] = {}
        rank: dict[str, int] = {}
        for _node, binding, enabled, tooltip in active.values():
            if binding.show and binding.action not in seen:
                seen[binding.action] = (binding.key, self.app.get_key_display(binding), binding.description, enabled,
                                        tooltip or binding.tooltip)
                rank[binding.action] = REGISTRY_ORDER.get(binding.id or "", len(REGISTRY_ORDER))
        keys = [seen.pop("help")] if "help" in seen else []
        # in the registry's order, whichever node (the screen, a widget in focus) holds the binding
        keys += [seen[action] for action in sorted(seen, key=rank.__getitem__)]
        palette = None
        if self.show_command_palette and self.app.ENABLE_COMMAND_PALETTE:
            found = active.get(self.app.COMMAND_PALETTE_BINDING)
            if found is not None:
                _node, binding, enabled, tooltip = found
                palette = (binding.key, self.app.get_key_display(binding), binding.description, enabled,
                           tooltip or binding.tooltip)
        return keys, palette

    def _key_text(self, display: str, description: str, enabled: bool, hover: bool = False) -> Text:
        key_style = self.get_component_rich_style("footer--key")
        description_style = self.get_component_rich_style("footer--description")
        if not enabled:
            dim = self.get_component_rich_style("footer--disabled").without_color
            key_style, description_style = key_style + dim, description_style + dim
        if hover:
            lit = Style(bgcolor=self.get_component_rich_style("footer--hover").bgcolor)
            key_style, description_style = key_style + lit, description_style + lit
        if self.compact:
            return Text.assemble((display, key_style), (f" {description}" if description else "", description_style))
        return Text.assemble((f" {display} ", key_style), (f"{description} " if description else "", description_style))

    def render(self) -> Text:
        keys, palette = self._shown()
        width = self.size.width
        right = Text()
        if palette is not None:
            edge = Style(color=self.get_component_rich_style("footer--palette-edge").color)
            key_style = self.get_component_rich_style("footer--key")
            description_style = self.get_component_rich_style("footer--description")
            right = Text.assemble(("▏", edge), (palette[1], key_style), (f" {palette[2]} ", description_style))
        room = max(width - right.cell_len, 0)
        line = Text(no_wrap=True, overflow="crop", end="")
        self._keys = []
        for key, display, description, enabled, tooltip in keys:
            piece = self._key_text(display, description, enabled, key == self._hover)
            start = line.cell_len
            if start + piece.cell_len > room:
                break   # whole keys only: the others are in ? Help (which always comes first)
            line.append_text(piece)
            self._keys.append((start, min(line.cell_len, room), key, enabled, tooltip))
            if self.compact:
                line.append(" ")
        line.truncate(room, pad=True)
        if palette is not None:
            self._keys.append((room + 1, room + right.cell_len, palette[0], palette[3], palette[4]))
            line.append_text(right)
        return line

    def _key_at(self, x: int) -> tuple[int, int, str, bool, str] | None:
        return next((found for found in self._keys if found[0] <= x < found[1]), None)

    def on_mouse_down(self, event: events.MouseDown) -> None:
        found = self._key_at(event.x)
        if found is not None:
            if found[3]:
                self.app.simulate_key(found[2])
            else:
                self.app.bell()

    def on_mouse_move(self, event: events.MouseMove) -> None:
        found = self._key_at(event.x)
        self._hover_on(found[2] if found else None, found[4] if found else None)

    def on_leave(self, _event: events.Leave) -> None:
        self._hover_on(None, None)

    def _hover_on(self, key: str | None, tooltip: str | None) -> None:
        """Highlight the key under the mouse (redrawn only when it changes) and offer its tooltip."""
        if key != self._hover:
            self._hover = key
            self.tooltip = tooltip or None
            self.refresh()
