"""The root cause of every short or late order of a run, decided from its event records.

Private to :mod:`simulation.metrics` (the ``code`` column of
:func:`~simulation.metrics.order_outcomes`). Codes are those of the catalogue
(:mod:`allocation.domain.root_causes`). An order needs one when it was short on arrival (not
filled from stock at once) or late (down longer than the target); it gets the first of these
that holds, in this order:

==========================  ===================================================================
code                        when
==========================  ===================================================================
``broker_failed``           a broker buy for it failed (``purchase_failed``)
``depot_offline``           its home depot was offline when it arrived
``supply_cut``              its part was under a ``supply_cut`` disruption while it waited
``no_route``                no depot reaches it (no home depot)
``waiting_for_receipt``     units of a receipt were promised to it (``reserved``), or a depot's
                            units reached it after its arrival (they landed in a receipt later)
``slow_source``             every unit was found at its arrival, or some were bought by
                            expedite, broker or the emergency channel: the source's lead time,
                            not the lack of units, kept it waiting
``no_stock_anywhere``       otherwise: nothing that could reach it was there
==========================  ===================================================================

The precedence goes from what happened to the world (a failed buy, an outage, a cut) to how
the order was served. The engine's allocation codes (held by a higher class, protection...)
are not in the records: the world decides single orders without the engine, so it has no
plan to read them from, and they are not guessed here. Everything is vectorised over rows.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import pandas as pd

import allocation.domain.root_causes as causes
from simulation._rows import BoolArray, FloatArray, Rows, counts_at
from simulation.scenario.model import Scenario, SupplyCut
from simulation.scenario.parts import match_parts

CutWindow = tuple[float, float, Sequence[str]]
"""A supply cut: its start and end (hours) and its parts (patterns; empty: every part)."""

PRECEDENCE: tuple[str, ...] = (
    causes.BROKER_FAILED,
    causes.DEPOT_OFFLINE,
    causes.SUPPLY_CUT,
    causes.NO_ROUTE,
    causes.WAITING_FOR_RECEIPT,
    causes.SLOW_SOURCE,
    causes.NO_STOCK_ANYWHERE,
)
"""The codes an order's wait can get, first match wins."""


def cut_windows(scenario: Scenario) -> list[CutWindow]:
    """The scenario's supply cuts as windows in hours."""
    return [
        (d.start_day * 24.0, d.end_day * 24.0, tuple(d.parts))
        for d in scenario.disruptions
        if isinstance(d, SupplyCut)
    ]


def wait_codes(
    records: pd.DataFrame,
    rows: Rows,
    *,
    needs_code: BoolArray,
    at_arrival: BoolArray,
    wait_end: FloatArray,
    supply_cuts: Sequence[CutWindow] = (),
) -> npt.NDArray[np.object_]:
    """Each order's code (None where ``needs_code`` is false), by the module's precedence.

    ``at_arrival`` marks the record rows at their order's creation moment; ``wait_end`` is
    when each order stopped waiting (restored, lost, or the end of the run).
    """
    orders = rows.orders
    n = len(orders)
    of = rows.order_of_row
    quantity = orders["quantity"].to_numpy(np.float64)

    def per_order(mask: BoolArray, weights: FloatArray | None = None) -> FloatArray:
        keep = mask & (of >= 0)
        w = None if weights is None else weights[keep]
        return np.bincount(of[keep], weights=w, minlength=n).astype(np.float64)

    allocated = rows.is_event("allocated")
    from_shelf = allocated & rows.is_source("stock", "transfer", "inbound")
    found_at_once = per_order(allocated & at_arrival, rows.quantity) >= quantity
    bought = per_order(allocated & rows.is_source("expedite", "broker", "emergency")) > 0
    conditions = [
        per_order(rows.is_event("purchase_failed")) > 0,
        _offline_at_arrival(records, rows),
        _under_cut(orders, wait_end, supply_cuts),
        orders["depot_id"].isna().to_numpy(bool),
        (per_order(rows.is_event("reserved")) > 0) | (per_order(from_shelf & ~at_arrival) > 0),
        found_at_once | bought,
    ]
    chosen = np.select(conditions, list(PRECEDENCE[:-1]), default=PRECEDENCE[-1])
    codes: npt.NDArray[np.object_] = chosen.astype(object)
    codes[~needs_code] = None
    return codes


def lost_codes(detail: pd.Series) -> pd.Series:
    """The lost-priority codes in ``order_created`` rows' details (None where there is none):
    ``excluded_country`` or ``not_entitled:<rule>``."""
    found, labels = pd.factorize(detail.astype(object), use_na_sentinel=True)
    names = np.array(
        [label if causes.is_code(str(label)) and _is_lost(str(label)) else None for label in labels]
        + [None],
        dtype=object,
    )
    return pd.Series(names[found], index=detail.index, dtype=object)


def _is_lost(code: str) -> bool:
    return causes.cause(code).origin == "entitlement"


def _offline_at_arrival(records: pd.DataFrame, rows: Rows) -> BoolArray:
    """Whether each order's home depot was offline at its creation (an outage starting at
    that very moment counts; one ending then does not)."""
    orders = rows.orders
    off, on = rows.is_event("depot_offline"), rows.is_event("depot_online")
    changes = np.flatnonzero(off | on)
    result = np.zeros(len(orders), dtype=bool)
    if not len(changes) or not len(orders):
        return result
    event_depot = records["depot_id"].to_numpy(dtype=object)[changes]
    order_depot = orders["depot_id"].to_numpy(dtype=object)
    depot, _ = pd.factorize(np.concatenate([event_depot, order_depot]), use_na_sentinel=True)
    event_rep = records["replication"].to_numpy(np.int64)[changes]
    order_rep = orders["replication"].to_numpy(np.int64)
    rep, _ = pd.factorize(np.concatenate([event_rep, order_rep]))
    cell = rep.astype(np.int64) * (int(depot.max(initial=0)) + 1) + depot
    k = len(changes)
    asked = np.flatnonzero(depot[k:] >= 0)
    query_cell, query_time = cell[k:][asked], orders["created"].to_numpy(np.float64)[asked]
    sort = np.lexsort((query_time, query_cell))
    delta = np.where(off[changes], 1, -1).astype(np.int64)
    known = depot[:k] >= 0
    counts, _, _ = counts_at(
        cell[:k][known],
        rows.time[changes][known],
        delta[known],
        query_cell[sort],
        query_time[sort],
    )
    result[asked[sort]] = counts > 0
    return result


def _under_cut(
    orders: pd.DataFrame, wait_end: FloatArray, windows: Sequence[CutWindow]
) -> BoolArray:
    """Whether a supply cut of each order's part overlapped its wait."""
    result = np.zeros(len(orders), dtype=bool)
    if not windows or not len(orders):
        return result
    part, labels = pd.factorize(orders["part_number"].astype(object), use_na_sentinel=True)
    names = [str(label) for label in labels]
    created = orders["created"].to_numpy(np.float64)
    end = np.maximum(wait_end, created)
    for low, high, patterns in windows:
        named = np.append(match_parts(list(patterns), names), False)  # -1: no part
        result |= named[part] & (created < high) & (end >= low)
    return result
