"""A job table's rows sorted by a column, filed a batch at a time: the order a whole sort gives."""
from __future__ import annotations

import random

from hypothesis import given, strategies as st

from snaptui.display import sortedrows
from snaptui.display.sortedrows import SortedRows


@given(st.lists(st.lists(st.integers(0, 5), max_size=60), max_size=8), st.booleans(), st.integers(0, 2**32))
def test_rows_filed_in_batches_are_in_the_order_of_one_sort(batches, reverse, seed):
    """Each job's sort value is a state-like rank (few distinct values, ties broken by the index); chunks
    of 4 so that batches split them. Positions, index(), membership and iteration agree with a list."""
    old_chunk, sortedrows.CHUNK = sortedrows.CHUNK, 4
    try:
        jobs = iter(random.Random(seed).sample(range(10_000), sum(map(len, batches))))
        keyed = [[(rank, next(jobs)) for rank in batch] for batch in batches]
        first = sorted(keyed[0]) if keyed else []
        rows = SortedRows(first, reverse=reverse)
        for batch in keyed[1:]:
            rows.add(batch)
        whole = [index for _, index in sorted((item for batch in keyed for item in batch), reverse=reverse)]
        assert list(rows) == whole and rows == whole and len(rows) == len(whole)
        assert [rows[p] for p in range(len(whole))] == whole and rows[:3] == whole[:3]
        assert all(rows.index(index) == p for p, index in enumerate(whole))
        assert all(index in rows for index in whole) and -1 not in rows
    finally:
        sortedrows.CHUNK = old_chunk
