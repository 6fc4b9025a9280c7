"""An independent check: the lexicographic optimum of a flow problem by sequential LPs (HiGHS).

Each level is minimised in turn with every earlier level held at its optimum. It shares no
code with the engine's solver: variables are the source→order arcs, constraints are written
out directly.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from scipy.optimize import linprog
from scipy.sparse import csr_matrix, vstack

from allocation.engine.solve._lexflow import FlowProblem, Level


def level_values(
    problem: FlowProblem, levels: list[Level], flow: npt.NDArray[np.int64]
) -> list[int]:
    """The value of every level for a flow on the source→order arcs."""
    return [int(np.dot(_row(problem, level), flow)) for level in levels]


def lexicographic_optimum(problem: FlowProblem, levels: list[Level]) -> list[float]:
    """Optimal value of every level, level by level, with HiGHS (rounded: TU matrices)."""
    n = len(problem.arc_source)
    rows = []
    rhs = []
    # Σ_o x[s,o] ≤ supply[s]
    a_src = csr_matrix(
        (np.ones(n), (problem.arc_source, np.arange(n))), shape=(len(problem.supply), n)
    )
    rows.append(a_src)
    rhs.append(problem.supply.astype(float))
    # Σ_s x[s,o] ≤ demand[o]
    a_ord = csr_matrix(
        (np.ones(n), (problem.arc_order, np.arange(n))), shape=(len(problem.demand), n)
    )
    rows.append(a_ord)
    rhs.append(problem.demand.astype(float))
    bounds = list(zip(np.zeros(n), problem.arc_capacity.astype(float), strict=True))
    values: list[float] = []
    for level in levels:
        c = _row(problem, level).astype(float)
        a_ub = vstack(rows).tocsr() if rows else None
        b_ub = np.concatenate(rhs) if rhs else None
        res = linprog(c, A_ub=a_ub, b_ub=b_ub, bounds=bounds, method="highs")
        assert res.status == 0, res.message
        # Network matrices are totally unimodular: every level's optimum is an integer.
        best = float(round(res.fun))
        assert abs(res.fun - best) < 1e-3 * max(1.0, abs(best)), res.fun
        values.append(best)
        rows.append(csr_matrix(c.reshape(1, -1)))
        rhs.append(np.array([best + 1e-9]))
    return values


def _row(problem: FlowProblem, level: Level) -> npt.NDArray[np.int64]:
    if level.on == "arc":
        return level.costs.astype(np.int64)
    return level.costs[problem.arc_order].astype(np.int64)
