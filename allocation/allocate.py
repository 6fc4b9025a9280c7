"""The allocate use case: snapshot + policy + strategy → plan.

The CLI, the service, the simulator and notebooks all call :func:`allocate`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from allocation.adapters.snapshot import Snapshot
from allocation.domain.entitlement import EntitlementPolicy
from allocation.domain.policy import AllocationPolicy
from allocation.engine.baselines import solve_fifo, solve_tier_greedy
from allocation.engine.classify import classify_orders
from allocation.engine.optimal import Runner, dask_runner, local_runner, solve_optimal
from allocation.engine.plan import Plan
from allocation.engine.problem import AllocationProblem, build_problem
from allocation.errors import PolicyError

__all__ = ["STRATEGIES", "allocate", "decisions_frame", "solve_problem"]

Strategy = Literal["optimal", "fifo", "tier_greedy"]
STRATEGIES: tuple[str, ...] = ("optimal", "fifo", "tier_greedy")


def decisions_frame(
    snapshot: Snapshot, on: date | None = None, policy: EntitlementPolicy | None = None
) -> pd.DataFrame:
    """Priority class and tier of every order line (the entitlement engine's answer)."""
    return classify_orders(snapshot.entitlement, on=on, policy=policy)


def allocate(
    snapshot: Snapshot,
    policy: AllocationPolicy | None = None,
    strategy: str = "optimal",
    entitlement_policy: EntitlementPolicy | None = None,
    workers: int = 1,
    dask: str | None = None,
) -> Plan:
    """Decide who gets which units from which source.

    Parameters
    ----------
    snapshot : Snapshot
        Orders and supply (see :func:`allocation.load_snapshot`).
    policy : AllocationPolicy, optional
        Source permissions and options; the data sheet's defaults when omitted.
    strategy : {"optimal", "fifo", "tier_greedy"}
        The lexicographic optimizer (default) or a baseline.
    entitlement_policy : EntitlementPolicy, optional
        How the entitlement engine reads the sheet's ambiguities.
    workers : int
        Local worker processes for the optimizer (1: in this process).
    dask : str, optional
        A Dask scheduler address, or ``"local"``; the plan is the same as without.

    Returns
    -------
    Plan
    """
    policy = policy or AllocationPolicy()
    if strategy not in STRATEGIES:
        raise PolicyError(f"unknown strategy {strategy!r} (use one of {', '.join(STRATEGIES)})")
    decisions = decisions_frame(snapshot, policy=entitlement_policy)
    problem = build_problem(snapshot, decisions, policy)
    runner = dask_runner(dask) if dask else local_runner(workers)
    return solve_problem(problem, strategy, runner)


def solve_problem(problem: AllocationProblem, strategy: str, runner: Runner | None = None) -> Plan:
    """Solve a built problem with a strategy; with partial fills off, all or nothing."""
    solve: Callable[[AllocationProblem], npt.NDArray[np.int64]]
    if strategy == "optimal":

        def solve(p: AllocationProblem) -> npt.NDArray[np.int64]:
            return solve_optimal(p, runner)
    elif strategy == "fifo":
        solve = solve_fifo
    elif strategy == "tier_greedy":
        solve = solve_tier_greedy
    else:
        raise PolicyError(f"unknown strategy {strategy!r} (use one of {', '.join(STRATEGIES)})")
    flow = solve(problem)
    reasons: dict[int, str] = {}
    if not problem.policy.partial_fills:
        flow, reasons = _all_or_nothing(problem, solve, flow)
    return Plan(problem=problem, flow=flow, strategy=strategy, reasons=reasons)


def _all_or_nothing(
    problem: AllocationProblem,
    solve: Callable[[AllocationProblem], npt.NDArray[np.int64]],
    flow: npt.NDArray[np.int64],
) -> tuple[npt.NDArray[np.int64], dict[int, str]]:
    """Drop orders that could only be partly filled and solve again, until none is partial.

    All-or-nothing filling is a knapsack-like problem no flow can express; this keeps every
    order whole and each round is optimal for the orders still in it.
    """
    from dataclasses import replace

    reasons: dict[int, str] = {}
    quantity = problem.orders["quantity"].to_numpy(dtype=np.int64)
    orders = problem.orders.copy()
    current = problem
    for _ in range(len(orders) + 1):
        # ``flow`` is always indexed by the full problem's arcs (see the end of the loop).
        filled = np.bincount(problem.arcs.order, weights=flow, minlength=len(orders)).astype(
            np.int64
        )
        partial = np.flatnonzero((filled > 0) & (filled < current.orders["quantity"].to_numpy()))
        if len(partial) == 0:
            break
        for row in partial.tolist():
            reasons[row] = (
                f"partial fills are off: only {filled[row]} of {quantity[row]} units were available"
            )
        orders.loc[partial, "quantity"] = 0
        keep = ~np.isin(problem.arcs.order, np.array(sorted(reasons)))
        current = replace(problem, orders=orders, arcs=problem.arcs.take(keep))
        sub_flow = solve(current)
        flow = np.zeros(len(problem.arcs), dtype=np.int64)
        flow[np.flatnonzero(keep)] = sub_flow
    return flow, reasons
