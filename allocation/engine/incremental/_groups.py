"""Plans of independent part groups: split one plan into groups, or merge groups into one.

The incremental planner keeps one small plan per part group and re-solves only the group a
change touches; readers want one plan. Order and source indices are renumbered both ways.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

import numpy as np
import numpy.typing as npt

from allocation.engine._plan import Plan
from allocation.engine.model import Arcs, Context, OrderColumns, Problem, SourceColumns
from allocation.errors import InputError

__all__ = ["merge_plans", "split_by_group"]

IntArray = npt.NDArray[np.int64]


def split_by_group(plan: Plan) -> dict[int, Plan]:
    """One plan per part group, with order and source indices renumbered."""
    problem = plan.problem
    order_group = problem.orders.part_group
    source_group = problem.sources.part_group
    arc_group = order_group[problem.arcs.order]
    depots = len(problem.context.depot_ids)
    order_rows = _rows_by(order_group)
    source_rows = _rows_by(source_group)
    arc_rows = _rows_by(arc_group)
    empty = np.zeros(0, dtype=np.int64)
    o_new = np.full(len(problem.orders), -1, dtype=np.int64)
    s_new = np.full(len(problem.sources), -1, dtype=np.int64)
    plans: dict[int, Plan] = {}
    for g in sorted(set(order_rows) | set(source_rows)):
        o = order_rows.get(g, empty)
        s = source_rows.get(g, empty)
        a = arc_rows.get(g, empty)
        o_new[o] = np.arange(len(o))
        s_new[s] = np.arange(len(s))
        arcs = problem.arcs.take(a)
        arcs = replace(arcs, order=o_new[arcs.order], source=s_new[arcs.source])
        sub = Problem(
            problem.orders.take(o), problem.sources.take(s, depots), arcs, problem.context
        )
        plans[g] = Plan(sub, plan.flow[a], plan.strategy)
    return plans


def _rows_by(keys: IntArray) -> dict[int, IntArray]:
    order = np.argsort(keys, kind="stable")
    sorted_keys = keys[order]
    bounds = np.flatnonzero(np.diff(sorted_keys)) + 1
    return {
        int(chunk_keys[0]): chunk
        for chunk, chunk_keys in zip(
            np.split(order, bounds), np.split(sorted_keys, bounds), strict=True
        )
        if len(chunk)
    }


def merge_plans(plans: Iterable[Plan], context: Context) -> Plan:
    """One plan from plans of disjoint part groups (indices shifted, arrays joined)."""
    orders, sources, arc_parts, flows = [], [], [], []
    n_orders = n_sources = 0
    reasons: dict[int, str] = {}
    for plan in plans:
        p = plan.problem
        orders.append(p.orders)
        sources.append(p.sources)
        arcs = p.arcs
        arc_parts.append(replace(arcs, source=arcs.source + n_sources, order=arcs.order + n_orders))
        flows.append(plan.flow)
        reasons.update({row + n_orders: text for row, text in plan.reasons.items()})
        n_orders += len(p.orders)
        n_sources += len(p.sources)
    if not orders:
        raise InputError("no plans to merge")
    problem = Problem(
        orders=OrderColumns.concat(orders),
        sources=SourceColumns.concat(sources, len(context.depot_ids)),
        arcs=Arcs.concat(arc_parts),
        context=context,
    )
    return Plan(problem=problem, flow=np.concatenate(flows), strategy="optimal", reasons=reasons)
