"""Strategies behind one interface: the optimizer and the baselines, whole orders or partial.

Every strategy turns a :class:`~allocation.engine.model.Problem` into units per arc; with
partial fills off, orders that could only be partly filled are dropped and the rest solved
again (:func:`solve_strategy`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from allocation.engine.model import Held, Problem
from allocation.engine.solve._baselines import solve_fifo, solve_tier_greedy
from allocation.engine.solve._churn_penalty import solve_optimal_priced
from allocation.engine.solve._optimal import Runner
from allocation.errors import PolicyError

__all__ = ["STRATEGIES", "Solution", "check_strategy", "solve_strategy"]

IntArray = npt.NDArray[np.int64]
STRATEGIES: tuple[str, ...] = ("optimal", "fifo", "tier_greedy")
"""The strategies: the lexicographic optimizer, then the two baselines."""


@dataclass(frozen=True)
class Solution:
    """Units on each arc, and why orders were left out before the last solve (by row)."""

    flow: IntArray
    excluded: dict[int, str] = field(default_factory=dict)


def check_strategy(strategy: str) -> None:
    """Refuse an unknown strategy by name, listing the known ones."""
    if strategy not in STRATEGIES:
        raise PolicyError(f"unknown strategy {strategy!r} (use one of {', '.join(STRATEGIES)})")


def solve_strategy(problem: Problem, strategy: str, runner: Runner | None = None) -> Solution:
    """Solve a problem with a strategy; with partial fills off, all or nothing.

    Units the planner firmed (:mod:`allocation.domain.overrides`) are taken out of supply
    and need first, the rest is solved, and they are added back on their arcs: no
    strategy moves them.
    """
    check_strategy(strategy)
    if strategy != "optimal" and problem.context.churn_priced():
        raise PolicyError(
            f"allocation.churn_penalty is priced by the optimal strategy only, not {strategy!r} "
            "(set it to 0, or plan without a previous plan)"
        )
    if strategy != "optimal" and problem.policy.fair_share.split != "off":
        raise PolicyError(
            f"allocation.fair_share.split is a level of the optimal strategy, not of {strategy!r} "
            "(plan with the optimal strategy, or set split: off)"
        )
    firm = problem.firm()
    if firm is not None:
        held = None
        if problem.policy.fair_share:  # firmed units count against fair-share caps
            arcs = problem.arcs
            held = Held.of(
                arcs.order, arcs.source, firm, (len(problem.orders), len(problem.sources))
            )
        rest = _solve_strategy(problem.without_firm(firm), strategy, runner, held)
        return Solution(rest.flow + firm, rest.excluded)
    return _solve_strategy(problem, strategy, runner)


def _solve_strategy(
    problem: Problem, strategy: str, runner: Runner | None, held: Held | None = None
) -> Solution:
    solve: Callable[[Problem, IntArray], IntArray]
    if strategy == "optimal":

        def solve(p: Problem, demand: IntArray) -> IntArray:
            return solve_optimal_priced(p, runner, demand=demand, held=held)
    elif strategy == "fifo":

        def solve(p: Problem, demand: IntArray) -> IntArray:
            return solve_fifo(p.with_demand(demand), held)
    else:

        def solve(p: Problem, demand: IntArray) -> IntArray:
            return solve_tier_greedy(p.with_demand(demand), held)

    flow = solve(problem, problem.orders.quantity)
    if problem.policy.partial_fills:
        return Solution(flow)
    return _all_or_nothing(problem, solve, flow)


def _all_or_nothing(
    problem: Problem, solve: Callable[[Problem, IntArray], IntArray], flow: IntArray
) -> Solution:
    """Drop orders that could only be partly filled and solve again, until none is partial.

    All-or-nothing filling is a knapsack-like problem no flow can express; this keeps every
    order whole and each round is optimal for the orders still in it.
    """
    quantity = problem.orders.quantity
    demand = quantity.copy()
    excluded: dict[int, str] = {}
    for _ in range(len(quantity) + 1):
        # ``flow`` is always indexed by the full problem's arcs (see the end of the loop).
        filled = np.zeros(len(quantity), dtype=np.int64)
        np.add.at(filled, problem.arcs.order, flow)
        partial = np.flatnonzero((filled > 0) & (filled < demand))
        if len(partial) == 0:
            break
        for row in partial.tolist():
            excluded[row] = (
                f"partial fills are off: only {filled[row]} of {quantity[row]} units were available"
            )
        demand[partial] = 0
        keep = demand[problem.arcs.order] > 0
        sub = problem.with_arcs(problem.arcs.take(keep))
        flow = np.zeros(len(problem.arcs), dtype=np.int64)
        flow[np.flatnonzero(keep)] = solve(sub, demand)
    return Solution(flow, excluded)
