"""Plans of independent part groups: split one plan into groups, or merge groups into one.

The incremental planner keeps one small plan per part group and re-solves only the group a
change touches; readers want one plan. Order and source indices are renumbered both ways.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

import numpy as np
import numpy.typing as npt
import pandas as pd

from allocation.engine.columns import sliced_columns
from allocation.engine.plan import Plan
from allocation.engine.problem import AllocationProblem, Arcs, Context
from allocation.errors import InputError

__all__ = ["concat_arcs", "merge_plans", "split_by_group"]


def split_by_group(plan: Plan) -> dict[int, Plan]:
    """One plan per part group, with order and source indices renumbered."""
    problem = plan.problem
    order_group = problem.orders["part_group"].to_numpy(dtype=np.int64)
    source_group = problem.sources["part_group"].to_numpy(dtype=np.int64)
    arc_group = order_group[problem.arcs.order]
    plans: dict[int, Plan] = {}
    order_rows = _rows_by(order_group)
    source_rows = _rows_by(source_group)
    arc_rows = _rows_by(arc_group)
    for g in sorted(set(order_rows) | set(source_rows)):
        o = order_rows.get(g, np.zeros(0, dtype=np.int64))
        s = source_rows.get(g, np.zeros(0, dtype=np.int64))
        a = arc_rows.get(g, np.zeros(0, dtype=np.int64))
        o_new = np.full(len(problem.orders), -1, dtype=np.int64)
        o_new[o] = np.arange(len(o))
        s_new = np.full(len(problem.sources), -1, dtype=np.int64)
        s_new[s] = np.arange(len(s))
        arcs = problem.arcs.take(a)
        arcs = replace(arcs, order=o_new[arcs.order], source=s_new[arcs.source])
        sub = AllocationProblem(
            orders=problem.orders.iloc[o].reset_index(drop=True),
            sources=problem.sources.iloc[s].reset_index(drop=True),
            arcs=arcs,
            context=problem.context,
        )
        sliced_columns(problem, sub, o, s)
        plans[g] = Plan(sub, plan.flow[a], plan.strategy)
    return plans


def _rows_by(keys: npt.NDArray[np.int64]) -> dict[int, npt.NDArray[np.int64]]:
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
    merged_arcs = arc_parts[0]
    for more in arc_parts[1:]:
        merged_arcs = concat_arcs(merged_arcs, more)
    problem = AllocationProblem(
        orders=pd.concat(orders, ignore_index=True),
        sources=pd.concat(sources, ignore_index=True),
        arcs=merged_arcs,
        context=context,
    )
    return Plan(problem=problem, flow=np.concatenate(flows), strategy="optimal", reasons=reasons)


def concat_arcs(a: Arcs, b: Arcs) -> Arcs:
    fields = ("source", "order", "part", "kind", "eta_hours", "money", "allowed")
    return Arcs(*(np.concatenate([getattr(a, f), getattr(b, f)]) for f in fields))
