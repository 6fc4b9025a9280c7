"""Part groups planned by the engine, and the ledger brought to the plan.

The database is the truth: a write locks its part groups, has the per-process planner
(:mod:`allocation.service.plans`) plan them as the database holds them, and appends to the
ledger the releases and allocations that turn what orders hold into what the plan gives
them (:func:`replan_groups`), checking first that no supply would be promised beyond the
units the database says it has. Part groups are independent, so a plan of one group is
exactly the full plan restricted to it. Reads that explain a plan rebuild the group from its
rows (:func:`plan_group`) and never touch the planner.

Orders that arrive take a path of their own (:func:`plan_arrivals`, then
:func:`record_arrivals`): their backorders and what they hold are worked out from the plan
before their rows are written, so each row goes in once with its backorder and the answer
needs no read; and when the group's ledger holds the plan from before (the planner's
group is *in step*) and the plan kept every earlier order's units, the only entries are the
new orders' allocations, and the ledger's balances are not read.

What stays put between loads is turned into the engine's terms once per process and load
(:mod:`allocation.service.world`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import NamedTuple

import numpy as np
import numpy.typing as npt
from sqlalchemy.engine import Connection

from allocation.adapters.store import events, ledger
from allocation.adapters.store.ledger import Stamp
from allocation.adapters.store.overrides import overrides_table
from allocation.adapters.store.statements import Raw, run_raw_many
from allocation.adapters.store.supply import supply_units
from allocation.domain.model import SourceBase, SourceKind
from allocation.domain.overrides import Overrides
from allocation.engine import Classes, Plan, rows_of
from allocation.engine.explain import unfilled_reasons
from allocation.engine.model import SourceColumns, orders_from, problem_from, sources_from
from allocation.engine.solve import solve_strategy
from allocation.service.cap_history import taken_earlier
from allocation.service.group_rows import ORDER_COLUMNS, group_tables, open_orders
from allocation.service.world import World

__all__ = [
    "NOT_SHORT",
    "ORDER_COLUMNS",
    "Arrivals",
    "Short",
    "holdings_of",
    "plan_arrivals",
    "plan_group",
    "record_arrivals",
    "replan_groups",
]


def plan_group(connection: Connection, world: World, group_key: str, now: datetime) -> Plan:
    """The engine's optimal plan of one part group, from what the database holds now."""
    return _plan(connection, world, group_key, world.parts_of.get(group_key, []), now)


def _plan(
    connection: Connection, world: World, group_key: str, parts: list[str], now: datetime
) -> Plan:
    orders, decisions = open_orders(connection, group_key)
    stock, inbound, options = group_tables(connection, parts)
    # The group's overrides are part of its world: the context they make is the one the
    # writes' planner plans the group in (:class:`~allocation.service.plans.PlanCache`).
    context = replace(
        world.context.at(now),
        overrides=Overrides.of(overrides_table(connection, group_key)),
        taken_earlier=taken_earlier(connection, world.context.policy, parts, now),
    )
    classes = Classes.of_names(decisions)
    columns = orders_from(
        orders, world.snapshot.customers, classes.class_code, classes.tier_code, context
    )
    sources = sources_from(stock, inbound, options, context)
    problem = problem_from(columns, sources, context)
    solution = solve_strategy(problem, "optimal")
    return Plan(problem, solution.flow, "optimal", solution.excluded)


def holdings_of(
    plan: Plan, now: datetime, orders: Collection[str] | None = None
) -> dict[ledger.HoldingKey, ledger.Holding]:
    """What each order holds in a plan, per supply, in the ledger's terms.

    ETAs count from ``now``, whatever moment the plan was made at: a unit leaves stock now,
    a receipt when it lands (or now, if it has), a supply option after its lead time; the
    route's transit follows. Only the arcs with units are looked at: a busy part group has
    hundreds of orders and sources, and a write runs this once per group it touches.
    ``orders``: only what these orders hold (an arrival's own holdings; every order's when
    None).
    """
    problem = plan.problem
    arcs = problem.arcs
    given = plan.flow > 0
    if orders is not None:
        given &= _arcs_of(problem.orders.order_id, arcs.order, orders)
    used = np.flatnonzero(given)
    if len(used) == 0:
        return {}
    src = arcs.source[used]
    sources = problem.sources
    release_hours = sources.release_hours[src]
    lands = sources.release_at[src]
    moment = np.datetime64(now, "ns")
    # When each source can release a unit, counted from now (a landed receipt: now).
    start = moment + (release_hours * 3.6e12).astype("timedelta64[ns]")
    receipt = sources.base[src] == SourceBase.RECEIPT
    start[receipt] = np.maximum(lands[receipt], moment)
    transit = ((arcs.eta_hours[used] - release_hours) * 3.6e12).astype("timedelta64[ns]")
    etas = (start + transit).astype("datetime64[s]").tolist()
    order_ids = problem.orders.order_id[arcs.order[used]].tolist()
    kinds = [_KIND_NAMES[k] for k in arcs.kind[used].tolist()]
    costs = np.round(arcs.money[used], 6).tolist()
    # A busy group's units come from a few supplies: each supply's key is made once.
    supplies = _supplies(sources, np.unique(src))
    result: dict[ledger.HoldingKey, ledger.Holding] = {}
    for i, (s, quantity) in enumerate(zip(src.tolist(), plan.flow[used].tolist(), strict=True)):
        part, origin, key = supplies[s]
        order_id = str(order_ids[i])
        at = (order_id, part, kinds[i], origin, key)
        earlier = result.get(at)
        units = int(quantity) if earlier is None else int(quantity) + earlier.quantity
        result[at] = ledger.Holding(
            order_id, part, kinds[i], origin, key, units, etas[i], float(costs[i])
        )
    return result


def _rows_named(ids: npt.NDArray[np.object_], wanted: Collection[str]) -> npt.NDArray[np.int64]:
    """:func:`~allocation.engine.rows_of`, answered without a scan when ``wanted`` are the
    last rows: an arrival's orders are appended to their group's problem, and a write asks
    for its new orders several times. Order ids are unique in a problem, so the last rows
    holding exactly ``wanted`` are all the rows that do."""
    n, k = len(ids), len(wanted)
    if 0 < k <= n and set(ids[n - k :].tolist()) == set(wanted):
        return np.arange(n - k, n, dtype=np.int64)
    return rows_of(ids, wanted)


def _arcs_of(
    ids: npt.NDArray[np.object_], arc_order: npt.NDArray[np.int64], wanted: Collection[str]
) -> npt.NDArray[np.bool_]:
    """Which arcs go to one of the ``wanted`` orders (``ids`` by row)."""
    rows = _rows_named(ids, wanted)
    if len(rows) and int(rows[0]) == len(ids) - len(rows) and int(rows[-1]) == len(ids) - 1:
        tail: npt.NDArray[np.bool_] = arc_order >= rows[0]  # the last rows: no sort
        return tail
    among: npt.NDArray[np.bool_] = np.isin(arc_order, rows)
    return among


_KIND_NAMES = [k.value for k in SourceKind]
"""Source kinds by code: an arc's ``kind`` is a position in :class:`SourceKind`."""

_BASE_LABELS = {int(b): b.label for b in SourceBase}

_Supply = tuple[str, str, str]


def _supplies(sources: SourceColumns, rows: npt.NDArray[np.int64]) -> dict[int, _Supply]:
    """(part number, origin, supply key) of some sources, by source row."""
    bases = sources.base[rows].tolist()
    parts = sources.part_number[rows].tolist()
    origins = sources.origin[rows].tolist()
    landing = sources.release_at[rows].astype("datetime64[us]").tolist()
    found: dict[int, _Supply] = {}
    for i, s in enumerate(rows.tolist()):
        b, origin = bases[i], str(origins[i])
        lands = landing[i] if b == SourceBase.RECEIPT else None
        found[s] = (str(parts[i]), origin, ledger.supply_key(_BASE_LABELS[b], origin, lands))
    return found


def _promised(plan: Plan) -> dict[tuple[str, str], int]:
    """Units the plan promises of each supply, by (part number, supply key): what
    :func:`holdings_of` gives, summed over orders, without making a holding of each."""
    problem = plan.problem
    used = np.flatnonzero(plan.flow > 0)
    taken = np.zeros(len(problem.sources), dtype=np.int64)
    np.add.at(taken, problem.arcs.source[used], plan.flow[used])
    rows = np.flatnonzero(taken)
    supplies = _supplies(problem.sources, rows)
    promised: dict[tuple[str, str], int] = defaultdict(int)
    for s, units in zip(rows.tolist(), taken[rows].tolist(), strict=True):
        part, _, key = supplies[s]
        promised[(part, key)] += units
    return dict(promised)


def replan_groups(
    connection: Connection,
    world: World,
    stamps: Mapping[str, Stamp],
    reload: bool,
    new_orders: Iterable[str] = (),
    before: Mapping[str, Plan] | None = None,
) -> set[str]:
    """Bring the ledger of locked part groups to the planner's plan; returns the orders whose
    holdings changed.

    ``stamps`` come from :func:`allocation.adapters.store.database.lock_groups`: the caller
    holds those groups' locks. With ``reload`` each group is first rebuilt from the rows the
    transaction sees (after a change the planner was not told of); without, the caller has
    applied its change to the planner (:meth:`PlanCache.prepare`), and ``before`` may give a
    group's plan from before that change. A plan that would promise more than a supply has
    in the database is never written: the group is rebuilt from the rows and planned again.
    Backorders are brought up to date for ``new_orders`` and every order whose holdings
    changed: no other order's backorder can have changed.

    Most orders posted for a short part get nothing and move nobody: when the group's ledger
    is known to hold the ``before`` plan (:meth:`PlanCache.in_step`) and the new plan gives
    every earlier order the same units, there is nothing to append, and the ledger and the
    supply are not read at all.
    """
    changed: set[str] = set()
    new = set(new_orders)
    for group_key, stamp in sorted(stamps.items()):
        parts = world.parts_of.get(group_key, [group_key])
        if reload:
            world.plans.reload(connection, world, stamp)
        planner = world.plans.planner()
        plan = planner.group_plan(parts[0])
        earlier = None if before is None or reload else before.get(group_key)
        if earlier is not None and world.plans.in_step(group_key) and _nobody_moved(earlier, plan):
            events.append(connection, stamp.at, _write_backorders(connection, plan, new, new))
            world.plans.brought_in_step(group_key)
            continue
        if not _within_supply(connection, parts, _promised(plan)):
            planner = world.plans.reload(connection, world, stamp)
            plan = planner.group_plan(parts[0])
            assert _within_supply(connection, parts, _promised(plan)), group_key
        target = holdings_of(plan, stamp.at)
        current = ledger.balances(connection, group_key)
        entries = ledger.delta_entries(current, target)
        moved = {h.order_id for _, h in entries}
        changed.update(moved)
        states = _write_backorders(connection, plan, moved | new, _reported(entries, new))
        # The entries' events, then the orders' states: appended by one statement.
        ledger.record(connection, stamp, entries, current, states=states)
        world.plans.brought_in_step(group_key)
    return changed


def _nobody_moved(before: Plan, after: Plan) -> bool:
    """Whether ``after`` only added orders to ``before``'s problem (same supply, arcs
    appended) and gives units to no arc that ``before`` did not, nor changes any of its arcs.
    """
    return _earlier_kept(before, after) and not after.flow[len(before.flow) :].any()


def _earlier_kept(before: Plan, after: Plan) -> bool:
    """Whether ``after`` only added orders to ``before``'s problem (same supply, arcs
    appended) and keeps the units of every arc of ``before``: only new orders' arcs may have
    units that ``before`` did not give."""
    old, now = before.problem, after.problem
    n = len(before.flow)
    if now.sources is not old.sources or len(after.flow) < n:
        return False
    if not (
        np.array_equal(now.arcs.source[:n], old.arcs.source)
        and np.array_equal(now.arcs.order[:n], old.arcs.order)
    ):
        return False
    return bool(np.array_equal(after.flow[:n], before.flow))


class Short(NamedTuple):
    """What an order waits for: units short, and (only when short) the reason and its
    root-cause code (:mod:`allocation.domain.root_causes`)."""

    quantity: int
    reason: str | None
    code: str | None


NOT_SHORT = Short(0, None, None)
"""An order that holds every unit it asked for."""


@dataclass(frozen=True)
class _Arrived:
    """One part group after orders arrived, as the planner plans it; ``held``: what the new
    orders hold in its plan (every order's holdings are made only when the ledger is read)."""

    stamp: Stamp
    parts: list[str]
    plan: Plan
    held: dict[ledger.HoldingKey, ledger.Holding]
    kept: bool


@dataclass(frozen=True)
class Arrivals:
    """What orders that arrive in one write get, before the ledger is written.

    ``holdings``: what each new order will hold; ``backorders``: each new order's units
    short, why and the code of why (a reason and code only when short).
    """

    groups: list[_Arrived]
    holdings: dict[str, list[ledger.Holding]]
    backorders: dict[str, Short]


def plan_arrivals(
    world: World, stamps: Mapping[str, Stamp], before: Mapping[str, Plan], new_orders: list[str]
) -> Arrivals:
    """The planner's plan of each locked group, once the write's new orders were added to
    it (:meth:`~allocation.engine.Planner.add_order`); nothing is read or written.

    ``before`` is each group's plan from before the additions.
    """
    planner = world.plans.planner()
    new = set(new_orders)
    groups: list[_Arrived] = []
    holdings: dict[str, list[ledger.Holding]] = {o: [] for o in new_orders}
    backorders: dict[str, Short] = {}
    for group_key, stamp in sorted(stamps.items()):
        parts = world.parts_of.get(group_key, [group_key])
        plan = planner.group_plan(parts[0])
        held = holdings_of(plan, stamp.at, new)
        kept = world.plans.in_step(group_key) and _earlier_kept(before[group_key], plan)
        groups.append(_Arrived(stamp, parts, plan, held, kept))
        for h in held.values():
            holdings[h.order_id].append(h)
        backorders.update(_backorders(plan, new))
    for mine in holdings.values():
        mine.sort(key=ledger.holding_order)
    return Arrivals(groups, holdings, backorders)


def record_arrivals(connection: Connection, world: World, arrivals: Arrivals) -> bool:
    """Bring the ledger of every group to its plan after the new orders' rows were written
    with their backorders; whether every new order holds and waits for what ``arrivals``
    says (False when a group had to be read again: see :func:`replan_groups`)."""
    new = set(arrivals.holdings)
    as_planned = True
    for arrived in arrivals.groups:
        stamp, parts, plan = arrived.stamp, arrived.parts, arrived.plan
        if arrived.kept:
            # The ledger holds the plan from before, which kept every earlier order's units:
            # the new orders' allocations are all there is to write.
            entries = [("allocate", h) for h in arrived.held.values()]
            fits = not entries or _within_supply(connection, parts, _promised(plan))
            if fits:
                # The entries' events, then the new orders' states: appended together.
                states = _state_events(plan, _arrived(arrivals, new))
                ledger.record(connection, stamp, entries, current={}, states=states)
                world.plans.brought_in_step(stamp.group_key)
                continue
        reread = arrived.kept or not _within_supply(connection, parts, _promised(plan))
        if reread:
            planner = world.plans.reload(connection, world, stamp)
            plan = planner.group_plan(parts[0])
            assert _within_supply(connection, parts, _promised(plan)), stamp.group_key
            as_planned = False
        target = holdings_of(plan, stamp.at)
        current = ledger.balances(connection, stamp.group_key)
        entries = ledger.delta_entries(current, target)
        moved = {h.order_id for _, h in entries}
        if reread:
            states = _write_backorders(connection, plan, moved | new, _reported(entries, new))
        else:
            states = _write_backorders(connection, plan, moved - new, _reported(entries, set()))
            states += _state_events(plan, _arrived(arrivals, new))
        # The entries' events, then the orders' states: appended by one statement.
        ledger.record(connection, stamp, entries, current, states=states)
        world.plans.brought_in_step(stamp.group_key)
    return as_planned


def _arrived(arrivals: Arrivals, new: set[str]) -> dict[str, Short]:
    return {o: arrivals.backorders.get(o, NOT_SHORT) for o in new}


def _backorders(plan: Plan, orders: set[str]) -> dict[str, Short]:
    """Units short, the reason and its root-cause code, of the plan's orders among
    ``orders``."""
    problem = plan.problem
    ids = problem.orders.order_id
    mine = _rows_named(ids, orders)
    if len(mine) == 0:
        return {}
    missing = problem.orders.quantity[mine] - plan.filled[mine]
    names = [str(ids[r]) for r in mine.tolist()]
    result = dict.fromkeys(names, NOT_SHORT)
    short = mine[missing > 0]
    if len(short):
        # What Plan.short_reasons says, with the code that goes with each sentence.
        why = unfilled_reasons(problem, plan.flow, short, plan.reasons)
        lacking = (problem.orders.quantity[short] - plan.filled[short]).tolist()
        for r, q, reason, code in zip(
            short.tolist(), lacking, why.reason.tolist(), why.code.tolist(), strict=True
        ):
            result[str(ids[r])] = Short(int(q), str(reason), str(code))
    return result


def _within_supply(
    connection: Connection, parts: list[str], promised: Mapping[tuple[str, str], int]
) -> bool:
    """Whether the database's supplies of ``parts`` have the units promised of them
    (:func:`_promised`)."""
    if not promised:
        return True
    units = supply_units(connection, parts)
    return all(q <= units.get(k, 0) for k, q in promised.items())


def _reported(entries: list[tuple[str, ledger.Holding]], new: set[str]) -> set[str]:
    """The orders whose units held went up or down in ``entries`` (not those that only
    moved to another supply), and ``new`` ones: those the feed tells the state of."""
    net: dict[str, int] = defaultdict(int)
    for event, h in entries:
        net[h.order_id] += h.quantity if event == "allocate" else -h.quantity
    return {o for o, units in net.items() if units} | new


def _state_events(plan: Plan, shorts: Mapping[str, Short]) -> list[events.Change]:
    """``backordered`` (units short) or ``filled`` (units asked) events of the plan's orders
    among ``shorts``, by order id."""
    if not shorts:
        return []
    orders = plan.problem.orders
    changes = []
    for r in _rows_named(orders.order_id, set(shorts)).tolist():
        order_id, part = str(orders.order_id[r]), str(orders.part_number[r])
        short = shorts[order_id].quantity
        if short > 0:
            changes.append(events.Change("backordered", order_id, part, short))
        else:
            changes.append(events.Change("filled", order_id, part, int(orders.quantity[r])))
    return sorted(changes, key=lambda c: c.order_id)


def _write_backorders(
    connection: Connection, plan: Plan, candidates: set[str], report: set[str]
) -> list[events.Change]:
    """Backorder quantity, reason and root-cause code of the orders that may have changed;
    returns the feed's state events of those among them in ``report`` (:func:`_state_events`),
    for the caller to append with the write's other events (one statement for all).

    Every write keeps, for every open order, the backorder equal to what it asked for less
    what it holds; holdings change only through ledger entries, so the orders with entries in
    this write, and new orders, are the only ones whose backorder can have changed. A waiting
    order's reason and code are the ones given when its holdings last changed; the
    explanation route always answers from the current plan.
    """
    shorts = _backorders(plan, candidates)
    rows = [(b.quantity, b.reason, b.code, b.quantity > 0, order) for order, b in shorts.items()]
    run_raw_many(connection, _BACKORDER, rows)
    return _state_events(plan, {o: b for o, b in shorts.items() if o in report})


# ``backorder_code`` keeps the last code once the backorder ends, and ``backordered`` stays
# set once an order was short: reports count backorders that were, not only those that are.
_BACKORDER = Raw.of(
    "UPDATE orders SET backorder_quantity = ?, backorder_reason = ?, "
    "backorder_code = COALESCE(?, backorder_code), backordered = (backordered OR ?) "
    "WHERE order_id = ?"
)
