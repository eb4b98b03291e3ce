"""A patch, coloured and scrollable: only the lines on screen are drawn (a Line-API widget)."""
from __future__ import annotations

from rich.segment import Segment
from rich.style import Style
from textual.binding import Binding
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip


def line_kind(line: str) -> str:
    """Which part of a patch a line is: header, hunk, added, removed, stat or context."""
    if line.startswith(("diff --git", "index ", "--- ", "+++ ", "new file", "deleted file", "similarity", "rename ",
                        "old mode", "new mode", "Binary files")):
        return "header"
    if line.startswith("@@"):
        return "hunk"
    if line.startswith("+"):
        return "added"
    if line.startswith("-"):
        return "removed"
    if " | " in line or line.rstrip().endswith(("insertions(+)", "deletions(-)", "insertion(+)", "deletion(-)")):
        return "stat"
    return "context"


class DiffView(ScrollView, can_focus=True):
    COMPONENT_CLASSES = {"diffview--header", "diffview--hunk", "diffview--added", "diffview--removed",
                         "diffview--stat"}
    DEFAULT_CSS = """
    DiffView { height: 1fr; scrollbar-size: 1 1; }
    DiffView > .diffview--header { text-style: bold; }
    DiffView > .diffview--hunk { color: $accent; }
    DiffView > .diffview--added { color: $success; }
    DiffView > .diffview--removed { color: $error; }
    DiffView > .diffview--stat { color: $text-muted; }
    """
    BINDINGS = [
        Binding("down,j", "scroll_down", show=False), Binding("up,k", "scroll_up", show=False),
        Binding("left,h", "scroll_left", show=False), Binding("right,l", "scroll_right", show=False),
        Binding("home,g", "scroll_home", show=False), Binding("end,G", "scroll_end", show=False),
        Binding("pageup", "page_up", show=False), Binding("pagedown,space", "page_down", show=False),
    ]

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.lines: list[str] = []
        self._kinds: list[str] = []
        self._styles: dict[str, Style] = {}

    def show(self, text: str) -> None:
        self.lines = text.expandtabs().splitlines()
        self._kinds = [line_kind(line) for line in self.lines]
        self.virtual_size = Size(max((len(line) for line in self.lines), default=0) + 1, len(self.lines))
        self.scroll_home(animate=False)
        self.refresh()

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._styles.clear()

    def _style(self, kind: str) -> Style:
        if kind not in self._styles:
            self._styles[kind] = self.rich_style + (self.get_component_rich_style(f"diffview--{kind}")
                                                    if kind != "context" else Style())
        return self._styles[kind]

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        number = scroll_y + y
        width = self.size.width
        if number >= len(self.lines):
            return Strip.blank(width, self.rich_style)
        line = self.lines[number]
        return Strip([Segment(line, self._style(self._kinds[number]))]).crop(scroll_x, scroll_x + width) \
            .extend_cell_length(width, self.rich_style)
