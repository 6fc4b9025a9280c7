"""Baseline strategies, for comparison with the optimizer behind the same interface.

- ``fifo``: the oldest order first, whatever its class; each takes its fastest allowed
  source with units left.
- ``tier_greedy``: by priority group (``parts_priority`` first), then age; each takes its
  nearest allowed source with units left (fastest, then cheapest).

Both respect the policy's source permissions and its fair-share caps — an order of a capped
party takes no more than what the party has left of its cap (:func:`~allocation.engine.model.
cap_hubs`, the numbers the optimizer's hubs carry) — and neither looks ahead, which is what
the optimizer is measured against. The proportional split is a level of the optimizer's
objective; the baselines refuse it (:func:`~allocation.engine.solve.solve_strategy`).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from allocation.engine.model import Held, Problem, cap_hubs
from allocation.engine.objective import serving_order

__all__ = ["solve_fifo", "solve_tier_greedy"]


def solve_fifo(problem: Problem, held: Held | None = None) -> npt.NDArray[np.int64]:
    """Units per arc when orders are served oldest first, with no priority. ``held``: units
    orders hold outside the solve (firmed), which count against their caps."""
    orders = problem.orders
    created = orders.created_at.astype(np.int64)
    sequence = serving_order("fifo", orders.group, created, orders.order_id)
    return _greedy(problem, sequence, held)


def solve_tier_greedy(problem: Problem, held: Held | None = None) -> npt.NDArray[np.int64]:
    """Units per arc when orders are served by priority group, then age (``held`` as for
    :func:`solve_fifo`)."""
    orders = problem.orders
    created = orders.created_at.astype(np.int64)
    sequence = serving_order("tier_greedy", orders.group, created, orders.order_id)
    return _greedy(problem, sequence, held)


def _greedy(
    problem: Problem, order_sequence: npt.NDArray[np.int64], held: Held | None
) -> npt.NDArray[np.int64]:
    """Serve orders in sequence; each takes units from its fastest, then cheapest, sources,
    within what its capped party has left."""
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
    hubs = cap_hubs(problem.orders, problem.sources, problem.context, held=held)
    hub_of = [-1] * len(need_list) if hubs is None else hubs.hub.tolist()
    room = [] if hubs is None else hubs.room.tolist()
    taken = [0] * len(sequence)
    for i, (s, o) in enumerate(zip(src, ords, strict=True)):
        want = need_list[o]
        if want == 0:
            continue
        have = supply_list[s]
        if have == 0:
            continue
        give = want if want < have else have
        h = hub_of[o]
        if h >= 0:
            give = min(give, room[h])
            if give == 0:
                continue
            room[h] -= give
        taken[i] = give
        need_list[o] = want - give
        supply_list[s] = have - give
    flow[sequence] = np.array(taken, dtype=np.int64)
    return flow
