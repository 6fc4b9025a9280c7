"""An arrival ranked over Python's lists takes what the arrays' lone-order rule gives."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from allocation.engine.incremental._shortcuts import _served_from_free_few
from allocation.engine.objective import served_from_free, tie_break
from tests.budget import examples

_LATER = 1 << 40


@st.composite
def _arrivals(draw: st.DrawFn) -> tuple:
    n = draw(st.integers(1, 8))
    small = st.integers(0, 2)  # few distinct values: ties on every level
    ticks = draw(st.lists(small, min_size=n, max_size=n))
    cents = draw(st.lists(small, min_size=n, max_size=n))
    hashes = draw(
        st.lists(
            st.sampled_from([3, 3 | _LATER, 12345, 2**31 - 1, 99 | _LATER]), min_size=n, max_size=n
        )
    )
    units = draw(st.lists(st.integers(0, 4), min_size=n, max_size=n))
    free = [draw(st.integers(0, u)) for u in units]
    key = draw(st.sampled_from([0, 7, -3, 2**50, -(2**40)]))
    need = draw(st.integers(1, 10))
    return ticks, cents, hashes, units, free, key, need


@settings(max_examples=examples(300), deadline=None)
@given(_arrivals())
def test_the_few_sources_way_takes_what_the_arrays_take(arrival: tuple) -> None:
    ticks, cents, hashes, units, free, key, need = (
        np.array(x, dtype=np.int64) if isinstance(x, list) else x for x in arrival
    )
    arrays = served_from_free(
        ticks, cents, tie_break(np.full(len(ticks), key), hashes), units, free, need
    )
    lists = _served_from_free_few(ticks, cents, key, hashes, units, free, need)
    if arrays is None:
        assert lists is None
    else:
        assert lists is not None
        assert lists.tolist() == arrays.tolist()
