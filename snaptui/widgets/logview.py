"""A log view over line indexes: every line of any size of log, read on demand, followable.

The view holds no text: it renders the visible lines from `LineIndex`es (one per stream;
stdout and stderr together are merged in the order the job wrote them, as its runner recorded
it: engine logs/logorder.py), decodes only
those (ANSI colours, the last '\\r' frame of a progress bar), and searches the whole file
in a thread. `End`/`G` follows, scrolling up pauses and counts the new lines.
"""
from __future__ import annotations

import re
from array import array
from collections import OrderedDict

from rich.text import Text
from textual import work
from textual.binding import Binding
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.worker import get_current_worker

from snaptui.engine.views import LineIndex, Update

_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(\x07|\x1b\\)?|\x1b[@-_]")
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f]")
_SEPARATORS = re.compile("[\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")
CACHE_LINES = 2000
MAX_WIDTH = 10_000
LIVE_SEARCH_LINES = 10_000   # new lines checked against the search as they arrive


def clean_line(line: str) -> str:
    """What a terminal would show of a line: the last '\\r'-separated frame (progress bars)."""
    if "\r" in line:
        frames = [f for f in line.split("\r") if f]
        line = frames[-1] if frames else ""
    return _SEPARATORS.sub(" ", line) or " "


def plain(line: str) -> str:
    return _CONTROL.sub("", _ANSI.sub("", line))


class LogView(ScrollView, can_focus=True):
    COMPONENT_CLASSES = {"logview--match", "logview--current", "logview--err"}
    BINDINGS = [Binding("j", "scroll_down", show=False), Binding("k", "scroll_up", show=False),
                Binding("h", "scroll_left", show=False), Binding("l", "scroll_right", show=False)]
    # g/Home (top) and G/End (follow) are the job screen's

    class StatusChanged(Message):
        """Follow, pending lines, wrap, search or the files' state changed: the screen redraws its status."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.sources: list[LineIndex] = []
        self.names: list[str] = []
        self.order = None                   # engine logs.LogOrder: how the two sources interleave
        self._order_pos = 0
        self._source = array("B")           # merged view (two sources): view line -> source
        self._number = array("Q")           # ... -> line number in that source
        self._view_of: list[array] = []     # per source: line number -> view line
        self._known: list[int] = []         # per source: lines already in the view
        self.line_count = 0
        self.follow = True
        self.new_lines = 0
        self.wrap = False
        self.needle = ""
        self.matches: list[int] = []
        self.current = -1
        self.searching: float | None = None  # fraction searched, while a search runs
        self.states: list[str] = []
        self.indexing: float | None = None   # fraction indexed, while a big file is read
        self.notice = ""
        self._cache: OrderedDict[tuple[int, int], Text] = OrderedDict()
        self._programmatic = False
        self._width = 0
        self._layout_key = None
        self._layout: list[tuple[int, int]] = []

    # -- sources ---------------------------------------------------------------------------
    def set_sources(self, sources: list[LineIndex], names: list[str], order=None) -> None:
        """Show these files from their start, following: a new stream or attempt. `order` (engine
        logs.LogOrder, for stdout and stderr together): the order the job wrote them in."""
        self.sources, self.names, self.order = sources, names, order
        self._rebuild_map()
        self.follow, self.new_lines, self.notice = True, 0, ""
        self.needle, self.matches, self.current, self.searching = "", [], -1, None
        self.states = ["missing"] * len(sources)
        self._width = 0
        self._changed()

    def _rebuild_map(self) -> None:
        self._source, self._number = array("B"), array("Q")
        self._view_of = [array("Q") for _ in self.sources]
        self._known = [0] * len(self.sources)
        self._order_pos = 0   # the order's records already placed
        self._cache.clear()
        self.line_count = 0

    @property
    def merged(self) -> bool:
        return len(self.sources) > 1

    def indexed(self, updates: list[Update], order_grew: bool = False) -> None:
        """The worker indexed more of the files (UI thread); `order_grew`: it read new records of the
        order (read before the files: a line is placed by its record when it has one)."""
        self.states = [u.state for u in updates]
        if any(u.reset for u in updates):
            self.notice = "the log was truncated or replaced: read again from its start"
            self._rebuild_map()
            self.matches, self.current = [], -1
        self.indexing = None
        if any(u.more for u in updates):
            total = sum(s.size for s in self.sources) or 1
            self.indexing = sum(s.indexed for s in self.sources) / total
        before = self.line_count
        for number, source in enumerate(self.sources):
            if updates[number].grew and self._known[number]:
                self._cache.pop((number, self._known[number] - 1), None)   # a partial last line grew
            count = source.line_count
            new = range(self._known[number], count)
            if not new:
                continue
            self._width = max(self._width, min(max(source.line_length(n) for n in new[-5000:]), MAX_WIDTH))
            if not self.merged:
                self._known[number] = count
        if self.merged:
            self._place(order_grew)
        self.line_count = len(self._number) if self.merged else (self._known[0] if self.sources else 0)
        added = self.line_count - before
        if self.needle and 0 < added <= LIVE_SEARCH_LINES:
            self.matches += [v for v in range(before, self.line_count) if self._hit(self._raw(v))]
        if not self.follow and added > 0:
            self.new_lines += added
        self._changed()

    def _changed(self) -> None:
        self._layout_key = None
        self.virtual_size = Size(0 if self.wrap else self._width + 1, self.line_count)
        if self.follow:
            self._to_end()
            # and again once the new size is laid out: lines read before the scroll range knew of them left
            # the offset (and the scrollbar's thumb) at the top while top_line showed the end
            self.call_after_refresh(self._to_end_if_following)
        self.refresh()
        self.post_message(self.StatusChanged())

    def _place(self, order_grew: bool) -> None:
        """Lines the two sources gained, into the merged view: in the order the job wrote them, where its
        runner recorded it (a line at its first record: a progress bar redrawn in place is placed once and
        grows); then, once no new record came in this read, the lines no record covers (the runner's and
        the scheduler's own), stdout first. Without an order, each source's new lines in turn, as read."""
        order = self.order
        if order is not None:
            records = order.records
            while self._order_pos < len(records):
                stream, end = records[self._order_pos]
                if stream < len(self.sources) and end > 0:
                    source = self.sources[stream]
                    if end > source.indexed:
                        return   # the index has not reached it yet: the next read places it
                    self._append(stream, min(source.line_at(end - 1) + 1, source.line_count))
                self._order_pos += 1
            if order_grew:
                return
        for number, source in enumerate(self.sources):
            self._append(number, source.line_count)

    def _append(self, number: int, upto: int) -> None:
        new = range(self._known[number], upto)
        if not new:
            return
        start = len(self._source)
        self._source.extend([number] * len(new))
        self._number.extend(new)
        self._view_of[number].extend(range(start, start + len(new)))
        self._known[number] = upto

    def _locate(self, view_line: int) -> tuple[int, int]:
        if self.merged:
            return self._source[view_line], self._number[view_line]
        return 0, view_line

    def _raw(self, view_line: int) -> str:
        number, line = self._locate(view_line)
        return self.sources[number].line(line)

    def line(self, view_line: int) -> str:
        """The plain text shown for a line."""
        return plain(clean_line(self._raw(view_line)).expandtabs())

    def _text(self, view_line: int) -> Text:
        key = self._locate(view_line)
        text = self._cache.get(key)
        if text is None:
            shown = clean_line(self.sources[key[0]].line(key[1])).expandtabs()
            text = Text.from_ansi(shown, no_wrap=True) if "\x1b" in shown else Text(plain(shown), no_wrap=True)
            if self.merged and self.names[key[0]] == "err":
                text.stylize_before(self.get_component_rich_style("logview--err"))
            self._cache[key] = text
            if len(self._cache) > CACHE_LINES:
                self._cache.popitem(last=False)
        return text

    # -- follow ----------------------------------------------------------------------------
    @property
    def top_line(self) -> int:
        """The first line shown (without wrap). Following, the end's, even before the scroll offset
        has caught up with lines read before the first layout: a log opens on its last lines in the
        frame that shows it, not one or two frames later."""
        if self.follow:
            return max(self.line_count - self.scrollable_content_region.height, 0)
        return int(self.scroll_y)

    def _to_end(self) -> None:
        self._programmatic = True
        try:
            self.scroll_end(animate=False, immediate=True, x_axis=False)
        finally:
            self._programmatic = False

    def set_follow(self, follow: bool) -> None:
        if follow != self.follow:
            self.follow = follow
            self.new_lines = 0
            self._layout_key = None
            self.refresh()   # the top line changes meaning (top_line) even where scroll_y does not move
            self.post_message(self.StatusChanged())
        if follow:
            self._to_end()
            self.refresh()

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        self._layout_key = None
        self.post_message(self.StatusChanged())   # the line number shown
        if self.follow and not self._programmatic and new_value < old_value and new_value < self.max_scroll_y:
            self.set_follow(False)   # the user scrolled up: stop following

    def on_resize(self) -> None:
        self._layout_key = None
        if self.follow:   # a smaller window must not leave a following view above the end
            self.call_after_refresh(self._to_end_if_following)

    def _to_end_if_following(self) -> None:
        """Deferred: a key pressed meanwhile (home, up) may have stopped following; it must win."""
        if self.follow:
            self._to_end()

    def action_scroll_end(self) -> None:
        self.set_follow(True)   # End follows again, as in less +F and toolong

    def action_scroll_home(self) -> None:
        self.set_follow(False)
        self._programmatic = True
        try:
            self.scroll_home(animate=False, immediate=True)
        finally:
            self._programmatic = False

    def set_wrap(self, wrap: bool) -> None:
        self.wrap = wrap
        self._changed()
        self.refresh()

    # -- search ----------------------------------------------------------------------------
    @property
    def _case(self) -> bool:
        return self.needle != self.needle.lower()   # smart case

    def _hit(self, line: str) -> bool:
        return self.needle in (line if self._case else line.lower())

    def search(self, needle: str) -> None:
        """Search every line of the files, in a thread; jump to the first match at or after the top."""
        self.needle, self.matches, self.current = needle, [], -1
        self._cache.clear()
        if not needle:
            self.searching = None
            self.refresh()
            self.post_message(self.StatusChanged())
            return
        self.searching = 0.0
        self.post_message(self.StatusChanged())
        sources, case, top = list(self.sources), self._case, int(self.scroll_y) if self.wrap else self.top_line
        view_of = [array("Q", v) for v in self._view_of] if self.merged else None
        self._search(needle, sources, case, top, view_of)

    @work(thread=True, exclusive=True, group="search", exit_on_error=False, name="search", description="search")
    def _search(self, needle: str, sources: list, case: bool, top: int, view_of: list | None) -> None:
        worker = get_current_worker()
        total = sum(s.indexed for s in sources) or 1
        done_before = 0
        found: list[int] = []
        for number, source in enumerate(sources):
            def progress(done, _size, base=done_before):
                self.app.call_from_thread(self._search_progress, needle, (base + done) / total)

            hits = source.search(needle, case, progress=progress, cancelled=lambda: worker.is_cancelled)
            found += [view_of[number][n] for n in hits if n < len(view_of[number])] if view_of else hits
            done_before += source.indexed
        if not worker.is_cancelled:
            self.app.call_from_thread(self._searched, needle, sorted(found), top)

    def _search_progress(self, needle: str, fraction: float) -> None:
        if needle == self.needle and self.searching is not None:
            self.searching = fraction
            self.post_message(self.StatusChanged())

    def _searched(self, needle: str, found: list[int], top: int) -> None:
        if needle != self.needle:
            return
        self.searching = None
        self.matches = [v for v in found if v < self.line_count]
        if self.matches:
            after = [n for n, line in enumerate(self.matches) if line >= top]
            self._jump(after[0] if after else 0)
        else:
            self.refresh()
            self.post_message(self.StatusChanged())

    def next_match(self, step: int = 1) -> bool:
        if not self.matches:
            return False
        self._jump((self.current + step) % len(self.matches) if self.current >= 0 else 0)
        return True

    def _jump(self, number: int) -> None:
        self.current = number
        self.set_follow(False)
        line = self.matches[number]
        self._programmatic = True
        try:
            self.scroll_to(y=max(line - self.scrollable_content_region.height // 2, 0), animate=False,
                           immediate=True)
        finally:
            self._programmatic = False
        self.refresh()
        self.post_message(self.StatusChanged())

    # -- rendering -------------------------------------------------------------------------
    def _styled(self, view_line: int, text: Text) -> Text:
        if not self.needle:
            return text
        text = text.copy()
        haystack = text.plain if self._case else text.plain.lower()
        current = 0 <= self.current < len(self.matches) and self.matches[self.current] == view_line
        style = self.get_component_rich_style("logview--current" if current else "logview--match")
        start = haystack.find(self.needle)
        while start >= 0:
            text.stylize(style, start, start + len(self.needle))
            start = haystack.find(self.needle, start + len(self.needle))
        return text

    def _wrapped_rows(self, view_line: int, width: int) -> list[Text]:
        text = self._styled(view_line, self._text(view_line))
        if text.cell_len <= width:
            return [text]
        return list(text.wrap(self.app.console, width, overflow="fold", no_wrap=False))

    def _wrap_layout(self, height: int, width: int) -> list[tuple[int, int]]:
        """(view line, row of that line) per screen row: from the top line, or up from the end when following."""
        key = (int(self.scroll_y), height, width, self.line_count, self.follow)
        if key == self._layout_key:
            return self._layout
        rows: list[tuple[int, int]] = []
        if self.follow or int(self.scroll_y) >= self.max_scroll_y:
            line = self.line_count - 1
            while line >= 0 and len(rows) < height:
                count = len(self._wrapped_rows(line, width))
                rows[:0] = [(line, part) for part in range(count)]
                line -= 1
            rows = rows[-height:]
        else:
            line = int(self.scroll_y)
            while line < self.line_count and len(rows) < height:
                count = len(self._wrapped_rows(line, width))
                rows += [(line, part) for part in range(count)]
                line += 1
            rows = rows[:height]
        self._layout_key, self._layout = key, rows
        return rows

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        style = self.rich_style
        if self.wrap:
            layout = self._wrap_layout(self.scrollable_content_region.height, width)
            if y >= len(layout):
                return Strip.blank(width, style)
            line, part = layout[y]
            rows = self._wrapped_rows(line, width)
            text = rows[part] if part < len(rows) else Text("")
            scroll_x = 0
        else:
            line = self.top_line + y
            if line >= self.line_count:
                return Strip.blank(width, style)
            text = self._styled(line, self._text(line))
            scroll_x = int(self.scroll_x)
        text = text.copy()
        text.stylize_before(style)
        strip = Strip(text.render(self.app.console), text.cell_len)
        return strip.crop_extend(scroll_x, scroll_x + width, style)
