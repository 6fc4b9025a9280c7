"""An arriving order's arcs, copied from an order alike instead of built.

:func:`~allocation.engine.problem.build_arcs` gives an order the arcs from the sources of
its part (and of its chain's parts) that its class may use, its home depot's own and the
others, each priced by the route from the source's origin to the order's country column. So
an order's arcs depend on the sources and on four codes of the order — part, class, home
depot, country column — and on nothing else of it. An arrival alike in those four to an
order already in the problem, over the same sources, has that order's arcs, in the same
sequence. Copying them costs a few comparisons; building them for one order costs some
fifty array operations, most of a contended arrival's time outside the solver.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import numpy as np

from allocation.engine.problem import AllocationProblem, Arcs

__all__ = ["ARC_KEYS", "arcs_like"]

ARC_KEYS = ("part_code", "class_code", "home_code", "country_col")
"""The order columns an order's arcs depend on."""


def arcs_like(problem: AllocationProblem, values: Mapping[str, Any]) -> Arcs | None:
    """Arcs for a new order (row ``problem.order_count``, codes in ``values``), copied from
    the latest order of ``problem`` alike in :data:`ARC_KEYS`; None if no order is alike.

    ``problem``'s arcs must be the allowed arcs of its orders over its own sources, as
    :func:`~allocation.engine.problem.build_arcs` makes them with ``only_allowed`` (every
    problem the planner keeps has such arcs).
    """
    if problem.order_count == 0:
        return None
    alike = np.ones(problem.order_count, dtype=bool)
    for name in ARC_KEYS:
        alike &= problem.orders_column(name, np.int64) == int(values[name])
    rows = np.flatnonzero(alike)
    if len(rows) == 0:
        return None
    arcs = problem.arcs
    copied = arcs.take(np.flatnonzero(arcs.order == rows[-1]))
    return replace(copied, order=np.full(len(copied), problem.order_count, dtype=np.int64))
