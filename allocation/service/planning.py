"""Part groups planned by the engine, and the ledger brought to the plan.

The database is the truth: a write locks its part groups, has the per-process planner
(:mod:`allocation.service.plans`) plan them as the database holds them, and appends to the
ledger the releases and allocations that turn what orders hold into what the plan gives
them (:func:`replan_groups`), checking first that no supply would be promised beyond the
units the database says it has. Part groups are independent, so a plan of one group is
exactly the full plan restricted to it. Reads that explain a plan rebuild the group from its
rows (:func:`plan_group`) and never touch the planner.

What stays put between loads (parts, depots, lanes, customers, contracts) is turned into the
engine's :class:`~allocation.engine.problem.Context` once per process and load
(:class:`World`).
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime

import numpy as np
import pandas as pd
from sqlalchemy import bindparam, select, update
from sqlalchemy.engine import Connection

from allocation.adapters.inputs import EntitlementInputs
from allocation.adapters.snapshot import Snapshot
from allocation.adapters.store import ledger, schema
from allocation.adapters.store.ledger import Stamp
from allocation.adapters.store.master import MasterData, master_version, read_master
from allocation.adapters.store.reconcile import supply_totals
from allocation.allocate import solve_problem
from allocation.domain.entitlement import EntitlementPolicy
from allocation.domain.model import Contract, Customer
from allocation.domain.policy import AllocationPolicy
from allocation.engine.frames import orders_table, sources_table
from allocation.engine.plan import Plan, rows_of
from allocation.engine.problem import KINDS, Context, build_context, problem_from
from allocation.errors import InputError
from allocation.service.plans import PlanCache

__all__ = [
    "ORDER_COLUMNS",
    "NotLoadedError",
    "World",
    "WorldCache",
    "build_world",
    "group_tables",
    "holdings_of",
    "open_orders",
    "plan_group",
    "replan_groups",
]

_BASES = ("stock", "inbound", "expedite", "broker")


class NotLoadedError(InputError):
    """The database holds no master data yet: run ``parts-priority load`` first."""


@dataclass(frozen=True)
class World:
    """Master data and the engine's context built from it (one per load and process)."""

    version: str
    context: Context
    customers: dict[str, Customer]
    contracts: dict[str, list[Contract]]
    customers_frame: pd.DataFrame
    group_of: dict[str, str]
    parts_of: dict[str, list[str]]
    depots: frozenset[str]
    suppliers: frozenset[str]
    entitlement_policy: EntitlementPolicy | None
    snapshot: Snapshot
    plans: PlanCache


ORDER_COLUMNS = (
    "order_id",
    "customer_id",
    "part_number",
    "quantity",
    "created_at",
    "product_type",
    "warranty_valid",
    "ship_to_country",
)
"""The columns of an orders table, as the engine reads them."""


def _empty_orders() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "order_id": pd.Series([], dtype=object),
            "customer_id": pd.Series([], dtype=object),
            "part_number": pd.Series([], dtype=object),
            "quantity": pd.Series([], dtype=np.int64),
            "created_at": pd.Series([], dtype="datetime64[ns]"),
            "product_type": pd.Series([], dtype=object),
            "warranty_valid": pd.Series([], dtype=bool),
            "ship_to_country": pd.Series([], dtype=object),
        }
    )


def _supplier_frame(suppliers: Iterable[str]) -> pd.DataFrame:
    names = sorted(suppliers)
    return pd.DataFrame(
        {
            "part_number": pd.Series([""] * len(names), dtype=object),
            "source": pd.Series(["expedite"] * len(names), dtype=object),
            "supplier_id": pd.Series(names, dtype=object),
            "capacity": np.zeros(len(names), dtype=np.int64),
            "lead_time_hours": np.zeros(len(names)),
            "unit_cost": np.zeros(len(names)),
            "success_probability": np.ones(len(names)),
        }
    )


def build_world(
    master: MasterData,
    policy: AllocationPolicy | None = None,
    entitlement_policy: EntitlementPolicy | None = None,
    freeze: bool = False,
) -> World:
    """The engine's context and the entitlement inputs of a load (``freeze``: see
    :class:`PlanCache`)."""
    inputs = EntitlementInputs(master.customers, master.contracts, _empty_orders())
    snapshot = Snapshot(
        entitlement=inputs,
        parts=master.parts,
        depots=master.depots,
        stock=pd.DataFrame(),
        inbound=pd.DataFrame(),
        lanes=master.lanes,
        supply_options=_supplier_frame(master.suppliers),
        as_of=datetime(2000, 1, 1),
    )
    context = build_context(snapshot, policy or AllocationPolicy())
    contracts: dict[str, list[Contract]] = defaultdict(list)
    for contract in inputs.contract_objects():
        contracts[contract.customer_id].append(contract)
    return World(
        version=master.version,
        context=context,
        customers=inputs.customer_objects(),
        contracts=dict(contracts),
        customers_frame=master.customers[["customer_id", "country"]].copy(),
        group_of=dict(master.group_of),
        parts_of=_parts_of(master.group_of),
        depots=frozenset(master.depots["depot_id"]),
        suppliers=frozenset(master.suppliers),
        entitlement_policy=entitlement_policy,
        snapshot=snapshot,
        plans=PlanCache(freeze=freeze),
    )


def _parts_of(group_of: dict[str, str]) -> dict[str, list[str]]:
    parts_of: dict[str, list[str]] = defaultdict(list)
    for part, group in sorted(group_of.items()):
        parts_of[group].append(part)
    return dict(parts_of)


_SEEN_WORLD = "parts_priority_world"
"""``connection.info`` key: (transaction, cache, world) of the last :meth:`WorldCache.get`."""


class WorldCache:
    """One :class:`World` per process, rebuilt when another load happened."""

    def __init__(
        self,
        policy: AllocationPolicy | None = None,
        entitlement_policy: EntitlementPolicy | None = None,
        freeze: bool = False,
    ) -> None:
        self._policy = policy
        self._entitlement_policy = entitlement_policy
        self._freeze = freeze
        self._world: World | None = None
        self._lock = threading.Lock()

    def get(self, connection: Connection) -> World:
        """The world of the database's current load.

        The load's version is read once per transaction: the writes of one batch share
        their transaction, and a load, which deletes the part groups every write locks,
        cannot commit while that transaction holds them.
        """
        transaction = connection.get_transaction()
        seen = connection.info.get(_SEEN_WORLD)
        if seen is not None and seen[0] is transaction is not None and seen[1] is self:
            world: World = seen[2]
            return world
        world = self._current(connection)
        if transaction is not None:
            connection.info[_SEEN_WORLD] = (transaction, self, world)
        return world

    def _current(self, connection: Connection) -> World:
        version = master_version(connection)
        if version is None:
            raise NotLoadedError(
                "no master data loaded: run 'parts-priority load --snapshot DIR' first"
            )
        world = self._world
        if world is not None and world.version == version:
            return world
        with self._lock:
            if self._world is None or self._world.version != version:
                master = read_master(connection)
                assert master is not None
                self._world = build_world(
                    master, self._policy, self._entitlement_policy, self._freeze
                )
            return self._world


def group_tables(
    connection: Connection, parts: list[str] | None
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Stock, receipts and supply options of some parts (None: of every part)."""
    s, i, o = schema.stock, schema.inbound, schema.supply_options
    q_stock = select(s.c.part_number, s.c.depot_id, s.c.on_hand)
    q_inbound = select(i.c.part_number, i.c.depot_id, i.c.quantity, i.c.eta).order_by(
        i.c.inbound_id
    )
    q_options = select(
        o.c.part_number,
        o.c.source,
        o.c.supplier_id,
        o.c.capacity,
        o.c.lead_time_hours,
        o.c.unit_cost,
        o.c.success_probability,
    )
    if parts is not None:
        q_stock = q_stock.where(s.c.part_number.in_(parts))
        q_inbound = q_inbound.where(i.c.part_number.in_(parts))
        q_options = q_options.where(o.c.part_number.in_(parts))
    stock_rows = connection.execute(q_stock).all()
    inbound_rows = connection.execute(q_inbound).all()
    option_rows = connection.execute(q_options).all()
    stock = pd.DataFrame(
        {
            "part_number": pd.Series([r[0] for r in stock_rows], dtype=object),
            "depot_id": pd.Series([r[1] for r in stock_rows], dtype=object),
            "on_hand": np.array([r[2] for r in stock_rows], dtype=np.int64),
        }
    )
    inbound = pd.DataFrame(
        {
            "part_number": pd.Series([r[0] for r in inbound_rows], dtype=object),
            "depot_id": pd.Series([r[1] for r in inbound_rows], dtype=object),
            "quantity": np.array([r[2] for r in inbound_rows], dtype=np.int64),
            "eta": pd.Series([r[3] for r in inbound_rows], dtype="datetime64[ns]"),
        }
    )
    options = pd.DataFrame(
        {
            "part_number": pd.Series([r[0] for r in option_rows], dtype=object),
            "source": pd.Series([r[1] for r in option_rows], dtype=object),
            "supplier_id": pd.Series([r[2] for r in option_rows], dtype=object),
            "capacity": np.array([r[3] for r in option_rows], dtype=np.int64),
            "lead_time_hours": np.array([r[4] for r in option_rows], dtype=np.float64),
            "unit_cost": np.array([r[5] for r in option_rows], dtype=np.float64),
            "success_probability": np.array(
                [1.0 if r[6] is None else r[6] for r in option_rows], dtype=np.float64
            ),
        }
    )
    return stock, inbound, options


def open_orders(connection: Connection, group_key: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Open orders of a part group and their entitlement decisions, by order id."""
    o = schema.orders
    rows = connection.execute(
        select(
            o.c.order_id,
            o.c.customer_id,
            o.c.part_number,
            o.c.quantity,
            o.c.created_at,
            o.c.ship_to_country,
            o.c.priority_class,
            o.c.tier,
        )
        .where(o.c.group_key == group_key, o.c.status == "open")
        .order_by(o.c.order_id)
    ).all()
    orders = pd.DataFrame(
        {
            "order_id": pd.Series([r[0] for r in rows], dtype=object),
            "customer_id": pd.Series([r[1] for r in rows], dtype=object),
            "part_number": pd.Series([r[2] for r in rows], dtype=object),
            "quantity": np.array([r[3] for r in rows], dtype=np.int64),
            "created_at": pd.Series([r[4] for r in rows], dtype="datetime64[ns]"),
            "ship_to_country": pd.Series([r[5] for r in rows], dtype=object),
        }
    )
    decisions = pd.DataFrame(
        {
            "order_id": orders["order_id"],
            "priority_class": pd.Series([r[6] for r in rows], dtype=object),
            "tier": pd.Series([r[7] for r in rows], dtype=object),
        }
    )
    return orders, decisions


def plan_group(connection: Connection, world: World, group_key: str, now: datetime) -> Plan:
    """The engine's optimal plan of one part group, from what the database holds now."""
    return _plan(connection, world, group_key, world.parts_of.get(group_key, []), now)


def _plan(
    connection: Connection, world: World, group_key: str, parts: list[str], now: datetime
) -> Plan:
    context = replace(world.context, as_of=pd.Timestamp(now))
    orders, decisions = open_orders(connection, group_key)
    stock, inbound, options = group_tables(connection, parts)
    table = orders_table(orders, world.customers_frame, decisions, context)
    sources = sources_table(stock, inbound, options, context)
    return solve_problem(problem_from(table, sources, context), "optimal")


def holdings_of(plan: Plan, now: datetime) -> dict[ledger.HoldingKey, ledger.Holding]:
    """What each order holds in a plan, per supply, in the ledger's terms.

    ETAs count from ``now``, whatever moment the plan was made at: a unit leaves stock now,
    a receipt when it lands (or now, if it has), a supply option after its lead time; the
    route's transit follows. Only the arcs with units are looked at: a busy part group has
    hundreds of orders and sources, and a write runs this once per group it touches.
    """
    problem = plan.problem
    arcs = problem.arcs
    used = np.flatnonzero(plan.flow > 0)
    if len(used) == 0:
        return {}
    src = arcs.source[used]
    base = problem.sources_column("base", np.int64)[src]
    release_hours = problem.sources_column("release_hours", np.float64)[src]
    lands = problem.sources_column("release_at", "datetime64[ns]")[src]
    moment = np.datetime64(now, "ns")
    # When each source can release a unit, counted from now (a landed receipt: now).
    start = moment + (release_hours * 3.6e12).astype("timedelta64[ns]")
    receipt = base == 1
    start[receipt] = np.maximum(lands[receipt], moment)
    transit = ((arcs.eta_hours[used] - release_hours) * 3.6e12).astype("timedelta64[ns]")
    etas = (start + transit).astype("datetime64[s]").tolist()
    landing = lands.astype("datetime64[us]").tolist()
    order_ids = problem.orders_column("order_id", object)[arcs.order[used]].tolist()
    parts = problem.sources_column("part_number", object)[src].tolist()
    origins = problem.sources_column("origin", object)[src].tolist()
    kinds = [KINDS[k].value for k in arcs.kind[used].tolist()]
    costs = np.round(arcs.money[used], 6).tolist()
    result: dict[ledger.HoldingKey, ledger.Holding] = {}
    for i, quantity in enumerate(plan.flow[used].tolist()):
        b = int(base[i])
        key = ledger.supply_key(_BASES[b], str(origins[i]), landing[i] if b == 1 else None)
        holding = ledger.Holding(
            str(order_ids[i]),
            str(parts[i]),
            kinds[i],
            str(origins[i]),
            key,
            int(quantity),
            etas[i],
            float(costs[i]),
        )
        earlier = result.get(holding.key)
        if earlier is not None:
            holding = replace(holding, quantity=holding.quantity + earlier.quantity)
        result[holding.key] = holding
    return result


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
            _write_backorders(connection, plan, new)
            world.plans.brought_in_step(group_key)
            continue
        target = holdings_of(plan, stamp.at)
        if not _within_supply(connection, parts, target):
            planner = world.plans.reload(connection, world, stamp)
            plan = planner.group_plan(parts[0])
            target = holdings_of(plan, stamp.at)
            assert _within_supply(connection, parts, target), group_key
        current = ledger.balances(connection, group_key)
        entries = ledger.delta_entries(current, target)
        ledger.record(connection, stamp, entries, current)
        world.plans.brought_in_step(group_key)
        moved = {h.order_id for _, h in entries}
        changed.update(moved)
        _write_backorders(connection, plan, moved | new)
    return changed


def _nobody_moved(before: Plan, after: Plan) -> bool:
    """Whether ``after`` only added orders to ``before``'s problem (same supply, arcs
    appended) and gives units to no arc that ``before`` did not, nor changes any of its arcs.
    """
    old, now = before.problem, after.problem
    n = len(before.flow)
    if now.sources is not old.sources or len(after.flow) < n:
        return False
    if not (
        np.array_equal(now.arcs.source[:n], old.arcs.source)
        and np.array_equal(now.arcs.order[:n], old.arcs.order)
    ):
        return False
    return bool(np.array_equal(after.flow[:n], before.flow) and not after.flow[n:].any())


def _within_supply(
    connection: Connection, parts: list[str], target: Mapping[ledger.HoldingKey, ledger.Holding]
) -> bool:
    promised: dict[tuple[str, str], int] = defaultdict(int)
    for h in target.values():
        promised[(h.part_number, h.supply_key)] += h.quantity
    if not promised:
        return True
    units = supply_totals(connection, parts)
    return all(q <= units.get(k, 0) for k, q in promised.items())


def _write_backorders(connection: Connection, plan: Plan, candidates: set[str]) -> None:
    """Backorder quantity and reason of the orders that may have changed.

    Every write keeps, for every open order, the backorder equal to what it asked for less
    what it holds; holdings change only through ledger entries, so the orders with entries in
    this write, and new orders, are the only ones whose backorder can have changed. A waiting
    order's reason is the one given when its holdings last changed; the explanation route
    always answers from the current plan.
    """
    ids = plan.problem.orders_column("order_id", object)
    mine = rows_of(ids, candidates)
    if len(mine) == 0:
        return
    missing = plan.problem.orders_column("quantity", np.int64)[mine] - plan.filled[mine]
    short = [str(ids[r]) for r, m in zip(mine.tolist(), missing.tolist(), strict=True) if m > 0]
    reasons = plan.short_reasons(short) if short else {}
    connection.execute(
        _BACKORDER,
        [
            {
                "id": str(ids[row]),
                "b_quantity": int(quantity),
                "b_reason": reasons.get(str(ids[row])),
            }
            for row, quantity in zip(mine.tolist(), missing.tolist(), strict=True)
        ],
    )


_BACKORDER = (
    update(schema.orders)
    .where(schema.orders.c.order_id == bindparam("id"))
    .values(backorder_quantity=bindparam("b_quantity"), backorder_reason=bindparam("b_reason"))
)
