"""Baseline strategies, for comparison with the optimizer behind the same interface.

- ``fifo``: the oldest order first, whatever its class; each takes its fastest allowed
  source with units left.
- ``tier_greedy``: by priority group (``parts_priority`` first), then age; each takes its
  nearest allowed source with units left (fastest, then cheapest).

Both respect the policy's source permissions; neither looks ahead, which is what the
optimizer is measured against.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from allocation.engine.model import Problem
from allocation.engine.objective import serving_order

__all__ = ["solve_fifo", "solve_tier_greedy"]


def solve_fifo(problem: Problem) -> npt.NDArray[np.int64]:
    """Units per arc when orders are served oldest first, with no priority."""
    orders = problem.orders
    created = orders.created_at.astype(np.int64)
    return _greedy(problem, serving_order("fifo", orders.group, created, orders.order_id))


def solve_tier_greedy(problem: Problem) -> npt.NDArray[np.int64]:
    """Units per arc when orders are served by priority group, then age."""
    orders = problem.orders
    created = orders.created_at.astype(np.int64)
    return _greedy(problem, serving_order("tier_greedy", orders.group, created, orders.order_id))


def _greedy(problem: Problem, order_sequence: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """Serve orders in sequence; each takes units from its fastest, then cheapest, sources."""
    arcs = problem.arcs
    flow = np.zeros(len(arcs), dtype=np.int64)
    if len(arcs) == 0:
        return flow
    position = np.empty(len(order_sequence), dtype=np.int64)
    position[order_sequence] = np.arange(len(order_sequence))
    sequence = np.lexsort((arcs.source, arcs.money, arcs.eta_hours, position[arcs.order]))
    supply = problem.sources.quantity.copy()
    need = problem.orders.quantity.copy()
    src = arcs.source[sequence].tolist()
    ords = arcs.order[sequence].tolist()
    supply_list = supply.tolist()
    need_list = need.tolist()
    taken = [0] * len(sequence)
    for i, (s, o) in enumerate(zip(src, ords, strict=True)):
        want = need_list[o]
        if want == 0:
            continue
        have = supply_list[s]
        if have == 0:
            continue
        give = want if want < have else have
        taken[i] = give
        need_list[o] = want - give
        supply_list[s] = have - give
    flow[sequence] = np.array(taken, dtype=np.int64)
    return flow
