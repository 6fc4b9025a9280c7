"""Tiny snapshot builders for engine tests: a few Python tuples in, a validated snapshot out.

Customers are fixed and named by what their orders become (see :data:`CUSTOMERS`): ``PM`` is
an entitled Priority Management customer, so its orders are ``parts_priority`` wherever the
ship-to country allows it; ``STD`` has no contract, ``PA`` and ``PA+`` hold those tiers. Each
test names only the orders, stock and lanes it is about; everything else has a default:
one depot ``D1`` in the US, parts costing 10 with no substitutes, no lanes (a depot still
reaches its own country in 0 h at 0 cost).

Times are counted in hours around :data:`AS_OF`, the snapshot's moment: an order created
``age`` hours before it, a receipt landing ``hours`` after it.

:func:`random_worlds` is the hypothesis strategy for small random snapshots shared by the
property tests and the LP comparison.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from hypothesis import strategies as st

from allocation.adapters.snapshot import Snapshot, load_snapshot
from tests.allocation.rules_md import PA_PC_1Y, PA_PLUS_PC_1Y, PM_PC_1Y

if TYPE_CHECKING:
    from allocation.engine import Plan

AS_OF = datetime(2025, 6, 10, 12, 0)

# customer id → the SKU of its contract (None: no contract). Every customer is in the US, runs
# an IT help desk and has 1,500 in-warranty PCs; contracts were bought on 1 January 2025.
CUSTOMERS: dict[str, str | None] = {
    "PM": PM_PC_1Y,
    "PA+": PA_PLUS_PC_1Y,
    "PA": PA_PC_1Y,
    "STD": None,
}
PM, STD = "PM", "STD"


@dataclass(frozen=True)
class Order:
    """One order line: ``age`` hours old at :data:`AS_OF`, shipped to ``country``, due
    ``due`` hours after :data:`AS_OF` (None: no ``need_by``)."""

    order_id: str
    customer: str = PM
    part: str = "A"
    quantity: int = 1
    age: float = 1.0
    country: str = "US"
    due: float | None = None


def order(order_id: str, customer: str = PM, **changes: Any) -> Order:
    """An order of one unit of part ``A`` for the US, an hour old."""
    return Order(order_id, customer, **changes)


@dataclass(frozen=True)
class World:
    """The raw rows of a snapshot; :meth:`tables` turns them into DataFrames."""

    orders: Sequence[Order]
    stock: Sequence[tuple[str, str, int]] = ()  # part, depot, on_hand
    depots: Sequence[tuple[str, str]] = (("D1", "US"),)  # depot, country
    lanes: Sequence[tuple[str, str, float, float]] = ()  # origin, destination, hours, cost
    inbound: Sequence[tuple[str, str, int, float]] = ()  # part, depot, quantity, hours ahead
    # part, source, supplier, capacity, lead time hours, unit cost
    options: Sequence[tuple[str, str, str, int, float, float]] = ()
    substitutes: dict[str, str] = field(default_factory=dict)  # part → "B;C"
    part_costs: dict[str, float] = field(default_factory=dict)

    def part_numbers(self) -> list[str]:
        """Every part any row names, sorted."""
        named: set[str] = {o.part for o in self.orders}
        named |= {s[0] for s in self.stock} | {i[0] for i in self.inbound}
        named |= {o[0] for o in self.options} | set(self.substitutes) | set(self.part_costs)
        for cell in self.substitutes.values():
            named |= {p for p in cell.split(";") if p}
        return sorted(named)

    def tables(self) -> dict[str, pd.DataFrame]:
        """The snapshot's tables as DataFrames, columns as in the README."""
        customers = pd.DataFrame(
            {
                "customer_id": list(CUSTOMERS),
                "name": [f"customer {c}" for c in CUSTOMERS],
                "country": "US",
                "installed_base_pcs": 1500,
                "installed_base_printers": 0,
                "has_it_helpdesk": True,
            }
        )
        contracts = pd.DataFrame(
            [
                {
                    "contract_id": f"K-{cid}",
                    "customer_id": cid,
                    "sku": sku,
                    "purchase_date": "2025-01-01",
                    "activation_date": None,
                }
                for cid, sku in CUSTOMERS.items()
                if sku is not None
            ]
        )
        orders = pd.DataFrame(
            {
                "order_id": [o.order_id for o in self.orders],
                "customer_id": [o.customer for o in self.orders],
                "part_number": [o.part for o in self.orders],
                "quantity": [o.quantity for o in self.orders],
                "created_at": [AS_OF - timedelta(hours=o.age) for o in self.orders],
                "product_type": "desktop",
                "warranty_valid": True,
                "ship_to_country": [o.country for o in self.orders],
            }
        )
        if any(o.due is not None for o in self.orders):
            orders["need_by"] = pd.Series(
                [None if o.due is None else AS_OF + timedelta(hours=o.due) for o in self.orders],
                dtype="datetime64[ns]",
            )
        parts = pd.DataFrame(
            {
                "part_number": self.part_numbers(),
                "description": None,
                "unit_cost": [self.part_costs.get(p, 10.0) for p in self.part_numbers()],
                "substitutes": [self.substitutes.get(p) for p in self.part_numbers()],
            }
        )
        return {
            "customers": customers,
            "contracts": contracts,
            "orders": orders,
            "parts": parts,
            "depots": _frame(self.depots, ["depot_id", "country"]),
            "stock": _frame(self.stock, ["part_number", "depot_id", "on_hand"]),
            "lanes": _frame(
                self.lanes, ["origin", "destination", "transit_hours", "cost_per_unit"]
            ),
            "inbound": pd.DataFrame(
                {
                    "part_number": [i[0] for i in self.inbound],
                    "depot_id": [i[1] for i in self.inbound],
                    "quantity": [i[2] for i in self.inbound],
                    "eta": [AS_OF + timedelta(hours=i[3]) for i in self.inbound],
                }
            ),
            "supply_options": pd.DataFrame(
                {
                    "part_number": [o[0] for o in self.options],
                    "source": [o[1] for o in self.options],
                    "supplier_id": [o[2] for o in self.options],
                    "capacity": [o[3] for o in self.options],
                    "lead_time_hours": [o[4] for o in self.options],
                    "unit_cost": [o[5] for o in self.options],
                    "success_probability": 1.0,
                }
            ),
        }

    def snapshot(self) -> Snapshot:
        """The validated snapshot, seen from :data:`AS_OF`."""
        return load_snapshot(self.tables(), as_of=AS_OF)


def world(orders: Iterable[Order], **rows: Any) -> World:
    """A :class:`World` from orders and whichever other rows a test needs."""
    return World(orders=tuple(orders), **rows)


def snapshot(orders: Iterable[Order], **rows: Any) -> Snapshot:
    """Shorthand for ``world(orders, **rows).snapshot()``."""
    return world(orders, **rows).snapshot()


def _frame(rows: Sequence[tuple[Any, ...]], columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame([list(r) for r in rows], columns=columns)


# -- random worlds ------------------------------------------------------------------------
# Covered countries with parts priority, Uruguay (excluded: PM orders there are standard)
# and Switzerland (covered, but no depot there and no lane reaches it unless drawn).
_DEPOT_COUNTRIES = ("US", "CA", "MX", "DE")
_ORDER_COUNTRIES = ("US", "CA", "MX", "DE", "UY", "CH")
# Half-hours and quarter-money: every sum of these is exact in binary floating point, so
# the engine's ticks (0.1 h) and cents are exact and path ties compare equal everywhere.
_HOURS = st.integers(0, 120).map(lambda k: k / 2)
_MONEY = st.integers(0, 400).map(lambda k: k / 4)


@st.composite
def random_worlds(draw: st.DrawFn, with_substitutes: bool | None = None) -> World:
    """A small random world: 1-3 parts, 1-4 depots, 1-12 orders of 1-3 units.

    Classes come from the customers (PM in a covered country is ``parts_priority``; PM in
    Uruguay, PA, PA+ and no contract are ``standard``). Lanes join depots, two suppliers
    and the order countries at random; substitutes are drawn for some worlds.
    """
    parts = [f"P{i}" for i in range(draw(st.integers(1, 3)))]
    depots = [f"D{i}" for i in range(draw(st.integers(1, 4)))]
    depot_rows = [(d, draw(st.sampled_from(_DEPOT_COUNTRIES))) for d in depots]
    n_orders = draw(st.integers(1, 12))
    orders = [
        Order(
            order_id=f"O{i:02d}",
            customer=draw(st.sampled_from(["PM", "PM", "PA+", "PA", "STD"])),
            part=draw(st.sampled_from(parts)),
            quantity=draw(st.integers(1, 3)),
            age=draw(st.integers(0, 200)) / 2,
            country=draw(st.sampled_from(_ORDER_COUNTRIES)),
        )
        for i in range(n_orders)
    ]
    stock = [(p, d, draw(st.integers(0, 3))) for p in parts for d in depots if draw(st.booleans())]
    inbound = [
        (
            draw(st.sampled_from(parts)),
            draw(st.sampled_from(depots)),
            draw(st.integers(1, 3)),
            draw(st.integers(-20, 100)) / 2,
        )
        for _ in range(draw(st.integers(0, 3)))
    ]
    options = []
    for p in parts:
        for kind, supplier in (("expedite", "S-EXP"), ("broker", "S-BRK")):
            if draw(st.booleans()):
                options.append(
                    (p, kind, supplier, draw(st.integers(0, 3)), draw(_HOURS), draw(_MONEY))
                )
    origins = depots + sorted({o[2] for o in options})
    destinations = depots + list(_ORDER_COUNTRIES)
    pairs = [(o, d) for o in origins for d in destinations if o != d]
    chosen = draw(st.lists(st.sampled_from(pairs), max_size=12, unique=True))
    # Most suppliers get a lane to the US, so expedite and broker lines are common.
    for supplier in sorted({o[2] for o in options}):
        if (supplier, "US") not in chosen and draw(st.integers(0, 3)) > 0:
            chosen.append((supplier, "US"))
    lanes = [(o, d, draw(_HOURS), float(draw(st.integers(0, 30)))) for o, d in chosen]
    substitutes: dict[str, str] = {}
    use_subs = draw(st.booleans()) if with_substitutes is None else with_substitutes
    if use_subs and len(parts) > 1:
        for p in parts:
            others = [q for q in parts if q != p]
            picked = draw(st.lists(st.sampled_from(others), max_size=2, unique=True))
            if picked:
                substitutes[p] = ";".join(picked)
    costs = {p: float(draw(st.integers(1, 50))) for p in parts}
    return World(
        orders=tuple(orders),
        stock=tuple(stock),
        depots=tuple(depot_rows),
        lanes=tuple(lanes),
        inbound=tuple(inbound),
        options=tuple(options),
        substitutes=substitutes,
        part_costs=costs,
    )


@st.composite
def target_worlds(draw: st.DrawFn) -> World:
    """A random world (:func:`random_worlds`) in which some orders have a ``need_by``: on
    the half-hour grid, from an hour overdue to 30 h ahead — the span of its ETAs — so
    that targets are met by some sources and missed by others."""
    base = draw(random_worlds())
    due = st.one_of(st.none(), st.integers(-2, 60).map(lambda k: k / 2))
    orders = tuple(replace(o, due=draw(due)) for o in base.orders)
    if all(o.due is None for o in orders):
        orders = (replace(orders[0], due=draw(st.integers(0, 20)) / 2), *orders[1:])
    return replace(base, orders=orders)


@st.composite
def tight_target_worlds(draw: st.DrawFn) -> World:
    """A random world whose orders' ``need_by`` sit at the ETAs their sources can give
    (half an hour before or exactly at one), and every order wants the same part: a target
    then hangs on which source an order gets, and honouring it often changes the plan. The
    ETAs are the independent reference's (:mod:`reference_model`)."""
    from tests.allocation.engine.reference_model import build_reference

    base = draw(random_worlds())
    # One part for every order: more orders compete for the same sources.
    first = base.orders[0].part
    base = replace(base, orders=tuple(replace(o, part=first) for o in base.orders))
    reference = build_reference(base.snapshot())
    etas: dict[int, set[float]] = {}
    for pair in reference.pairs:
        if pair.allowed:
            etas.setdefault(pair.order, set()).add(pair.eta_hours)
    orders = []
    for i, o in enumerate(base.orders):
        if i in etas and draw(st.integers(0, 3)) > 0:
            at = draw(st.sampled_from(sorted(etas[i])))
            orders.append(replace(o, due=at - draw(st.sampled_from([0.0, 0.5]))))
        else:
            orders.append(o)
    return replace(base, orders=tuple(orders))


@st.composite
def protected_worlds(draw: st.DrawFn) -> tuple[World, dict[tuple[str, str], int]]:
    """A random world and levels for some of its stock levels (and some empty shelves)."""
    world = draw(random_worlds())
    depots = [d for d, _ in world.depots]
    parts = world.part_numbers()
    pairs = sorted({(d, p) for p, d, _ in world.stock} | {(depots[0], parts[0])})
    chosen = draw(st.lists(st.sampled_from(pairs), unique=True, min_size=1))
    return world, {pair: draw(st.integers(0, 3)) for pair in chosen}


def ship_in_tables(tables: dict[str, pd.DataFrame], plan: Plan, order_id: str) -> None:
    """Take the order's allocated units out of the tables (in place), as shipping does."""
    problem = plan.problem
    sources = problem.sources.to_pandas()
    row = int(np.flatnonzero(problem.orders.order_id == order_id)[0])
    for a in np.flatnonzero((problem.arcs.order == row) & (plan.flow > 0)):
        src = sources.iloc[int(problem.arcs.source[a])]
        qty = int(plan.flow[a])
        if src["kind_name"] == "stock":
            stock = tables["stock"]
            match = (stock["part_number"] == src["part_number"]) & (
                stock["depot_id"] == src["origin"]
            )
            stock.loc[match, "on_hand"] -= qty
        elif src["kind_name"] == "inbound":
            inbound = tables["inbound"]
            hits = np.flatnonzero(
                (
                    (inbound["part_number"] == src["part_number"])
                    & (inbound["depot_id"] == src["origin"])
                    & (pd.to_datetime(inbound["eta"]) == src["release_at"])
                ).to_numpy()
            )
            # Receipts landing at one depot at one moment are one source: take the units
            # from as many of their rows as it needs.
            column = inbound.columns.get_loc("quantity")
            for hit in hits.tolist():
                take = min(qty, int(inbound.iloc[hit, column]))
                inbound.iloc[hit, column] -= take
                qty -= take
            assert qty == 0, (order_id, src.to_dict())
            tables["inbound"] = inbound[inbound["quantity"] > 0].reset_index(drop=True)
        else:
            options = tables["supply_options"]
            match = (
                (options["part_number"] == src["part_number"])
                & (options["supplier_id"] == src["origin"])
                & (options["source"] == src["kind_name"])
            )
            options.loc[match, "capacity"] -= qty
