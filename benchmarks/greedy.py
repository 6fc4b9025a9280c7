"""A vectorised NumPy greedy: the speed floor the optimizer is compared with.

Each round, every unfilled order bids for its best remaining allowed arc (fastest, then
cheapest); each source serves its bidders in priority order (group, then age) by a cumulative
sum. A few rounds let losers move to their next source. No Python loop over orders or arcs.
It is not exact: it is here to be measured against, not to be used.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from allocation.engine import Problem


def solve_vectorised_greedy(problem: Problem, rounds: int = 4) -> npt.NDArray[np.int64]:
    arcs, orders = problem.arcs, problem.orders
    flow = np.zeros(len(arcs), dtype=np.int64)
    if len(arcs) == 0:
        return flow
    need = orders.quantity.copy()
    supply = problem.sources.quantity.copy()
    created = orders.created_minutes()
    group = orders.group
    # Arcs by order, best first.
    by_order = np.lexsort((arcs.money, arcs.eta_hours, arcs.order))
    a_order = arcs.order[by_order]
    alive = np.ones(len(by_order), dtype=bool)
    for _ in range(rounds):
        live = np.flatnonzero(alive & (need[a_order] > 0) & (supply[arcs.source[by_order]] > 0))
        if len(live) == 0:
            break
        first = live[np.r_[True, a_order[live][1:] != a_order[live][:-1]]]
        bid = by_order[first]
        o, s = arcs.order[bid], arcs.source[bid]
        rank = np.lexsort((created[o], group[o], s))
        o, s, bid, first = o[rank], s[rank], bid[rank], first[rank]
        want = need[o]
        start = np.r_[True, s[1:] != s[:-1]]
        cum = np.cumsum(want)
        base = np.maximum.accumulate(np.where(start, cum - want, 0))
        before = cum - want - base
        give = np.clip(supply[s] - before, 0, want)
        flow[bid] += give
        np.subtract.at(need, o, give)
        np.subtract.at(supply, s, give)
        alive[first] = False
    return flow
