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

``c_G`` is the previous units less what overrides firm in ``G`` (firmed units are kept,
:mod:`allocation.domain.overrides`), at most ``D``. When an order now needs fewer units than
the previous plan still holds for it (``Σ c_G > D``: its quantity was cut, or a firm took
some of its need elsewhere), the wants cannot add up to ``D``; then ``o`` itself wants all
of ``D``, every copy still wants its whole ``c_G``, and ``o`` and its copies send their
units to the sink through one *hub* that carries at most ``D`` — the capacity the solver
gives a fair-share cap (:mod:`._lexflow`, "Fair-share caps"; the churn penalty and caps are
never combined, so the hubs are free). The same argument holds: any flow of at most ``D``
units splits among the copies, with ``min(c_G, f_G)`` on ``o_G`` and the rest on ``o``,
which has room for all of it; no split takes more than ``D`` through the hub. So the
penalty is exact in every case.

Orders with nothing previous keep their rows, nodes and arcs, so a problem without a
previous plan, or at penalty 0, is solved exactly as before.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt
import pandas as pd

from allocation.domain.fair_share import Cap
from allocation.domain.model import SourceKind
from allocation.engine.model import Arcs, CapHubs, Held, OrderColumns, Problem
from allocation.engine.objective import churn_cents, churn_rewarded_money
from allocation.engine.solve._optimal import Runner, solve_optimal
from allocation.errors import PolicyError

__all__ = ["ChurnCopies", "churn_copies", "solve_optimal_priced"]

IntArray = npt.NDArray[np.int64]
_OWN = np.int64(1) << np.int64(62)
_KIND = {k.code: k.value for k in SourceKind}


@dataclass(frozen=True)
class ChurnCopies:
    """A problem with its orders split into copies; ``arc_of`` maps its arcs back; ``hubs``
    hold each order whose previous units exceed its need to that need, copies included."""

    problem: Problem
    demand: IntArray
    arc_of: IntArray
    hubs: CapHubs | None = None


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
    flow = solve_optimal(copies.problem, runner, demand=copies.demand, hubs=copies.hubs)
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
    over = {row for row, groups in wants.items() if sum(u for _, _, u in groups) > demand[row]}
    for row, groups in wants.items():
        mine = np.asarray(by_order[row], dtype=np.int64)
        for kind, origin, units in groups:
            copy = len(orders) + len(rows)
            rows.append(row)
            want_of.append(units)
            names.append(f"{orders.order_id[row]}|{kind}|{origin}")
            if row not in over:  # an order held to its need by a hub keeps wanting all of it
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
    hubs = _need_hubs(all_orders, np.array(rows, dtype=np.int64), over, demand, len(orders))
    return ChurnCopies(split, quantity, np.concatenate(arc_of), hubs)


def _need_hubs(
    orders: OrderColumns, copy_of: IntArray, over: set[int], demand: IntArray, first_copy: int
) -> CapHubs | None:
    """One hub per order in ``over`` (rows of the original orders), holding it and its
    copies (rows ``first_copy + i`` for ``copy_of[i]``) to its need; None when none is over.
    Hubs go by order id, so their numbering never depends on row order."""
    if not over:
        return None
    ordered = sorted(over, key=lambda r: str(orders.order_id[r]))
    hub_of_row = {row: h for h, row in enumerate(ordered)}
    hub = np.full(len(orders), -1, dtype=np.int64)
    for row, h in hub_of_row.items():
        hub[row] = h
    for i, row in enumerate(copy_of.tolist()):
        if row in hub_of_row:
            hub[first_copy + i] = hub_of_row[row]
    limit = np.array([int(demand[r]) for r in ordered], dtype=np.int64)
    parts = np.array([str(orders.part_number[r]) for r in ordered], dtype=object)
    return CapHubs(
        hub=hub,
        limit=limit,
        taken=np.zeros(len(ordered), dtype=np.int64),
        caps=tuple(
            Cap("customer", str(p), units=int(q)) for p, q in zip(parts, limit, strict=True)
        ),
        party=np.array([f"order {orders.order_id[r]}" for r in ordered], dtype=object),
        part=parts,
    )


def _wants(problem: Problem, demand: IntArray) -> dict[int, list[tuple[str, str, int]]]:
    """Per order row: (kind, origin, units) it may keep of the previous plan, firmed units
    out, each at most its need (together they may be more: see the module docstring)."""
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
    return wants
