"""A problem: open orders, sources of units and the arcs between them, under one context."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from allocation.domain.policy import AllocationPolicy
from allocation.engine.model._arcs import Arcs, build_arcs
from allocation.engine.model._context import Context
from allocation.engine.model._orders import OrderColumns
from allocation.engine.model._overrides import firm_flow
from allocation.engine.model._sources import SourceColumns

__all__ = ["Problem", "problem_from", "size_buckets"]

IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class Problem:
    """Everything a strategy needs, as arrays: orders, sources, the allowed arcs, the context.

    ``arcs.order`` and ``arcs.source`` index ``orders`` and ``sources``.
    """

    orders: OrderColumns
    sources: SourceColumns
    arcs: Arcs
    context: Context

    @property
    def policy(self) -> AllocationPolicy:
        """The allocation policy."""
        return self.context.policy

    @property
    def as_of(self) -> pd.Timestamp:
        """The moment ETAs count from."""
        return self.context.as_of

    def firm(self) -> IntArray | None:
        """Units the planner's overrides firm on each arc; None when none are firmed here.

        Raises :class:`~allocation.engine.model.FirmError` for a firm the problem cannot
        hold (see :func:`~allocation.engine.model._overrides.firm_flow`).
        """
        arcs = self.arcs
        return firm_flow(
            self.orders,
            self.sources,
            arcs.order,
            arcs.source,
            arcs.kind,
            arcs.eta_hours,
            self.context,
        )

    def without_firm(self, firm: IntArray) -> Problem:
        """The same problem with the firmed units out of supply and need: what is left to
        plan, like units already shipped."""
        arcs = self.arcs
        taken = np.bincount(arcs.source, weights=firm, minlength=len(self.sources))
        given = np.bincount(arcs.order, weights=firm, minlength=len(self.orders))
        return self.with_supply(self.sources.quantity - taken.astype(np.int64)).with_demand(
            self.orders.quantity - given.astype(np.int64)
        )

    def with_arcs(self, arcs: Arcs) -> Problem:
        """The same orders and sources with other arcs."""
        return Problem(self.orders, self.sources, arcs, self.context)

    def with_demand(self, quantity: IntArray) -> Problem:
        """The same problem with the orders wanting other quantities."""
        return Problem(self.orders.with_quantity(quantity), self.sources, self.arcs, self.context)

    def with_supply(self, quantity: IntArray) -> Problem:
        """The same problem with the sources holding other units."""
        return Problem(self.orders, self.sources.with_quantity(quantity), self.arcs, self.context)


def problem_from(orders: OrderColumns, sources: SourceColumns, context: Context) -> Problem:
    """A problem over prepared orders and sources, with its allowed arcs.

    The arcs come grouped by order, orders by (size bucket, part group): ready to batch.
    """
    sequence = solve_sequence(orders, sources)
    return Problem(orders, sources, build_arcs(orders, sources, context, sequence, True), context)


def size_buckets(part_group: IntArray, source_group: IntArray) -> IntArray:
    """Per entry of ``part_group``: ceil(log2(sources of the group + 1)), so groups of like
    size share a solve."""
    if len(part_group) == 0:
        return np.zeros(0, dtype=np.int64)
    top = int(part_group.max()) + 1
    counts = np.bincount(source_group[source_group < top], minlength=top)
    bucket: IntArray = np.ceil(np.log2(counts[part_group] + 1)).astype(np.int64)
    return bucket


def solve_sequence(orders: OrderColumns, sources: SourceColumns) -> IntArray:
    """Order rows by (size bucket, part group): the arcs come out ready to batch."""
    group = orders.part_group
    bucket = size_buckets(group, sources.part_group)
    sequence: IntArray = np.lexsort((group, bucket)).astype(np.int64)
    return sequence
