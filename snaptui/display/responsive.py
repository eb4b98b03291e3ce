"""Keeping the UI thread responsive while a large sweep is read in a thread.

Full garbage collections. A 100,000-job sweep is ~500,000 objects the cyclic collector tracks. While they are read
the heap keeps growing by a quarter, which starts a full collection each time, over every object: 0.1-0.2 s
with the GIL held, whichever thread allocated last, so the screen froze that long (measured with
gc.callbacks: the stalls of a key pressed while reading were these passes). Jobs read are moved to
the collector's permanent generation (gc.freeze, O(1)) as they are filed, so later passes skip
them; the screen holding them gives them back (gc.unfreeze) when it goes, so what it held is freed.
Jobs and their attempts hold no reference cycles: refcounting frees them either way. (A sweep screen
left just before another opens may be frozen again with it, and is then collected when that one goes.)

The GIL. While the reading thread decodes pages, each time the UI thread wakes (a key, a timer, a
frame) it waits up to the switch interval (5 ms) for the GIL, several times between a key and its
frame; `quick_switches` lowers the interval to 1 ms for as long as the read lasts.
"""
from __future__ import annotations

import gc
import sys
from contextlib import contextmanager
from typing import Iterator

SWITCH_INTERVAL_S = 0.001

_holders: set[int] = set()


def keep(holder: object) -> None:
    """Objects alive now are long-lived: no full collection looks at them again until `release`."""
    _holders.add(id(holder))
    gc.freeze()


def release(holder: object) -> None:
    """`holder` is going: once no holder is left, every frozen object is collected as usual again."""
    _holders.discard(id(holder))
    if not _holders:
        gc.unfreeze()


@contextmanager
def quick_switches() -> Iterator[None]:
    """The GIL changes hands every SWITCH_INTERVAL_S inside (the interval is the process's: restored after)."""
    before = sys.getswitchinterval()
    sys.setswitchinterval(min(before, SWITCH_INTERVAL_S))
    try:
        yield
    finally:
        sys.setswitchinterval(before)
