"""The churn penalty in the optimal solve: keeping a previous plan's units, priced exactly.

The policy's ``churn_penalty`` ``P`` (in cents, :func:`~allocation.engine.objective.
churn_cents`) adds ``P`` per unit moved to the money level
(:mod:`allocation.engine.objective`, "Churn penalty"). Per (order ``o``, source kind and
origin ``G``) of the previous plan with ``c`` units, a plan that now gives ``o`` ``f_G``
units from ``G`` moves ``max(0, c − f_G) = c − min(c, f_G)``: up to the constant ``P·c``, a
*reward* of ``P`` per unit ``o`` keeps in ``G``, for at most ``c`` units.

The construction
----------------
One source→order arc cannot carry that reward: ``G`` may hold several sources for ``o``
(receipts landing at one depot at other times, a part and its substitute, a held tranche)
that share the one cap ``c``. So ``o`` is split into *copies*: one copy ``o_G`` per previous
``G``, wanting ``c_G`` units, and ``o`` itself wanting what is left, ``D − Σ c_G``. Every
copy has all of ``o``'s arcs with all of their levels; on ``o_G``'s arcs from ``G`` the money
is ``P`` cents lower (:func:`~allocation.engine.objective.churn_rewarded_money`). Each copy
is a node of its own (no merging with look-alikes), and its flows add back onto ``o``'s arcs.

Why it is exact
---------------
*Same plans.* The copies' flows add up to a flow of ``o`` within its need, and any flow of
``o`` (at most ``D`` units) splits among copies whose wants add up to ``D``.
*Same higher levels.* Units of a class, units late, hours late, ETA ticks and age are per
unit of an (order, source) arc or of an order, the same on every copy: every split of a
flow of ``o`` scores the same on them.
*Money level.* The best split of ``o``'s flow ``f`` puts ``min(c_G, f_G)`` units from ``G``
on ``o_G`` — the rest of ``f`` fits the copies' room, since all wants add up to ``D ≥ |f|``
— and no split rewards more: ``o_G`` takes at most ``c_G`` units, and only those from ``G``
earn. So the least money level over splits is ``money(f) − P·Σ_G min(c_G, f_G)``, which
is ``money(f) + P·moved(f) − P·Σ_G c_G``. The lexicographic optimum of the split problem
(:mod:`._lexflow` proves the solve exact for any integer per-arc levels) is therefore a
lexicographic optimum of the plan with money + penalty × units moved.

The wants must add up to at most ``D``: ``c_G`` is the previous units less what overrides
firm in ``G`` (firmed units are kept, :mod:`allocation.domain.overrides`), cut to ``D``.
When an order now needs fewer units than the previous plan still holds for it in two or
more places, the ``c_G`` are cut, last (kind, origin) first, until they fit: there the
penalty may overstate what moves, and only there.

Orders with nothing previous keep their rows, nodes and arcs, so a problem without a
previous plan, or at penalty 0, is solved exactly as before.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt
import pandas as pd

from allocation.domain.model import SourceKind
from allocation.engine.model import Arcs, Held, OrderColumns, Problem
from allocation.engine.objective import churn_cents, churn_rewarded_money
from allocation.engine.solve._optimal import Runner, solve_optimal
from allocation.errors import PolicyError

__all__ = ["ChurnCopies", "churn_copies", "solve_optimal_priced"]

IntArray = npt.NDArray[np.int64]
_OWN = np.int64(1) << np.int64(62)
_KIND = {k.code: k.value for k in SourceKind}


@dataclass(frozen=True)
class ChurnCopies:
    """A problem with its orders split into copies; ``arc_of`` maps its arcs back."""

    problem: Problem
    demand: IntArray
    arc_of: IntArray


def solve_optimal_priced(
    problem: Problem,
    runner: Runner | None = None,
    demand: IntArray | None = None,
    held: Held | None = None,
) -> IntArray:
    """:func:`~allocation.engine.solve._optimal.solve_optimal`, with the churn penalty
    priced when the problem's context has a previous plan and a penalty above 0."""
    if not problem.context.churn_priced():
        return solve_optimal(problem, runner, demand=demand, held=held)
    if problem.policy.fair_share:
        raise PolicyError(
            "allocation.churn_penalty cannot be combined with allocation.fair_share caps "
            "(set one of them off)"
        )
    need = problem.orders.quantity if demand is None else demand
    copies = churn_copies(problem, need)
    if copies is None:
        return solve_optimal(problem, runner, demand=demand, held=held)
    flow = solve_optimal(copies.problem, runner, demand=copies.demand)
    out = np.zeros(len(problem.arcs), dtype=np.int64)
    np.add.at(out, copies.arc_of, flow)
    return out


def churn_copies(problem: Problem, demand: IntArray) -> ChurnCopies | None:
    """``problem`` with a copy of each order per previous (kind, origin) it can still keep
    (see the module docstring); None when no order has one."""
    context = problem.context
    assert context.previous is not None
    orders, arcs = problem.orders, problem.arcs
    wants = _wants(problem, demand)
    if not wants:
        return None
    reward = churn_cents(problem.policy.churn_penalty)
    kind_value = np.array([_KIND[int(k)] for k in arcs.kind], dtype=object)
    arc_origin = problem.sources.origin[arcs.source]
    by_order = pd.Series(np.arange(len(arcs))).groupby(arcs.order).indices
    rows: list[int] = []
    want_of: list[int] = []
    names: list[str] = []
    new_arcs: list[Arcs] = []
    arc_of: list[IntArray] = [np.arange(len(arcs), dtype=np.int64)]
    left = demand.astype(np.int64).copy()
    for row, groups in wants.items():
        mine = np.asarray(by_order[row], dtype=np.int64)
        for kind, origin, units in groups:
            copy = len(orders) + len(rows)
            rows.append(row)
            want_of.append(units)
            names.append(f"{orders.order_id[row]}|{kind}|{origin}")
            left[row] -= units
            hit = (kind_value[mine] == kind) & (arc_origin[mine] == origin)
            part = arcs.take(mine)
            money = part.money.copy()
            money[hit] = churn_rewarded_money(money[hit], reward)
            new_arcs.append(
                Arcs(
                    part.source,
                    np.full(len(mine), copy, dtype=np.int64),
                    part.kind,
                    part.eta_hours,
                    money,
                    part.allowed,
                )
            )
            arc_of.append(mine)
    extra = orders.take(np.array(rows, dtype=np.int64))
    hashed = pd.util.hash_array(np.array(names, dtype=object), categorize=False)
    node = -1 - ((hashed >> np.uint64(2)).astype(np.int64) % _OWN)
    extra = replace(extra, node=node)
    all_orders = OrderColumns.concat([orders, extra])
    quantity = np.r_[left, np.array(want_of, dtype=np.int64)]
    split = Problem(
        all_orders.with_quantity(quantity),
        problem.sources,
        Arcs.concat([arcs, *new_arcs]),
        context,
    )
    return ChurnCopies(split, quantity, np.concatenate(arc_of))


def _wants(problem: Problem, demand: IntArray) -> dict[int, list[tuple[str, str, int]]]:
    """Per order row: (kind, origin, units) it may keep of the previous plan, firmed units
    out, cut to fit its need (see the module docstring)."""
    context = problem.context
    assert context.previous is not None
    orders = problem.orders
    ids = frozenset(orders.order_id.tolist())
    previous = context.previous.for_orders(ids)
    if not previous:
        return {}
    firmed: dict[tuple[str, str, str], int] = {}
    for f in context.overrides.firm:
        key = (f.order_id, f.kind.value, f.origin)
        firmed[key] = firmed.get(key, 0) + f.quantity
    row_of = {str(o): i for i, o in enumerate(orders.order_id.tolist())}
    kinds = problem.arcs.kind
    origins = problem.sources.origin[problem.arcs.source]
    reachable = set(
        zip(
            problem.arcs.order.tolist(),
            [_KIND[int(k)] for k in kinds],
            origins.tolist(),
            strict=True,
        )
    )
    wants: dict[int, list[tuple[str, str, int]]] = {}
    for (order_id, kind, origin), units in sorted(previous.items()):
        row = row_of[order_id]
        keep = min(units - firmed.get((order_id, kind, origin), 0), int(demand[row]))
        if keep > 0 and (row, kind, origin) in reachable:
            wants.setdefault(row, []).append((kind, origin, keep))
    for row, groups in wants.items():
        room = int(demand[row])
        fitted = []
        for kind, origin, keep in groups:
            take = min(keep, room)
            room -= take
            if take > 0:
                fitted.append((kind, origin, take))
        wants[row] = fitted
    return {row: groups for row, groups in wants.items() if groups}
