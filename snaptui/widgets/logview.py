"""A bounded, followable log view: Textual's `Log` plus follow/pause, search and wrap.

Only visible lines are decoded (ANSI colours and all); the number of lines kept is
bounded; while paused, new lines wait in a bounded buffer so the view stays still.
"""
from __future__ import annotations

import re
from collections import deque
from typing import Iterable

from rich.style import Style
from rich.text import Text
from textual.message import Message
from textual.strip import Strip
from textual.widgets import Log

_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(\x07|\x1b\\)?|\x1b[@-_]")
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f]")
_SEPARATORS = re.compile("[\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")


def clean_line(line: str) -> str:
    """What a terminal would show of a line: the last '\\r'-separated frame (progress bars)."""
    if "\r" in line:
        frames = [f for f in line.split("\r") if f]
        line = frames[-1] if frames else ""
    return _SEPARATORS.sub(" ", line) or " "   # Log drops empty lines and splits on these


def plain(line: str) -> str:
    return _CONTROL.sub("", _ANSI.sub("", line))


class LogView(Log):
    COMPONENT_CLASSES = {"logview--match", "logview--current"}

    class StatusChanged(Message):
        """Follow, pending lines, wrap or search changed: the screen redraws its status line."""

    def __init__(self, max_lines: int = 10_000, *, id: str | None = None) -> None:
        super().__init__(max_lines=max_lines, auto_scroll=True, id=id)
        self.raw: deque[str] = deque(maxlen=max_lines)   # the source lines (wrap re-derives the view)
        self.pending: deque[str] = deque(maxlen=max_lines)
        self.new_lines = 0
        self.follow = True
        self.wrap = False
        self.needle = ""
        self.matches: list[int] = []
        self.current = -1
        self._programmatic = False
        self._wrap_width = 0

    # -- content --------------------------------------------------------------------------
    @classmethod
    def _process_line(cls, line: str) -> str:
        return plain(line.expandtabs())

    def reset(self) -> None:
        """Empty, following: a new stream or attempt starts at its end."""
        self.raw.clear()
        self.pending.clear()
        self.new_lines = 0
        self.follow = True
        self.matches, self.current = [], -1
        self.clear()
        self.post_message(self.StatusChanged())

    def add_lines(self, lines: Iterable[str]) -> None:
        lines = [clean_line(line) for line in lines]
        if not lines:
            return
        if not self.follow:
            self.pending.extend(lines)
            self.new_lines += len(lines)
            self.post_message(self.StatusChanged())
            return
        self._show(lines)

    def _show(self, lines: list[str]) -> None:
        self.raw.extend(lines)
        before = len(self._lines)
        shown = self._wrapped(lines) if self.wrap else lines
        self._programmatic = True
        try:
            self.write_lines(shown, scroll_end=self.follow)
        finally:
            self._programmatic = False
        if self.needle:
            if before + len(shown) > len(self._lines):  # old lines were pruned: positions moved
                self._find_all()
            else:
                self.matches += [before + i for i, line in enumerate(shown) if self._hit(line)]
                self.post_message(self.StatusChanged())

    def _wrapped(self, lines: Iterable[str]) -> list[str]:
        width = max(self.scrollable_content_region.width - 1, 10)
        self._wrap_width = width
        out: list[str] = []
        for line in lines:
            text = plain(line.expandtabs()) if "\x1b" in line else line.expandtabs()
            if len(text) <= width:
                out.append(text)
            else:
                out.extend(text[i:i + width] for i in range(0, len(text), width))
        return out

    def _redisplay(self) -> None:
        self._programmatic = True
        try:
            self.clear()
            self._render_line_cache.clear()
            self.write_lines(self._wrapped(self.raw) if self.wrap else list(self.raw), scroll_end=self.follow)
        finally:
            self._programmatic = False
        if self.needle:
            self._find_all()

    def on_resize(self) -> None:
        if self.wrap and self.scrollable_content_region.width - 1 != self._wrap_width:
            self._redisplay()

    # -- follow ---------------------------------------------------------------------------
    def set_follow(self, follow: bool) -> None:
        if follow == self.follow:
            return
        self.follow = follow
        if follow:
            waiting = list(self.pending)
            self.pending.clear()
            self.new_lines = 0
            if waiting:
                self._show(waiting)
            self._programmatic = True
            try:
                self.scroll_end(animate=False, immediate=True, x_axis=False)
            finally:
                self._programmatic = False
        self.post_message(self.StatusChanged())

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        if self.follow and not self._programmatic and new_value < old_value and new_value < self.max_scroll_y:
            self.set_follow(False)   # the user scrolled up: stop following

    def action_scroll_end(self) -> None:
        self.set_follow(True)   # End follows again, as in less +F and toolong
        super().action_scroll_end()

    def set_wrap(self, wrap: bool) -> None:
        self.wrap = wrap
        self._redisplay()
        self.post_message(self.StatusChanged())

    # -- search ---------------------------------------------------------------------------
    def _hit(self, line: str) -> bool:
        return self.needle in (line if self._case else line.lower())

    @property
    def _case(self) -> bool:
        return self.needle != self.needle.lower()   # smart case

    def _find_all(self) -> None:
        self.matches = [i for i, line in enumerate(self._lines) if self._hit(line)]
        self.current = min(self.current, len(self.matches) - 1)
        self._render_line_cache.clear()
        self.refresh()
        self.post_message(self.StatusChanged())

    def search(self, needle: str) -> bool:
        """Highlight every match and jump to the first one at or after the top of the view."""
        self.needle = needle
        self.current = -1
        self._find_all()
        if not needle or not self.matches:
            return False
        top = int(self.scroll_y)
        after = [n for n, line in enumerate(self.matches) if line >= top]
        self._jump(after[0] if after else 0)
        return True

    def next_match(self, step: int = 1) -> bool:
        if not self.matches:
            return False
        self._jump((self.current + step) % len(self.matches) if self.current >= 0 else 0)
        return True

    def _jump(self, number: int) -> None:
        self.current = number
        self.set_follow(False)
        line = self.matches[number]
        self._render_line_cache.clear()
        self.scroll_to(y=max(line - self.scrollable_content_region.height // 2, 0), animate=False, immediate=True)
        self.refresh()
        self.post_message(self.StatusChanged())

    # -- rendering ------------------------------------------------------------------------
    def _render_line_strip(self, y: int, rich_style: Style) -> Strip:
        selection = self.text_selection
        if selection is None and y in self._render_line_cache:
            return self._render_line_cache[y]
        raw = self._lines[y]
        text = Text.from_ansi(raw.expandtabs(), no_wrap=True) if "\x1b" in raw else Text(plain(raw.expandtabs()),
                                                                                           no_wrap=True)
        text.stylize_before(rich_style)
        if self.needle:
            haystack = text.plain if self._case else text.plain.lower()
            current = self.current >= 0 and self.matches and self.matches[self.current] == y
            style = self.get_component_rich_style("logview--current" if current else "logview--match")
            start = haystack.find(self.needle)
            while start >= 0:
                text.stylize(style, start, start + len(self.needle))
                start = haystack.find(self.needle, start + len(self.needle))
        if selection is not None and (span := selection.get_span(y - self._clear_y)) is not None:
            start, end = span
            text.stylize(self.screen.get_component_rich_style("screen--selection"), start,
                         len(text) if end == -1 else end)
        strip = Strip(text.render(self.app.console), text.cell_len)
        if selection is None:
            self._render_line_cache[y] = strip
        return strip
