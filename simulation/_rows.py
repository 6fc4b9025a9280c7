"""Event records indexed once for the measures: each row's order and kind as integer codes.

Private to :mod:`simulation.metrics`; everything here is vectorised over event rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

ORDER_ATTRIBUTES = ("customer_id", "country", "priority_class", "tier", "part_number")


@dataclass(frozen=True)
class Rows:
    """Records read once: each row's order (index into ``orders``, or -1) and event kind.

    ``orders`` has, per ``order_created`` row, its order attributes, ``quantity``,
    ``created``, its home ``depot_id`` and ``lost_code`` (the row's ``detail``), and its
    ``need_by`` when the records have one (a world with response-time targets)."""

    orders: pd.DataFrame
    order_of_row: IntArray
    time: FloatArray
    quantity: FloatArray
    money: FloatArray
    event: IntArray
    events: pd.Index
    source: IntArray
    sources: pd.Index

    def is_event(self, name: str) -> BoolArray:
        return is_in(self.event, self.events, (name,))

    def is_source(self, *names: str) -> BoolArray:
        return is_in(self.source, self.sources, names)


def read_rows(records: pd.DataFrame) -> Rows:
    """Index the records once: the order table and, for every row, its order's position."""
    replication = records["replication"].to_numpy(np.int64)
    event, events = codes(records["event"])
    order_code, _ = codes(records["order_id"])
    key = replication * (int(order_code.max(initial=-1)) + 1) + order_code
    has_order = order_code >= 0
    created_rows = np.flatnonzero(has_order & is_in(event, events, ("order_created",)))
    sorter = np.argsort(key[created_rows], kind="stable")
    sorted_keys = key[created_rows][sorter]
    twice = np.flatnonzero(sorted_keys[1:] == sorted_keys[:-1])
    if len(twice):
        row = records.iloc[created_rows[sorter[twice[0]]]]
        raise ValueError(
            f"order {row['order_id']!r} is created twice in replication {row['replication']}"
        )
    if len(sorted_keys):
        at = np.minimum(np.searchsorted(sorted_keys, key), len(sorted_keys) - 1)
        found = has_order & (sorted_keys[at] == key)
        order_of_row = np.where(found, sorter[at], -1).astype(np.int64)
    else:
        order_of_row = np.full(len(records), -1, dtype=np.int64)
    due = ["need_by"] if "need_by" in records.columns else []
    kept = ["replication", "order_id", *ORDER_ATTRIBUTES, "quantity", "time", "depot_id"]
    orders = records.iloc[created_rows][[*kept, "detail", *due]].rename(
        columns={"time": "created", "detail": "lost_code"}
    )
    orders = orders.reset_index(drop=True)
    for name in ("order_id", *ORDER_ATTRIBUTES, "depot_id", "lost_code"):
        if isinstance(orders[name].dtype, pd.CategoricalDtype):
            orders[name] = orders[name].cat.remove_unused_categories()
    source, sources = codes(records["source_kind"])
    return Rows(
        orders=orders,
        order_of_row=order_of_row,
        time=records["time"].to_numpy(np.float64),
        quantity=records["quantity"].to_numpy(np.float64),
        money=records["money"].to_numpy(np.float64),
        event=event,
        events=events,
        source=source,
        sources=sources,
    )


def counts_at(
    event_cell: IntArray,
    event_time: FloatArray,
    event_delta: IntArray,
    query_cell: IntArray,
    query_time: FloatArray,
) -> tuple[IntArray, IntArray, FloatArray]:
    """The running sum of ``event_delta`` per cell at each query, queries sorted by cell, time.

    Events and queries are sorted together (an event at a query's time comes first); one
    cumulative sum, less its value where each cell starts, answers every query at once.
    """
    cell = np.concatenate((event_cell, query_cell))
    time = np.concatenate((event_time, query_time))
    is_query = np.concatenate((np.zeros(len(event_cell), bool), np.ones(len(query_cell), bool)))
    delta = np.concatenate((event_delta, np.zeros(len(query_cell), np.int64)))
    sort = np.lexsort((is_query, time, cell))
    cell, time, is_query, delta = cell[sort], time[sort], is_query[sort], delta[sort]
    running = np.cumsum(delta)
    first = np.ones(len(cell), dtype=bool)
    first[1:] = cell[1:] != cell[:-1]
    start = np.maximum.accumulate(np.where(first, np.arange(len(cell)), 0))
    count = running - (running[start] - delta[start]) if len(cell) else running
    return count[is_query].astype(np.int64), cell[is_query], time[is_query]


def grouped_percentiles(
    values: FloatArray, group: IntArray, n_groups: int, percentiles: Sequence[int]
) -> list[FloatArray]:
    """NumPy's linear percentiles of ``values`` within each group, all groups at once.

    The arithmetic is ``numpy.percentile``'s own (virtual index ``(n − 1)·q`` and its
    two-sided interpolation), so the results agree with it to the last bit.
    """
    sort = np.lexsort((values, group))
    ordered = values[sort]
    counts = np.bincount(group, minlength=n_groups).astype(np.float64)
    starts = (np.cumsum(counts) - counts).astype(np.int64)
    results = []
    for p in percentiles:
        q = p / 100
        virtual = (counts - 1) * q
        below = np.clip(np.floor(virtual), 0, np.maximum(counts - 1, 0))
        above = np.minimum(below + 1, np.maximum(counts - 1, 0))
        gamma = virtual - np.floor(virtual)
        a = ordered[starts + below.astype(np.int64)] if len(ordered) else counts
        b = ordered[starts + above.astype(np.int64)] if len(ordered) else counts
        diff = b - a
        results.append(np.where(gamma >= 0.5, b - diff * (1 - gamma), a + diff * gamma))
    return results


def end_times(records: pd.DataFrame) -> pd.Series:
    """Each replication's ``end`` time (its last event's time when it has no ``end`` row)."""
    times = records["time"]
    last = times.groupby(records["replication"]).max()
    is_end = (records["event"] == "end").to_numpy(bool)
    ends = times[is_end].groupby(records["replication"][is_end]).max()
    return ends.reindex(last.index).fillna(last).sort_index()


def codes(column: pd.Series) -> tuple[IntArray, pd.Index]:
    """Integer codes (−1 for missing) and their labels, cheap for categorical columns."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        return np.asarray(column.cat.codes, dtype=np.int64), pd.Index(column.cat.categories)
    codes, uniques = pd.factorize(column, use_na_sentinel=True)
    return codes.astype(np.int64), pd.Index(uniques)


def is_in(codes: IntArray, labels: pd.Index, wanted: Sequence[str]) -> BoolArray:
    positions = [labels.get_loc(name) for name in wanted if name in labels]
    return np.isin(codes, np.asarray(positions, dtype=np.int64))
