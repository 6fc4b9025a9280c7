"""Exact shortcuts of incremental re-planning that need no solve.

- An arriving order that can take its full quantity from its own best sources' free units
  gets exactly that, and nobody else changes; one with no arc to a source that has units
  gets nothing, and nobody else changes either (:func:`serve_from_free_supply`).
- An arriving order ranked behind a waiting order of its node (and of its ``need_by``)
  gets nothing, and nobody else changes (:func:`waits_behind_its_node`).
- A shipped order that held protected units is the one case where shipping is not simply
  taking its units away (:func:`took_protected`): the protection level refills from the
  units above it, and the group must be solved again.

What "best" means is the objective's, asked of :mod:`allocation.engine.objective`,
response-time targets included (an order with a ``need_by`` ranks its sources by
:func:`~allocation.engine.objective.lone_ticks`).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from allocation.engine._plan import Plan
from allocation.engine.model import Problem
from allocation.engine.objective import (
    eta_ticks,
    fill_alone_lazy,
    late_levels,
    lone_ticks,
    money_cents,
    served_from_free,
    tie_break,
    tie_break_one,
    tie_node,
    waits_behind,
)

__all__ = ["serve_from_free_supply", "took_protected", "waits_behind_its_node"]

IntArray = npt.NDArray[np.int64]


def serve_from_free_supply(plan: Plan, problem: Problem, first_new: int) -> Plan | None:
    """The new order (last row) served from free units, if that is exactly optimal, else None.

    It is when the order would take, were it alone (the lone-order rule), only units that
    are free: then no other order gives anything up and the new one gets its own optimum.
    An order with no arc to a source with units gets nothing, and nobody else changes.
    """
    arcs, sources = problem.arcs, problem.sources
    mine = np.arange(first_new, len(arcs))
    total = sources.quantity
    if not total[arcs.source[mine]].any():
        # No arc to a source with units: it gets nothing and touches nobody (the solver
        # never sees such arcs), so every other order keeps what it has.
        return Plan(problem=problem, flow=_padded(plan.flow, len(mine)), strategy="optimal")
    row = len(problem.orders) - 1
    src = arcs.source[mine]
    used = np.zeros(len(sources), dtype=np.int64)
    np.add.at(used, arcs.source[:first_new], plan.flow)
    # An order has one arc per source: its take from a source is its take on that arc.
    ticks = eta_ticks(arcs.eta_hours[mine], problem.policy.eta_resolution_hours)
    if not np.isnat(problem.orders.need_by[row]):
        ticks = _lone_ticks_of(problem, mine, ticks)
    key = tie_node(problem.orders.node[[row]], problem.orders.need_by[[row]])
    need = int(problem.orders.quantity[row])
    if len(mine) <= _FEW:
        alone = _served_from_free_few(
            ticks,
            money_cents(arcs.money[mine]),
            int(key[0]),
            sources.tie_hash[src],
            total[src],
            (total - used)[src],
            need,
        )
    else:
        alone = served_from_free(
            ticks,
            money_cents(arcs.money[mine]),
            tie_break(key[np.zeros(len(mine), dtype=np.int64)], sources.tie_hash[src]),
            total[src],
            (total - used)[src],
            need,
        )
    if alone is None:
        return None
    flow = _padded(plan.flow, len(mine))
    flow[mine] = alone
    return Plan(problem=problem, flow=flow, strategy="optimal")


_FEW = 32
"""Up to this many sources, an arrival is ranked over Python's lists (:func:`fill_alone_lazy`)
rather than arrays: a few sources, fixed costs of NumPy calls saved."""


def _served_from_free_few(
    ticks: IntArray,
    cents: IntArray,
    key: int,
    tie_hash: IntArray,
    units: IntArray,
    free: IntArray,
    need: int,
) -> IntArray | None:
    """:func:`~allocation.engine.objective.served_from_free` over a few sources: the same
    takes (:func:`fill_alone_lazy` is :func:`fill_alone` over lists, and
    :func:`tie_break_one` is :func:`tie_break` of one pair, bit for bit), the tie level
    worked out only for sources equal on the levels above."""
    hashes = tie_hash.tolist()
    take = fill_alone_lazy(
        ticks.tolist(),
        cents.tolist(),
        lambda i: tie_break_one(key, hashes[i]),
        units.tolist(),
        need,
    )
    if take is None or sum(take) < need:
        return None
    if any(t > f for t, f in zip(take, free.tolist(), strict=True)):
        return None
    return np.array(take, dtype=np.int64)


def _lone_ticks_of(problem: Problem, mine: IntArray, ticks: IntArray) -> IntArray:
    """The new order's keys ranking units late, hours late, then ETA ticks (its target)."""
    due = problem.orders.due_hours(problem.as_of)[problem.arcs.order[mine]]
    late, late_ticks = late_levels(
        problem.arcs.eta_hours[mine], due, problem.policy.eta_resolution_hours
    )
    return np.asarray(lone_ticks(ticks, late, late_ticks), dtype=np.int64)


def waits_behind_its_node(plan: Plan, problem: Problem) -> Plan | None:
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

    Only orders with the same ``need_by`` (or none, like it) count as its node's: with
    another target the same arcs cost otherwise on the lateness levels, and the solver
    keeps such orders apart.
    """
    orders = problem.orders
    row = len(orders) - 1
    due = orders.need_by.astype(np.int64)  # NaT as an int, so that it equals itself
    mates = np.flatnonzero((orders.node[:row] == orders.node[row]) & (due[:row] == due[row]))
    if len(mates) == 0:
        return None
    node = np.append(mates, row)
    short = np.append(orders.quantity[mates] > plan.filled[mates], True)
    minutes = orders.created_at[node].astype("datetime64[m]").astype(np.int64)
    if not waits_behind(minutes, orders.order_id[node], short):
        return None
    extra = len(problem.arcs) - len(plan.flow)
    return Plan(problem=problem, flow=_padded(plan.flow, extra), strategy="optimal")


def _padded(flow: IntArray, extra: int) -> IntArray:
    return np.concatenate([flow, np.zeros(extra, dtype=np.int64)])


def took_protected(problem: Problem, row: int, plan: Plan) -> bool:
    """Whether the order holds protected units (see :mod:`allocation.domain.protection`)."""
    mine = (problem.arcs.order == row) & (plan.flow > 0)
    return bool(problem.sources.protected[problem.arcs.source[mine]].any())
