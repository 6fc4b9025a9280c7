"""The planner's overrides in the engine's arrays: forbidden arcs, own nodes, firmed units.

Overrides name orders by id (:mod:`allocation.domain.overrides`), so they hold for the
order whichever problem, part group, shard or re-plan holds it. Three things follow:

- a forbidden (order, kind, origin) is an arc :func:`forbidden_arcs` marks, and
  :func:`~allocation.engine.model.build_arcs` — where every arc of every strategy is made —
  leaves it out;
- an order with a forbidden source has arcs unlike those of the orders it would otherwise
  share a node with, so it gets a node of its own (:func:`own_nodes`): the optimizer merges
  only orders with the same arcs, and the incremental planner copies arcs only between them;
- firmed units are a flow fixed before any solve (:func:`firm_flow`): the strategies solve
  what is left of supply and need, and add them back.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt
import pandas as pd

from allocation.engine.model._context import Context
from allocation.errors import InputError

if TYPE_CHECKING:  # the order columns use this module to make their nodes
    from allocation.engine.model._orders import OrderColumns
    from allocation.engine.model._sources import SourceColumns

__all__ = ["FirmError", "firm_flow", "forbidden_arcs", "own_nodes"]

IntArray = npt.NDArray[np.int64]
_OWN = np.int64(1) << np.int64(62)


class FirmError(InputError):
    """A firmed line the plan cannot hold: no such source for the order, or too few units."""


def own_nodes(order_id: npt.NDArray[np.object_], node: IntArray, context: Context) -> IntArray:
    """``node`` with a node of its own for every order that has a forbidden source.

    Such a node is negative (ordinary nodes are not) and a hash of the order id, so it is
    the same in every process and batch, whatever the row order.

    >>> from allocation.domain.overrides import Forbid, Overrides
    >>> from allocation.domain.model import SourceKind
    >>> class _C:  # a stand-in for a context: only its overrides are read
    ...     overrides = Overrides(forbid=(Forbid("b", SourceKind.BROKER, None),))
    >>> nodes = own_nodes(np.array(["a", "b"], dtype=object), np.array([5, 5]), _C())
    >>> int(nodes[0]), bool(nodes[1] < 0)
    (5, True)
    """
    ids = context.overrides.forbidding()
    if not ids or len(order_id) == 0:
        return node
    mine = pd.Series(order_id, dtype=object).isin(ids).to_numpy()
    if not mine.any():
        return node
    hashed = (pd.util.hash_array(order_id[mine].astype(object)) >> np.uint64(2)).astype(np.int64)
    out = node.copy()
    out[mine] = -1 - (hashed % _OWN)
    return out


def forbidden_arcs(
    orders: OrderColumns,
    sources: SourceColumns,
    arc_order: IntArray,
    arc_source: IntArray,
    kind: npt.NDArray[np.int8],
    context: Context,
) -> npt.NDArray[np.bool_] | None:
    """Which arcs an override forbids; None when none does (the usual case, at no cost)."""
    forbid = context.overrides.forbid
    if not forbid:
        return None
    ids = orders.order_id[arc_order]
    touched = np.flatnonzero(pd.Series(ids, dtype=object).isin({f.order_id for f in forbid}))
    if len(touched) == 0:
        return None
    out = np.zeros(len(arc_order), dtype=bool)
    for f in forbid:
        hit = touched[ids[touched] == f.order_id]
        hit = hit[kind[hit] == f.kind.code]
        if f.origin is not None:
            hit = hit[sources.origin[arc_source[hit]] == f.origin]
        out[hit] = True
    return out


def firm_flow(
    orders: OrderColumns,
    sources: SourceColumns,
    arc_order: IntArray,
    arc_source: IntArray,
    kind: npt.NDArray[np.int8],
    eta_hours: npt.NDArray[np.float64],
    context: Context,
) -> IntArray | None:
    """Units firmed on each arc (None when nothing is firmed among these orders).

    A firm names an order, a kind and an origin; several sources may match (receipts
    landing at one depot at other times, a part and its substitute): the units come from
    the order's own part first, then the soonest, then by source position. Raises
    :class:`FirmError` when the order has no such allowed source, when it is firmed beyond
    its quantity, or when the sources hold fewer units than all firms on them take.
    """
    firms = context.overrides.firm
    if not firms or len(orders) == 0:
        return None
    named = {f.order_id for f in firms}
    present = set(orders.order_id[pd.Series(orders.order_id, dtype=object).isin(named)].tolist())
    if not present:
        return None
    flow = np.zeros(len(arc_order), dtype=np.int64)
    left = sources.quantity.copy()
    asked: dict[str, int] = {}
    ids = orders.order_id[arc_order]
    for f in firms:
        if f.order_id not in present:
            continue
        row = int(np.flatnonzero(orders.order_id == f.order_id)[0])
        asked[f.order_id] = asked.get(f.order_id, 0) + f.quantity
        if asked[f.order_id] > int(orders.quantity[row]):
            raise FirmError(
                f"overrides: {f.describe()}: the order asks for only {orders.quantity[row]}"
            )
        hit = np.flatnonzero(
            (ids == f.order_id) & (kind == f.kind.code) & (sources.origin[arc_source] == f.origin)
        )
        if len(hit) == 0:
            raise FirmError(
                f"overrides: {f.describe()}: the order has no such source "
                "(none there, none it may use, or none reaches it)"
            )
        substitute = sources.part_code[arc_source[hit]] != orders.part_code[row]
        hit = hit[np.lexsort((arc_source[hit], eta_hours[hit], substitute))]
        need = f.quantity
        for a in hit.tolist():
            s = int(arc_source[a])
            give = min(need, int(left[s]))
            flow[a] += give
            left[s] -= give
            need -= give
        if need > 0:
            raise FirmError(
                f"overrides: {f.describe()}: only {f.quantity - need} unit(s) left there"
            )
    return flow
