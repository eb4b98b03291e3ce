"""Keeping the garbage collector's full passes short while a large sweep is read.

A 100,000-job sweep is ~500,000 objects the cyclic collector tracks. While they are read the heap
keeps growing by a quarter, which starts a full collection each time, over every object: 0.1-0.2 s
with the GIL held, whichever thread allocated last, so the screen froze that long (measured with
gc.callbacks: the stalls of a key pressed while reading were these passes). Jobs read are moved to
the collector's permanent generation (gc.freeze, O(1)) as they are filed, so later passes skip
them; the screen holding them gives them back (gc.unfreeze) when it goes, so what it held is freed.
Jobs and their attempts hold no reference cycles: refcounting frees them either way.
"""
from __future__ import annotations

import gc

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
