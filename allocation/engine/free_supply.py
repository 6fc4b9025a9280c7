"""Exact shortcuts of incremental re-planning that need no solve.

- An arriving order that can take its full quantity from its own best sources' free units
  gets exactly that, and nobody else changes; one with no arc to a source that has units
  gets nothing, and nobody else changes either (:func:`serve_from_free_supply`).
- An arriving order ranked behind a waiting order of its node gets nothing, and nobody else
  changes (:func:`waits_behind_its_node`).
- A shipped order that held protected units is the one case where shipping is not simply
  taking its units away (:func:`took_protected`): the protection level refills from the
  units above it, and the group must be solved again.
"""

from __future__ import annotations

import numpy as np

from allocation.engine.optimal import tie_break
from allocation.engine.plan import Plan
from allocation.engine.problem import AllocationProblem

__all__ = ["serve_from_free_supply", "took_protected", "waits_behind_its_node"]


def serve_from_free_supply(plan: Plan, problem: AllocationProblem, first_new: int) -> Plan | None:
    """The new order (last row) served from free units, if that is exactly optimal, else None.

    It is when the order can take its full quantity from its own best arcs, in the
    objective's order, each with enough free units for what the order would take there if it
    were alone: then no other order gives anything up and the new one gets its own optimum.
    An order with no arc to a source with units gets nothing, and nobody else changes.
    """
    arcs = problem.arcs
    mine = np.arange(first_new, len(arcs))
    total = problem.sources_column("quantity", np.int64)
    if not total[arcs.source[mine]].any():
        # No arc to a source with units: it gets nothing and touches nobody (the solver
        # never sees such arcs), so every other order keeps what it has.
        return Plan(problem=problem, flow=_padded(plan.flow, len(mine)), strategy="optimal")
    row = problem.order_count - 1
    resolution = problem.policy.eta_resolution_hours
    eta = np.rint(arcs.eta_hours[mine] / resolution).astype(np.int64)
    money = np.rint(arcs.money[mine] * 100.0).astype(np.int64)
    keys = problem.orders_column("agg_key", np.int64)[arcs.order[mine]]
    tie = tie_break(keys, problem.sources_column("tie_hash", np.int64)[arcs.source[mine]])
    preference = mine[np.lexsort((tie, money, eta))]
    used = np.bincount(
        arcs.source[:first_new], weights=plan.flow, minlength=len(problem.sources)
    ).astype(np.int64)
    free = total - used
    need = int(problem.orders_column("quantity", np.int64)[row])
    flow = _padded(plan.flow, len(mine))
    for a in preference:
        if need == 0:
            break
        s = int(arcs.source[a])
        alone = min(need, int(total[s]))  # what it would take here with nobody else around
        if alone == 0:
            continue
        if free[s] < alone:
            return None
        flow[a] = alone
        free[s] -= alone
        need -= alone
    if need > 0:
        return None
    return Plan(problem=problem, flow=flow, strategy="optimal")


def waits_behind_its_node(plan: Plan, problem: AllocationProblem) -> Plan | None:
    """The old plan, the new order (last row) getting nothing, if that is exactly optimal.

    It is when an order of the same node — same part, country, priority group and class,
    hence the same arcs at the same ETAs and costs — that ranks before the new one (older,
    or as old and with a smaller order id) is not filled. The new order's only difference
    from that order is its sink arc, which prices age: whatever the new one could gain, by
    taking a unit from another order or by drawing one more unit into the node, the waiting
    order could gain as well at no worse a cost on any level — and the old plan had found no
    such gain. The node's capacity grows, but it was not binding (the node was short), so
    relaxing it improves nothing; and the node's units are handed out in rank order, so the
    new order, ranked after one still short, gets none.
    """
    row = problem.order_count - 1
    keys = problem.orders_column("agg_key", np.int64)
    mates = np.flatnonzero(keys[:row] == keys[row])
    if len(mates) == 0:
        return None
    quantity = problem.orders_column("quantity", np.int64)
    short = mates[quantity[mates] > plan.filled[mates]]
    if len(short) == 0:
        return None
    minutes = problem.orders_column("created_at", "datetime64[ns]").astype("datetime64[m]")
    ids = problem.orders_column("order_id", object)
    mine = (minutes[row], str(ids[row]))
    if not any((minutes[m], str(ids[m])) < mine for m in short.tolist()):
        return None
    extra = len(problem.arcs) - len(plan.flow)
    return Plan(problem=problem, flow=_padded(plan.flow, extra), strategy="optimal")


def _padded(flow: np.ndarray, extra: int) -> np.ndarray:
    return np.concatenate([flow, np.zeros(extra, dtype=np.int64)])


def took_protected(problem: AllocationProblem, row: int, plan: Plan) -> bool:
    """Whether the order holds protected units (see :mod:`allocation.domain.protection`)."""
    if "protected" not in problem.sources:
        return False
    mine = (problem.arcs.order == row) & (plan.flow > 0)
    return bool(problem.sources["protected"].to_numpy(dtype=bool)[problem.arcs.source[mine]].any())
