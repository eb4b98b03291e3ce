"""A job table's rows sorted by a column, taking a batch of jobs in time proportional to the batch."""
from __future__ import annotations

from bisect import bisect_left, bisect_right, insort
from collections.abc import Sequence
from itertools import accumulate, chain, islice

CHUNK = 1000   # rows per chunk after a split: an insert moves at most ~2 * CHUNK references


class SortedRows(Sequence):
    """Job indexes in the order of their (sort value, index) keys, held in sorted chunks. `add` files k
    jobs among n in ~k * (log n + CHUNK) steps: merging a page read in the background into a 100,000-row
    table sorted by state no longer goes over every row (the whole re-sort cost ~0.1 s each time).
    Reversed, position p is the ascending order's n - 1 - p."""

    def __init__(self, keyed: list[tuple], reverse: bool = False) -> None:
        """`keyed`: (sort value, job index) pairs sorted ascending."""
        self.reverse = reverse
        self._key_of = {item[1]: item for item in keyed}   # job index -> its (sort value, index)
        self._chunks = [keyed[start:start + CHUNK] for start in range(0, len(keyed), CHUNK)]
        self._maxes = [chunk[-1] for chunk in self._chunks]
        self._offsets: list[int] | None = None
        self._len = len(keyed)

    def add(self, keyed: list[tuple]) -> None:
        """More (sort value, job index) pairs, of jobs not among the rows."""
        chunks, maxes = self._chunks, self._maxes
        for item in keyed:
            self._key_of[item[1]] = item
            if not chunks:
                chunks.append([item])
                maxes.append(item)
                continue
            c = min(bisect_left(maxes, item), len(chunks) - 1)
            chunk = chunks[c]
            insort(chunk, item)
            maxes[c] = chunk[-1]
            if len(chunk) > 2 * CHUNK:
                chunks[c:c + 1] = [chunk[:CHUNK], chunk[CHUNK:]]
                maxes[c:c + 1] = [chunk[CHUNK - 1], chunk[-1]]
        self._len += len(keyed)
        self._offsets = None

    def _starts(self) -> list[int]:
        if self._offsets is None:
            self._offsets = [0, *accumulate(len(chunk) for chunk in self._chunks)]
        return self._offsets

    def __len__(self) -> int:
        return self._len

    def __getitem__(self, position):
        if isinstance(position, slice):
            return list(islice(self, *position.indices(self._len)))
        if position < 0:
            position += self._len
        if not 0 <= position < self._len:
            raise IndexError(position)
        if self.reverse:
            position = self._len - 1 - position
        starts = self._starts()
        c = bisect_right(starts, position) - 1
        return self._chunks[c][position - starts[c]][1]

    def __iter__(self):
        items = chain.from_iterable(reversed(c) for c in reversed(self._chunks)) if self.reverse \
            else chain.from_iterable(self._chunks)
        return (index for _, index in items)

    def __contains__(self, index) -> bool:
        return index in self._key_of

    def index(self, index, *_bounds) -> int:
        key = self._key_of.get(index)
        if key is None:
            raise ValueError(f"{index!r} is not among the rows")
        c = bisect_left(self._maxes, key)
        position = self._starts()[c] + bisect_left(self._chunks[c], key)
        return self._len - 1 - position if self.reverse else position

    def __eq__(self, other) -> bool:
        return isinstance(other, Sequence) and len(other) == self._len and list(self) == list(other)

    __hash__ = None
