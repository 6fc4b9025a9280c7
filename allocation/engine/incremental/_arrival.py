"""What an arrival appends to its group's problem: one order's row and its arcs, as arrays.

An arrival grows a group by one order and its few arcs. :meth:`OrderColumns.concat` and
:meth:`Arcs.concat` serve any number of tables and ask :func:`dataclasses.fields` for the
columns on every call; an arrival appends to one table, a dozen times per post, so the
columns are named once here. The result is the same arrays, in the same order.

The service decides an order's entitlement at intake (it stores the class, tier and
country in the order's row) and hands that decision to the planner (:class:`Decided`), so
that an arrival is not decided a second time.
"""

from __future__ import annotations

from dataclasses import fields
from typing import NamedTuple

import numpy as np

from allocation.domain.model import PriorityClass, Tier
from allocation.engine.model import Arcs, OrderColumns

__all__ = ["Decided", "append_arcs", "append_order"]

_ORDER_FIELDS = tuple(f.name for f in fields(OrderColumns))
_ARC_FIELDS = tuple(f.name for f in fields(Arcs))


class Decided(NamedTuple):
    """An order's entitlement as decided at intake: its priority class, tier and site
    country (what :func:`~allocation.domain.entitlement.decide_entitlement` gave it)."""

    priority_class: PriorityClass
    tier: Tier
    country: str


def append_order(orders: OrderColumns, new: OrderColumns) -> OrderColumns:
    """``orders`` followed by ``new``: what ``OrderColumns.concat([orders, new])`` gives."""
    return OrderColumns(
        *(np.concatenate((getattr(orders, n), getattr(new, n))) for n in _ORDER_FIELDS)
    )


def append_arcs(arcs: Arcs, new: Arcs) -> Arcs:
    """``arcs`` followed by ``new``: what ``Arcs.concat([arcs, new])`` gives."""
    return Arcs(*(np.concatenate((getattr(arcs, n), getattr(new, n))) for n in _ARC_FIELDS))
