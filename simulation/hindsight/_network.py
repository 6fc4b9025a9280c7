"""One part's offline allocation as a time-expanded min-cost flow (OR-Tools).

Data → model → arcs → objective → solve → check status → extract, as the OR-Tools samples
go. Times are integer ticks (hours × ticks per hour, floored). The network:

- a **chain** per depot, and one more for the reorder units that may land at any depot
  (:mod:`._facts`), with a node at each time units land there: a *shelf* node (units
  that have landed wait, forward in time, for free) and, per class, a *backorder* node
  (arcs backward in time costing the time they span: a unit landing at ``t'`` serves an
  order that could take it at ``t < t'`` and pays the wait ``t' - t``);
- **supplies**: shelves at time 0 and scheduled receipts at their depot's chain, reorder
  units on the any-depot chain; supply landing while its depot is offline lands when the
  depot is back (nothing ships from an offline depot);
- **options**: per option a chain of capacity periods carrying the successful buys that
  exist from each period on, a period's buys capped by its capacity, and an arc from each
  period to each order that may buy then, costing the earliest delivery in that period;
- **orders**: one unit each, taken from a chain at the first moment the order exists and the
  depot is online (``attach``): from the shelf node of the last landing at or before it
  (cost: the wait to ``attach``, the lane's transit, the repair), or from the backorder node
  of the first landing after it (the same plus the wait to that landing); or from the
  **never** node, costing the downtime up to the end of the run (what the KPIs count for an
  order still open then). The any-depot chain ignores offline depots and charges the
  shortest transit among the depots the order may take units from.

Nodes are only landing times, so a part costs (orders × chains) arcs and (landings)
nodes, never units or hours.

Lexicographic objective, exact with one additive weight: parts-priority costs are
multiplied by ``W = 1 + sum over standard orders of their never cost``. Every optimal flow
sends each standard order along a path no dearer than never (else never is cheaper with the
same parts-priority cost), so its standard cost is below ``W``; a flow with parts-priority
cost lower by one tick would then be cheaper by at least ``W - (W - 1) > 0`` — so an optimum
minimises parts-priority downtime first and standard downtime among those optima.
:func:`check_range` keeps the costs inside what the solver's ``int64`` arithmetic takes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from ortools.graph.python import min_cost_flow

from allocation import SourceKind
from simulation.errors import SimulationError
from simulation.hindsight._facts import FloatArray, IntArray, OptionFacts, PartFacts

__all__ = [
    "CostRangeError",
    "Lanes",
    "PartBound",
    "check_range",
    "online_after",
    "solve_part",
]

_LIMIT = 2**62
_NEVER, _DISCARD = 0, 1
_STOCK, _TRANSFER, _INBOUND = (
    SourceKind.STOCK.code,
    SourceKind.TRANSFER.code,
    SourceKind.INBOUND.code,
)


class CostRangeError(SimulationError):
    """The costs at this tick size would overflow the solver's ``int64`` arithmetic."""


@dataclass(frozen=True)
class Lanes:
    """What the solve needs of the world besides the part's facts (hours unless said).

    ``depot_hours[col][d]`` and ``option_hours[col][o]`` are lane transits (inf: no lane);
    ``allowed[c][k]`` whether class ``c`` may take sources of kind ``k``; ``offline`` the
    depots' offline windows ``(low, high, depot)``; ``priority`` the parts-priority class.
    """

    depot_hours: list[list[float]]
    option_hours: list[list[float]]
    allowed: list[list[bool]]
    offline: list[tuple[float, float, int]]
    priority: int
    repair: float
    end: float
    period: float


@dataclass(frozen=True)
class PartBound:
    """The least downtime (ticks) of one part's counted orders, and their count, per class."""

    ticks: dict[int, int]
    orders: dict[int, int]


@dataclass(frozen=True)
class Orders:
    """A part's counted orders: hours created, class, country column, home depot (-1: none)."""

    created: FloatArray
    klass: IntArray
    col: IntArray
    home: IntArray


class _Model:
    """Nodes handed out in blocks, arcs collected as NumPy blocks (tail, head, capacity,
    cost in ticks, class paying it or -1), supplies as (node, units) blocks."""

    def __init__(self, first: int) -> None:
        self.nodes = first
        self.arcs: list[tuple[IntArray, ...]] = []
        self.supply: list[tuple[IntArray, IntArray]] = []

    def new(self, count: int) -> IntArray:
        block = self.nodes + np.arange(count, dtype=np.int64)
        self.nodes += count
        return block

    def arc(self, tail: IntArray, head: IntArray, cap: object, cost: object, klass: int) -> None:
        n = len(tail)
        if n:
            self.arcs.append(
                (
                    np.asarray(tail, dtype=np.int64),
                    np.broadcast_to(np.asarray(head, dtype=np.int64), n),
                    np.broadcast_to(np.asarray(cap, dtype=np.int64), n),
                    np.broadcast_to(np.asarray(cost, dtype=np.int64), n),
                    np.full(n, klass, dtype=np.int64),
                )
            )

    def arrays(self) -> tuple[IntArray, IntArray, IntArray, IntArray, IntArray]:
        tail, head, cap, cost, klass = (np.concatenate(c) for c in zip(*self.arcs, strict=True))
        return tail, head, cap, cost, klass


def online_after(
    hours: FloatArray, depot: int, offline: list[tuple[float, float, int]]
) -> FloatArray:
    """The first moment at or after each time at which ``depot`` is online.

    Examples
    --------
    >>> online_after(np.array([1.0, 5.0, 12.0]), 0, [(4.0, 8.0, 0), (8.0, 10.0, 0)])
    array([ 1., 10., 12.])
    """
    out = np.array(hours, dtype=np.float64)
    windows = sorted((lo, hi) for lo, hi, d in offline if d == depot)
    for _ in range(len(windows)):
        for lo, hi in windows:
            out[(lo <= out) & (out < hi)] = hi
    return out


def solve_part(facts: PartFacts, orders: Orders, lanes: Lanes, per_hour: float) -> PartBound:
    """The least downtime of one part's counted orders, at ``per_hour`` ticks an hour.

    Raises
    ------
    CostRangeError
        If the costs would overflow at this tick size (:func:`check_range`).
    SimulationError
        If the solver fails (it should not: every order may go unserved).
    """
    n = len(orders.created)
    if n == 0:
        return PartBound({}, {})

    def tick(hours: FloatArray | float) -> IntArray:
        return np.floor(np.asarray(hours, dtype=np.float64) * per_hour).astype(np.int64)

    klass = orders.klass
    classes = sorted(set(klass.tolist()))
    end, repair = int(tick(lanes.end)), int(tick(lanes.repair))
    born = tick(orders.created)
    never = np.maximum(end - born, 0)
    weight = dict.fromkeys(classes, 1)
    if lanes.priority in weight and len(classes) > 1:
        weight[lanes.priority] = 1 + int(never[klass != lanes.priority].sum())
    model = _Model(2)
    order_node = model.new(n)
    depots = len(lanes.depot_hours[0]) if lanes.depot_hours else 0
    hours = np.array([lanes.depot_hours[c] for c in orders.col.tolist()]).reshape(n, depots)
    may = _may(lanes, klass, orders.home, depots)
    for d in range(depots):
        landed = [(t, u) for dd, t, u in facts.injections if dd == d]
        at = online_after(np.array([t for t, _ in landed]), d, lanes.offline)
        units = np.array([u for _, u in landed], dtype=np.int64)
        rows = np.flatnonzero(may[:, d] & np.isfinite(hours[:, d]))
        attach = tick(online_after(orders.created[rows], d, lanes.offline))
        _chain(model, tick(at), units, rows, attach, tick(hours[rows, d]), born, klass, end, repair)
    if len(facts.pool):
        reach = np.where(may & np.isfinite(hours), hours, np.inf).min(axis=1, initial=np.inf)
        rows = np.flatnonzero(np.isfinite(reach))
        units = np.ones(len(facts.pool), dtype=np.int64)
        _chain(
            model,
            tick(facts.pool),
            units,
            rows,
            born[rows],
            tick(reach[rows]),
            born,
            klass,
            end,
            repair,
        )
    for option in facts.options:
        _option(model, option, orders, born, lanes, repair, per_hour)
    for c in classes:
        mine = np.flatnonzero(klass == c)
        model.arc(np.full(len(mine), _NEVER), order_node[mine], 1, never[mine], c)
    model.arc(np.array([_NEVER]), np.array([_DISCARD]), _LIMIT, 0, -1)
    return _solve(model, n, order_node, klass, weight, classes)


def _may(lanes: Lanes, klass: IntArray, home: IntArray, depots: int) -> np.ndarray:
    """``[order, depot]``: whether the order may take units of that depot — its home's
    shelf or receipts, another depot's only by transfer."""
    allowed = np.array(lanes.allowed, dtype=bool)[klass]
    at_home = np.arange(depots)[None, :] == home[:, None]
    own = allowed[:, _STOCK] | allowed[:, _INBOUND]
    return np.where(at_home, own[:, None], allowed[:, _TRANSFER][:, None])


def _chain(
    model: _Model,
    lands: IntArray,
    units: IntArray,
    rows: IntArray,
    attach: IntArray,
    transit: IntArray,
    born: IntArray,
    klass: IntArray,
    end: int,
    repair: int,
) -> None:
    """A chain of landings (ticks ``lands``, ``units`` each) and its arcs to orders ``rows``
    that may take its units from ``attach`` on, ``transit`` ticks away."""
    keep = lands <= end
    times, where = np.unique(lands[keep], return_inverse=True)
    if not len(times):
        return
    m = len(times)
    shelf = model.new(m)
    model.supply.append(
        (shelf, np.bincount(where, weights=units[keep], minlength=m).astype(np.int64))
    )
    # Units wait on the shelf for free; any may be left unused, where it is (a path to the
    # end of the chain would make the solver push every spare unit along it).
    model.arc(shelf[:-1], shelf[1:], _LIMIT, 0, -1)
    model.arc(shelf, np.full(m, _DISCARD), _LIMIT, 0, -1)
    ok = attach <= end
    rows, attach, transit = rows[ok], attach[ok], transit[ok]
    before = np.searchsorted(times, attach, side="right") - 1
    base = attach - born[rows] + transit + repair
    for c in sorted(set(klass[rows].tolist())):
        back = model.new(m)
        model.arc(shelf, back, _LIMIT, 0, -1)
        model.arc(back[1:], back[:-1], _LIMIT, np.diff(times), c)
        mine = klass[rows] == c
        r, b, cost = rows[mine], before[mine], base[mine]
        landed = b >= 0
        model.arc(shelf[b[landed]], 2 + r[landed], 1, cost[landed], c)
        later = b + 1 < m
        wait = times[b[later] + 1] - attach[mine][later]
        model.arc(back[b[later] + 1], 2 + r[later], 1, cost[later] + wait, c)


def _option(
    model: _Model,
    option: OptionFacts,
    orders: Orders,
    born: IntArray,
    lanes: Lanes,
    repair: int,
    per_hour: float,
) -> None:
    """One option's period chain and its arcs to the orders that may buy from it."""
    periods = len(option.capacity)
    token, buy = model.new(periods), model.new(periods)
    model.supply.append((token, option.tokens))
    model.arc(token[:-1], token[1:], _LIMIT, 0, -1)
    model.arc(token, np.full(periods, _DISCARD), _LIMIT, 0, -1)
    model.arc(token, buy, option.capacity, 0, -1)
    transit = np.array([lanes.option_hours[c][option.option] for c in orders.col.tolist()])
    allowed = np.array(lanes.allowed, dtype=bool)[orders.klass, option.kind]
    rows = np.flatnonzero(allowed & np.isfinite(transit))
    starts = np.array([s for s, _ in option.segments] + [np.inf])
    leads = np.array([lead for _, lead in option.segments]) * option.factor
    created = orders.created[rows]
    first = np.floor(created / lanes.period).astype(np.int64)
    for p in np.flatnonzero(option.capacity > 0).tolist():
        low, high = p * lanes.period, (p + 1) * lanes.period
        take = first <= p
        begin = np.maximum(created[take], low)
        best = np.full(len(begin), np.inf)
        for k in range(len(leads)):
            at = np.maximum(begin, starts[k])
            fits = at < np.minimum(high, starts[k + 1])
            best = np.where(fits, np.minimum(best, at + leads[k]), best)
        r = rows[take]
        ok = best < lanes.end
        r, best = r[ok], best[ok]
        delivered = np.floor((best + transit[r]) * per_hour).astype(np.int64)
        cost = np.maximum(delivered - born[r], 0) + repair
        for c in sorted(set(orders.klass[r].tolist())):
            mine = orders.klass[r] == c
            model.arc(np.full(int(mine.sum()), buy[p]), 2 + r[mine], 1, cost[mine], c)


def _solve(
    model: _Model,
    n: int,
    order_node: IntArray,
    klass: IntArray,
    weight: dict[int, int],
    classes: list[int],
) -> PartBound:
    tail, head, cap, raw, owner = model.arrays()
    weights = np.zeros(max(classes) + 1, dtype=np.int64)
    for c, w in weight.items():
        weights[c] = w
    cost = np.where(owner >= 0, raw * weights[np.maximum(owner, 0)], 0)
    check_range(int(cost.max(initial=0)), model.nodes)
    balance = np.zeros(model.nodes, dtype=np.int64)
    for nodes, units in model.supply:
        np.add.at(balance, nodes, units)
    total = int(balance.sum())
    balance[_NEVER] += n
    balance[order_node] -= 1
    balance[_DISCARD] -= total
    solver = min_cost_flow.SimpleMinCostFlow()
    solver.add_arcs_with_capacity_and_unit_cost(tail, head, np.minimum(cap, total + n), cost)
    solver.set_nodes_supplies(np.arange(model.nodes), balance)
    status = solver.solve()
    if status == solver.BAD_COST_RANGE:
        raise CostRangeError("hindsight bound: the solver refused the cost range")
    if status != solver.OPTIMAL:
        raise SimulationError(f"hindsight bound: the min-cost flow ended with status {status}")
    flow = solver.flows(np.arange(len(tail)))
    paid = flow * raw
    ticks = {c: int(paid[owner == c].sum()) for c in classes}
    return PartBound(ticks, {c: int((klass == c).sum()) for c in classes})


def check_range(largest_cost: int, nodes: int) -> None:
    """Refuse costs that the solver's cost scaling (``× (nodes + 1)``) would overflow.

    Examples
    --------
    >>> check_range(10**9, 10**6)
    >>> check_range(10**14, 10**6)
    Traceback (most recent call last):
    ...
    simulation.hindsight._network.CostRangeError: hindsight bound: costs too large for int64
    """
    if largest_cost * (nodes + 1) >= _LIMIT:
        raise CostRangeError("hindsight bound: costs too large for int64")
