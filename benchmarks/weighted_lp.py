"""A straightforward LP with HiGHS: one weighted objective over the same arcs.

Variables are the arcs; constraints are source supply and order demand; the objective
weights the levels with large factors. It is what one writes first — and what the
optimizer's exact lexicographic method is compared with, in time and in levels.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from scipy.optimize import linprog
from scipy.sparse import csr_matrix, vstack

from allocation.engine import Problem


def solve_weighted_lp(problem: Problem) -> npt.NDArray[np.int64]:
    arcs, orders = problem.arcs, problem.orders
    n = len(arcs)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    group = orders.group[arcs.order]
    pp = group == 0
    eta = arcs.eta_hours / max(arcs.eta_hours.max(), 1.0)
    money = arcs.money / max(arcs.money.max(), 1.0)
    cost = np.where(pp, -1e6 + 1e3 * eta, -1e3 * 0.5 + eta) + 1e-3 * money
    a_src = csr_matrix((np.ones(n), (arcs.source, np.arange(n))), shape=(len(problem.sources), n))
    a_ord = csr_matrix((np.ones(n), (arcs.order, np.arange(n))), shape=(len(orders), n))
    b = np.concatenate([problem.sources.quantity, orders.quantity]).astype(float)
    res = linprog(
        cost,
        A_ub=vstack([a_src, a_ord]).tocsr(),
        b_ub=b,
        bounds=(0, None),
        method="highs",
        options={"time_limit": 600},
    )
    if res.x is None:
        raise RuntimeError(res.message)
    return np.rint(res.x).astype(np.int64)
