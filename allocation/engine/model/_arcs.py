"""Arcs: which source may give units to which order, at what ETA and money, built with NumPy.

An order can take units from a source when the source holds a part the order may use (its
own part or, with substitutes on, any part its supersession chain reaches), a route leads
from the source's origin to the order's country, and policy lets the order's class use the
arc's kind:

- ``stock``: on hand at the order's home depot;
- ``transfer``: on hand at another depot, or a receipt landing at another depot;
- ``inbound``: a receipt landing at the order's home depot;
- ``expedite`` / ``broker``: a supply option, after its lead time.

An arc a planner's override forbids (:mod:`allocation.domain.overrides`) is never built.

ETA (hours from the context's moment) = when the source can release the unit + transit;
with the policy's ``broker_risk: priced``, a broker arc's ETA is its buy's expected ETA
(:func:`allocation.engine.objective.broker_expected_eta`), the one place it is priced.
Money per unit = transit cost + the option's price (stock already owned costs only transit).
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Any

import numpy as np
import numpy.typing as npt

from allocation.domain.model import PriorityClass, SourceBase, SourceKind
from allocation.engine.model._context import Context
from allocation.engine.model._orders import CLASSES, OrderColumns
from allocation.engine.model._overrides import forbidden_arcs
from allocation.engine.model._sources import SourceColumns
from allocation.engine.objective import broker_expected_eta

__all__ = ["ARC_KEYS", "Arcs", "arcs_like", "build_arcs"]

IntArray = npt.NDArray[np.int64]
_FEW = 16  # up to this many orders, per-order Python beats NumPy's fixed costs
ARC_KEYS = ("part_code", "class_code", "home_code", "country_col")
"""The order columns an order's arcs depend on (besides the sources)."""


@dataclass(frozen=True)
class Arcs:
    """Source→order arcs as parallel arrays (positions index sources and orders).

    ``kind`` holds :attr:`SourceKind.code <allocation.domain.model.SourceKind.code>`
    values; ``allowed`` is false only for arcs kept to say what policy forbids.
    """

    source: IntArray
    order: IntArray
    kind: npt.NDArray[np.int8]
    eta_hours: npt.NDArray[np.float64]
    money: npt.NDArray[np.float64]
    allowed: npt.NDArray[np.bool_]

    def __len__(self) -> int:
        return len(self.source)

    def take(self, mask: npt.NDArray[Any]) -> Arcs:
        """The arcs selected by a mask or an index array."""
        return Arcs(*(getattr(self, f.name)[mask] for f in fields(self)))

    @staticmethod
    def concat(parts: list[Arcs]) -> Arcs:
        """Arcs of several lists, one after another (indices as they are)."""
        if len(parts) == 1:
            return parts[0]
        return Arcs(*(np.concatenate([getattr(p, f.name) for p in parts]) for f in fields(Arcs)))

    @staticmethod
    def empty() -> Arcs:
        """No arcs."""
        i = np.zeros(0, dtype=np.int64)
        return Arcs(i, i, np.zeros(0, np.int8), np.zeros(0), np.zeros(0), np.zeros(0, bool))


def build_arcs(
    orders: OrderColumns,
    sources: SourceColumns,
    context: Context,
    order_rows: IntArray,
    only_allowed: bool,
) -> Arcs:
    """Arcs from every usable source to the given orders (vectorised), grouped by order in
    the sequence the orders are given.

    With ``only_allowed`` the arcs policy forbids are left out; without it they are kept
    with ``allowed`` false (the explanation uses them to say what policy costs an order).
    """
    if len(order_rows) == 0 or len(sources) == 0:
        return Arcs.empty()
    order_rows = np.asarray(order_rows, dtype=np.int64)
    rep_order, use_part = _order_parts(orders, context, order_rows)
    # × candidate sources of that part. Orders whose class may use any depot get every
    # source of the part; the others only their home depot's stock and receipts (and the
    # supply options when their class may use them), which keeps the arcs near 5 per order.
    policy = context.policy
    wide = np.array([policy.allows(c, SourceKind.TRANSFER) for c in CLASSES]) | (not only_allowed)
    with_options = np.array(
        [
            policy.allows(c, SourceKind.EXPEDITE) or policy.allows(c, SourceKind.BROKER)
            for c in CLASSES
        ]
    )
    row_class = orders.class_code[rep_order]
    is_wide = wide[row_class]
    index = sources.index
    pieces = [index.expand(rep_order[is_wide], use_part[is_wide], None)]
    narrow = ~is_wide
    home = orders.home_code[rep_order[narrow]]
    # No home depot (code -1): no home stock. Slot -1 would be the previous part's options.
    housed = home >= 0
    pieces.append(index.expand(rep_order[narrow][housed], use_part[narrow][housed], home[housed]))
    opt = narrow & with_options[row_class]
    pieces.append(index.expand(rep_order[opt], use_part[opt], index.options_slot))
    arc_order = np.concatenate([p[0] for p in pieces])
    arc_source = np.concatenate([p[1] for p in pieces])
    if len(arc_source) == 0:
        return Arcs.empty()
    # Keep arcs grouped by order, in the sequence the orders were asked for.
    position = np.empty(len(orders), dtype=np.int64)
    position[order_rows] = np.arange(len(order_rows))
    by_order = np.argsort(position[arc_order], kind="stable")
    arc_order, arc_source = arc_order[by_order], arc_source[by_order]
    kind = _arc_kinds(sources, arc_source, orders.home_code[arc_order])
    eta, money = _arc_costs(orders, sources, context, arc_source, arc_order)
    reachable = np.isfinite(eta)
    forbidden = forbidden_arcs(orders, sources, arc_order, arc_source, kind, context)
    if forbidden is not None:  # a planner's override: no arc at all, allowed or not
        reachable &= ~forbidden
    allowed = _arc_allowed(sources, context, arc_source, orders.class_code[arc_order], kind)
    keep = reachable & allowed if only_allowed else reachable
    arcs = Arcs(arc_source, arc_order, kind, eta, money, allowed)
    return arcs if keep.all() else arcs.take(keep)


def arcs_like(orders: OrderColumns, arcs: Arcs, new: OrderColumns) -> Arcs | None:
    """Arcs for one new order (to be row ``len(orders)``), copied from the latest order of
    ``orders`` alike in :data:`ARC_KEYS`; None if no order is alike.

    An order's arcs depend on the sources and on those four codes of the order and on
    nothing else of it: an arrival alike to an order already planned over the same sources
    has that order's arcs, in the same sequence. ``arcs`` must be the allowed arcs of
    ``orders`` as :func:`build_arcs` makes them with ``only_allowed``.
    """
    if len(orders) == 0 or int(new.node[0]) < 0:
        return None  # an order with a node of its own has arcs of its own
    alike = orders.node >= 0
    for name in ARC_KEYS:
        alike &= getattr(orders, name) == int(getattr(new, name)[0])
    rows = np.flatnonzero(alike)
    if len(rows) == 0:
        return None
    copied = arcs.take(np.flatnonzero(arcs.order == rows[-1]))
    return replace(copied, order=np.full(len(copied), len(orders), dtype=np.int64))


def _order_parts(
    orders: OrderColumns, context: Context, order_rows: IntArray
) -> tuple[IntArray, IntArray]:
    """Order × usable part: itself, plus its chain's parts for the few that have one."""
    o_part = orders.part_code[order_rows]
    usable = context.usable
    if not usable:
        with_chain = np.zeros(len(o_part), dtype=bool)
    elif len(o_part) <= _FEW:
        # A set lookup: np.isin's sorting costs ~50 µs, a one-order arrival needs one lookup.
        with_chain = np.array([int(p) in usable for p in o_part.tolist()], dtype=bool)
    else:
        with_chain = np.isin(o_part, np.fromiter(usable, dtype=np.int64))
    if not with_chain.any():
        return order_rows, o_part.astype(np.int64)
    counts = np.ones(len(o_part), dtype=np.int64)
    chain_lists = [usable[int(p)] for p in o_part[with_chain]]
    counts[with_chain] = [len(u) for u in chain_lists]
    rep_order = np.repeat(order_rows, counts)
    use_part = np.repeat(o_part, counts)
    starts = np.cumsum(counts) - counts
    for start, chain in zip(starts[with_chain], chain_lists, strict=True):
        use_part[start : start + len(chain)] = chain
    return rep_order, use_part


def _arc_kinds(
    sources: SourceColumns, arc_source: IntArray, home: IntArray
) -> npt.NDArray[np.int8]:
    """Stock or inbound at the order's home depot, transfer from elsewhere, or an option."""
    base = sources.base[arc_source]
    at_home = sources.depot_code[arc_source] == home
    kind = np.full(len(arc_source), SourceKind.TRANSFER.code, dtype=np.int8)
    kind[(base == SourceBase.SHELF) & at_home] = SourceKind.STOCK.code
    kind[(base == SourceBase.RECEIPT) & at_home] = SourceKind.INBOUND.code
    kind[base == SourceBase.EXPEDITE] = SourceKind.EXPEDITE.code
    kind[base == SourceBase.BROKER] = SourceKind.BROKER.code
    return kind


def _arc_costs(
    orders: OrderColumns,
    sources: SourceColumns,
    context: Context,
    arc_source: IntArray,
    arc_order: IntArray,
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """ETA hours and money per unit: the source's release and price plus the route's."""
    hours, costs = context.routes.padded()
    # Routes: origin row × country column (a country no lane reaches: the padded column).
    flat = sources.origin_row[arc_source] * hours.shape[1] + orders.country_col[arc_order]
    eta = sources.release_hours[arc_source] + hours.ravel()[flat]
    money = sources.unit_price[arc_source] + costs.ravel()[flat]
    policy = context.policy
    if policy.broker_risk == "priced":  # a broker unit at its expected ETA, failures priced
        broker = sources.base[arc_source] == SourceBase.BROKER
        eta[broker] = broker_expected_eta(
            eta[broker],
            sources.success_probability[arc_source[broker]],
            policy.broker_failure_detected_hours,
            policy.broker_fallback_hours,
        )
    return eta, money


def _arc_allowed(
    sources: SourceColumns,
    context: Context,
    arc_source: IntArray,
    class_code: IntArray,
    kind: npt.NDArray[np.int8],
) -> npt.NDArray[np.bool_]:
    """Whether policy lets the order's class take units of the arc's kind from the source."""
    policy = context.policy
    allowed_table = np.array(
        [[policy.allows(c, k) for k in SourceKind] for c in PriorityClass], dtype=bool
    )
    allowed: npt.NDArray[np.bool_] = allowed_table[class_code, kind]
    if policy.protection:
        # Protected units (docs/explanation/rules.md, "Parts priority": Priority Management orders
        # first)
        # go to parts_priority orders only.
        held = sources.protected[arc_source]
        allowed &= ~held | (class_code == PriorityClass.PARTS_PRIORITY.code)
    if policy.min_success_probability > 0:
        allowed &= sources.success_probability[arc_source] >= policy.min_success_probability
    return allowed
