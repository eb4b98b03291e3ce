"""The lists of the TUI with the keys every list, table and grid of it shares: j/k down and up, h/l left and
right, g/Home the first row, G/End the last, PageUp/PageDown (the job grid and table: widgets/jobgrid.py)."""
from __future__ import annotations

from textual.binding import Binding
from textual.widgets import DataTable, OptionList


class ListTable(DataTable, inherit_bindings=False):
    """A DataTable of rows (the sweeps, the snapshots). Its own Home and End scrolled sideways, and its
    own `enter` hid the screen's Open from the footer and the help."""

    BINDINGS = [
        Binding("up,k", "cursor_up", show=False), Binding("down,j", "cursor_down", show=False),
        Binding("left,h", "scroll_left", show=False), Binding("right,l", "scroll_right", show=False),
        Binding("pageup", "page_up", show=False), Binding("pagedown", "page_down", show=False),
        Binding("home,g,ctrl+home", "scroll_top", show=False), Binding("end,G,ctrl+end", "scroll_bottom", show=False),
    ]


class FileList(OptionList, inherit_bindings=False):
    """An OptionList (the launch screen's sweep files) that moves as the other lists do."""

    BINDINGS = [
        Binding("up,k", "cursor_up", show=False), Binding("down,j", "cursor_down", show=False),
        Binding("home,g", "first", show=False), Binding("end,G", "last", show=False),
        Binding("pageup", "page_up", show=False), Binding("pagedown", "page_down", show=False),
        Binding("enter", "select", show=False),
    ]
