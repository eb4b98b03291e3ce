"""What the sweep's two job views (the flat table and the matrix) share: their messages, their
movement keys, a cache of component styles, and keeping the cursor in view.

Both are Line-API widgets over one SweepModel: only visible lines are rendered, so styles are
looked up per cell and must be cached (``rich_style`` walks the DOM).
"""
from __future__ import annotations

from rich.style import Style
from textual.binding import Binding
from textual.geometry import Region
from textual.message import Message
from textual.scroll_view import ScrollView

from snaptui.engine.states import JobState

STATE_CLASSES = {state: f"matrix--{state.value.lower()}" for state in JobState}


class JobGrid(ScrollView, can_focus=True):
    """A job view with a cursor; subclasses define `selected` and the `move`/`page`/`edge` actions (`edge`:
    the first or last row, as g/G and Home/End in every list of the TUI)."""

    BINDINGS = [
        Binding("up", "move(-1, 0)", show=False), Binding("down", "move(1, 0)", show=False),
        Binding("pageup", "page(-1)", show=False), Binding("pagedown", "page(1)", show=False),
        Binding("home,g", "edge(-1)", show=False), Binding("end,G", "edge(1)", show=False),   # first, last row
        Binding("j", "move(1, 0)", show=False), Binding("k", "move(-1, 0)", show=False),
    ]

    class CursorMoved(Message):
        def __init__(self, index: int | None) -> None:
            super().__init__()
            self.index = index

    class Activated(Message):
        """A job was opened (a double click; the screen binds enter itself)."""

        def __init__(self, index: int) -> None:
            super().__init__()
            self.index = index

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._styles: dict[str, Style] = {}

    @property
    def selected(self) -> int | None:
        raise NotImplementedError

    # -- styles ----------------------------------------------------------------------------
    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._styles.clear()

    def style(self, name: str) -> Style:
        style = self._styles.get(name)
        if style is None:
            style = self._styles[name] = self.get_component_rich_style(name)
        return style

    @property
    def base_style(self) -> Style:
        """The widget's own style (`rich_style` walks the DOM: too slow to ask per cell)."""
        style = self._styles.get("")
        if style is None:
            style = self._styles[""] = self.rich_style
        return style

    def modifier(self, name: str) -> Style:
        """A component's text attributes only (bold, reverse...), to lay over a cell's own colours."""
        return self.style(name).without_color

    # -- cursor ------------------------------------------------------------------------------
    def _cursor_changed(self, rows: tuple[int, ...] = ()) -> None:
        """After the cursor moved: keep it in view, redraw, tell the screen. `rows` (grid rows, under
        the header line) are all that changed if the view did not scroll: only those lines and the
        header are drawn again, not the ~45 lines of a full view (most of a cursor key's time)."""
        before = self.scroll_offset
        self._scroll_to_cursor()
        if rows and self.scroll_offset == before:
            for line in {0, *(row - before.y + 1 for row in rows)}:
                self.refresh(Region(0, line, self.size.width, 1))
        else:
            self.refresh()
        self.post_message(self.CursorMoved(self.selected))

    def _scroll_to_cursor(self) -> None:
        raise NotImplementedError

    def _scroll_into_view(self, row: int, left: int | None = None, width: int = 0, view_w: int = 0) -> None:
        """Scroll the least that shows line `row` (under the one header line) and, when `left` is
        given, the columns `left` to `left + width` of a view `view_w` wide."""
        view_h = max(self.size.height - 1, 1)
        x, y = self.scroll_x, self.scroll_y
        if left is not None:
            if left < x:
                x = left
            elif left + width > x + view_w:
                x = left + width - view_w
        if row < y:
            y = row
        elif row >= y + view_h:
            y = row - view_h + 1
        self.scroll_to(x, y, animate=False, immediate=True)

    def _activate_on_double_click(self, chain: int) -> None:
        if chain >= 2 and self.selected is not None:
            self.post_message(self.Activated(self.selected))
