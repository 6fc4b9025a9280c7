"""Incremental re-planning: keep an optimal plan current, re-solving only what a change touches.

Part groups are independent, so an arriving order, a cancelled or shipped one, a receipt or
a stock change touches one group, and only that group's problem is updated and solved (an
arrival alike to an order of the group takes a copy of that order's arcs:
:func:`~allocation.engine.model.arcs_like`). These changes need no solve at all, and are
still exactly what a full re-plan would give (:mod:`._shortcuts`):

- an order arrives that can take its full quantity from its own best sources' free units
  (the others keep an optimal plan, the new order gets what it would get alone, and
  lexicographic optima add up);
- an order arrives behind a waiting order of its node (same part, country and class, ranked
  before it): it gets nothing and nobody changes;
- an order that holds no units is cancelled (nobody could have used its absence);
- an order ships (its units leave with it; a better plan for the rest, plus its units, would
  have beaten the old optimum) — unless it took protected units: then the protection level
  refills from the units above it, and the group is split and solved again.

An arrival a fair-share cap applies to always takes the full solve: its party's cap is
shared with orders the shortcuts do not look at. So does every change to an order the
proportional split governs — an arrival, a cancel, a shipment: its pool's need and units
set every quota of the pool.

With the policy's ``broker_backup``, the units each group's plan holds for its broker buys
are the plan's own (:attr:`Plan.backups`): a second solve over what that plan leaves, made
when asked, so they follow every change as the plan does. Part groups are independent for
backups as for plans, so :meth:`Planner.plan` holds what a full plan holds.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from allocation.domain.entitlement import EntitlementPolicy, decide_entitlement
from allocation.domain.model import Contract, Customer, OrderLine, PriorityClass, Tier
from allocation.domain.policy import AllocationPolicy
from allocation.domain.snapshot import Snapshot
from allocation.engine._plan import Plan
from allocation.engine.incremental._arrival import Decided, append_arcs, append_order
from allocation.engine.incremental._groups import merge_plans, split_by_group
from allocation.engine.incremental._holdings import consume, pinned_standard_units
from allocation.engine.incremental._shortcuts import (
    serve_from_free_supply,
    took_protected,
    waits_behind_its_node,
)
from allocation.engine.model import (
    TIERS,
    Classes,
    Context,
    Held,
    OrderColumns,
    Problem,
    arcs_like,
    build_arcs,
    build_context,
    capped_parts,
    classify,
    orders_from,
    own_nodes,
    problem_from,
    sources_from,
    split_parts,
)
from allocation.engine.objective import node_keys
from allocation.engine.solve import solve_optimal
from allocation.errors import InputError, UnknownIdError

__all__ = ["Planner", "canonical_orders"]

IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class _Group:
    """One part group: its raw supply tables and its current plan (problem inside)."""

    stock: pd.DataFrame
    inbound: pd.DataFrame
    options: pd.DataFrame
    plan: Plan


def canonical_orders(orders: OrderColumns) -> OrderColumns:
    """Orders oldest first, then by id: a plan depends on the set of orders, never on the
    rows' order in a file (a solver breaks ties between equal orders by position)."""
    rows = np.lexsort((orders.order_id.astype(str), orders.created_at))
    return orders.take(rows)


class Planner:
    """An optimal plan kept current under changes.

    Parameters
    ----------
    snapshot : Snapshot
        The starting world.
    policy, entitlement_policy : optional
        As for :func:`allocation.allocate`.
    context, plan : optional
        The snapshot's context and its optimal plan, when the caller has them already
        (:meth:`allocation.Engine.planner` passes its own).

    Examples
    --------
    >>> from allocation import load_snapshot
    >>> planner = Planner(load_snapshot("scenarios/example"))
    >>> planner.plan().objective()["parts_priority_units"]
    5.0
    """

    def __init__(
        self,
        snapshot: Snapshot,
        policy: AllocationPolicy | None = None,
        entitlement_policy: EntitlementPolicy | None = None,
        *,
        context: Context | None = None,
        plan: Plan | None = None,
    ) -> None:
        self.policy = policy or (context.policy if context else AllocationPolicy())
        self.entitlement_policy = entitlement_policy
        self.context: Context = context or build_context(snapshot, self.policy)
        self._snapshot = snapshot
        self._customers: dict[str, Customer] = snapshot.entitlement.customer_objects()
        self._contracts: dict[str, list[Contract]] = {}
        for contract in snapshot.entitlement.contract_objects():
            self._contracts.setdefault(contract.customer_id, []).append(contract)
        group_of = dict(
            zip(self.context.part_numbers, self.context.part_group.tolist(), strict=True)
        )
        self._group_of_part: dict[str, int] = group_of
        if plan is None:
            classes = classify(snapshot.entitlement, policy=entitlement_policy)
            orders = canonical_orders(
                orders_from(
                    snapshot.orders,
                    snapshot.customers,
                    classes.class_code,
                    classes.tier_code,
                    self.context,
                )
            )
            sources = sources_from(
                snapshot.stock, snapshot.inbound, snapshot.supply_options, self.context
            )
            full = problem_from(orders, sources, self.context)
            plan = self._solve(full, None)
        self._order_group: dict[str, int] = dict(
            zip(
                plan.problem.orders.order_id.tolist(),
                plan.problem.orders.part_group.tolist(),
                strict=True,
            )
        )
        tables = {
            "stock": snapshot.stock,
            "inbound": snapshot.inbound,
            "options": snapshot.supply_options,
        }
        split = {
            name: dict(tuple(t.groupby(t["part_number"].map(group_of))))
            for name, t in tables.items()
        }
        self._groups: dict[int, _Group] = {}
        for g, group_plan in split_by_group(plan).items():
            self._groups[g] = _Group(
                stock=split["stock"].get(g, snapshot.stock.iloc[0:0]),
                inbound=split["inbound"].get(g, snapshot.inbound.iloc[0:0]),
                options=split["options"].get(g, snapshot.supply_options.iloc[0:0]),
                plan=group_plan,
            )
        for g in set().union(*(set(d) for d in split.values())) - set(self._groups):
            self._groups[g] = self._resolved(
                split["stock"].get(g, snapshot.stock.iloc[0:0]),
                split["inbound"].get(g, snapshot.inbound.iloc[0:0]),
                split["options"].get(g, snapshot.supply_options.iloc[0:0]),
                OrderColumns.empty(),
                None,
            )

    # -- reading -----------------------------------------------------------------------
    def plan(self) -> Plan:
        """The current plan for every group, as one :class:`Plan`."""
        return merge_plans([g.plan for _, g in sorted(self._groups.items())], self.context)

    def group_plan(self, part_number: str) -> Plan:
        """The current plan of the group a part belongs to."""
        return self._group(part_number).plan

    def group_supply(self, part_number: str) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
        """The stock, receipt and supply-option rows of the group a part belongs to."""
        state = self._group(part_number)
        return state.stock, state.inbound, state.options

    def order_ids(self) -> list[str]:
        """Open orders, in no particular order."""
        return list(self._order_group)

    # -- changes -----------------------------------------------------------------------
    def add_order(self, order: Mapping[str, Any], decided: Decided | None = None) -> int:
        """Add one order line (keys as the orders table's columns); re-plan its group.

        ``decided``: the line's entitlement, when the caller decided it already (the
        service, at intake); without it the entitlement engine decides it here.

        Returns the part group that changed. Raises :class:`InputError` for a duplicate
        order id, :class:`UnknownIdError` for an unknown part or customer.
        """
        new = self._order_columns(order, decided)
        g = int(new.part_group[0])
        state = self._groups.get(g) or self._empty_group()
        old = state.plan.problem
        orders = append_order(old.orders, new)
        new_arcs = arcs_like(old.orders, old.arcs, new)
        if new_arcs is None:
            at = np.array([len(old.orders)], dtype=np.int64)
            new_arcs = build_arcs(orders, old.sources, self.context, at, only_allowed=True)
        problem = Problem(orders, old.sources, append_arcs(old.arcs, new_arcs), self.context)
        fast = None
        if str(new.order_id[0]) not in self.context.overrides.firming() and not _capped(
            self.context, new
        ):
            # A firmed arrival takes its firm units first, and a capped one shares its
            # party's cap: the shortcuts know neither.
            fast = serve_from_free_supply(state.plan, problem, len(old.arcs))
            if fast is None:
                fast = waits_behind_its_node(state.plan, problem)
        plan = fast if fast is not None else self._solve(problem, state.plan)
        self._groups[g] = replace(state, plan=plan)
        self._order_group[str(new.order_id[0])] = g
        return g

    def add_orders(self, orders: pd.DataFrame) -> set[int]:
        """Add several order lines, one at a time; returns the groups that changed."""
        return {
            self.add_order({str(k): v for k, v in row.items()})
            for row in orders.to_dict(orient="records")
        }

    def remove_order(self, order_id: str, shipped: bool = False) -> int:
        """Cancel an order, or (``shipped``) consume its allocated units; re-plan if needed."""
        g = self._order_group.get(order_id)
        if g is None:
            raise UnknownIdError(f"unknown order_id {order_id!r}")
        state = self._groups[g]
        plan = state.plan
        problem = plan.problem
        row = int(np.flatnonzero(problem.orders.order_id == order_id)[0])
        mine = problem.arcs.order == row
        held = plan.flow[mine]
        stock, inbound, options = state.stock, state.inbound, state.options
        sources = problem.sources
        if shipped and held.sum() > 0:
            used = np.zeros(len(sources), dtype=np.int64)
            np.add.at(used, problem.arcs.source[mine], held)
            sources = sources.with_quantity(sources.quantity - used)
            stock, inbound, options = consume(stock, inbound, options, problem.sources, used)
        keep_orders = np.ones(len(problem.orders), dtype=bool)
        keep_orders[row] = False
        new_index = np.cumsum(keep_orders) - 1
        arcs = problem.arcs.take(~mine)
        arcs = replace(arcs, order=new_index[arcs.order])
        reduced = Problem(problem.orders.take(keep_orders), sources, arcs, self.context)
        flow = plan.flow[~mine]
        del self._order_group[order_id]
        if shipped and took_protected(problem, row, plan):
            # The protection level refills from the units above it: split the stock again.
            self._groups[g] = self._resolved(
                stock, inbound, options, reduced.orders, Plan(reduced, flow, "optimal")
            )
            return g
        if (shipped or held.sum() == 0) and not _split(self.context, problem.orders, row):
            new_plan = Plan(reduced, flow, "optimal")
        else:
            new_plan = self._solve(reduced, Plan(reduced, flow, "optimal"))
        self._groups[g] = _Group(stock, inbound, options, new_plan)
        return g

    def cancel(self, order_id: str) -> int:
        """Cancel an open order; its units go back to the others. Returns the group."""
        return self.remove_order(order_id)

    def ship(self, order_id: str) -> int:
        """An order ships: the units it holds leave with it. Returns the group."""
        return self.remove_order(order_id, shipped=True)

    def add_stock(self, part_number: str, depot_id: str, quantity: int) -> int:
        """Units of a part arrive at (or, negative, leave) a depot; re-plan its group."""
        state = self._group(part_number)
        g = self._group_of_part[part_number]
        self._check_depot(depot_id)
        stock = state.stock.copy()
        match = (stock["part_number"] == part_number) & (stock["depot_id"] == depot_id)
        if match.any():
            stock.loc[match, "on_hand"] = stock.loc[match, "on_hand"] + quantity
        else:
            row = {"part_number": part_number, "depot_id": depot_id, "on_hand": quantity}
            stock = pd.concat([stock, pd.DataFrame([row])], ignore_index=True)
        if (stock["on_hand"] < 0).any():
            raise InputError(f"stock of {part_number} at {depot_id} would become negative")
        self._groups[g] = self._resolved(
            stock, state.inbound, state.options, state.plan.problem.orders, state.plan
        )
        return g

    def add_receipt(self, part_number: str, depot_id: str, quantity: int, eta: datetime) -> int:
        """A receipt of ``quantity`` units is scheduled to land at a depot at ``eta``."""
        state = self._group(part_number)
        g = self._group_of_part[part_number]
        self._check_depot(depot_id)
        if quantity <= 0:
            raise InputError(
                f"a receipt of {part_number} needs a positive quantity, got {quantity}"
            )
        row = pd.DataFrame(
            {
                "part_number": [part_number],
                "depot_id": [depot_id],
                "quantity": np.array([quantity], dtype=np.int64),
                "eta": pd.Series([pd.Timestamp(eta)], dtype="datetime64[ns]"),
            }
        )
        inbound = pd.concat([state.inbound, row], ignore_index=True)
        self._groups[g] = self._resolved(
            state.stock, inbound, state.options, state.plan.problem.orders, state.plan
        )
        return g

    def replace_group(
        self,
        part_number: str,
        orders: pd.DataFrame,
        decisions: pd.DataFrame,
        stock: pd.DataFrame,
        inbound: pd.DataFrame,
        options: pd.DataFrame,
    ) -> int:
        """Replace the open orders and supply of a part's group, and solve it again.

        For a planner that shares its world with others (another process writing to the same
        database): the group is rebuilt from what they hold now. ``orders`` has the orders
        table's columns and ``decisions`` their priority class and tier (by position); every
        row of every table must belong to the part's group. Returns the group.
        """
        state = self._group(part_number)
        g = self._group_of_part[part_number]
        classes = Classes.of_names(decisions)
        columns = orders_from(
            orders, self._snapshot.customers, classes.class_code, classes.tier_code, self.context
        )
        parts = pd.concat(
            [
                orders["part_number"],
                stock["part_number"],
                inbound["part_number"],
                options["part_number"],
            ]
        )
        strangers = sorted({str(p) for p in parts if self._group_of_part.get(str(p)) != g})
        if strangers:
            raise InputError(f"part {strangers[0]!r} is not in the group of {part_number!r}")
        for order_id in state.plan.problem.orders.order_id.tolist():
            self._order_group.pop(str(order_id), None)
        self._groups[g] = self._resolved(stock, inbound, options, columns, None)
        for order_id in columns.order_id.tolist():
            self._order_group[str(order_id)] = g
        return g

    def with_more_stock(self, part_number: str, depot_id: str, quantity: int) -> Plan:
        """The plan of a part's group had a depot ``quantity`` more units of the part; the
        planner itself is left as it is."""
        state = self._group(part_number)
        self._check_depot(depot_id)
        stock = state.stock.copy()
        match = (stock["part_number"] == part_number) & (stock["depot_id"] == depot_id)
        if match.any():
            stock.loc[match, "on_hand"] = stock.loc[match, "on_hand"] + quantity
        else:
            row = {"part_number": part_number, "depot_id": depot_id, "on_hand": quantity}
            stock = pd.concat([stock, pd.DataFrame([row])], ignore_index=True)
        return self._resolved(
            stock, state.inbound, state.options, state.plan.problem.orders, None
        ).plan

    # -- internals ---------------------------------------------------------------------
    def _group(self, part_number: str) -> _Group:
        if part_number not in self._group_of_part:
            raise UnknownIdError(f"unknown part {part_number!r}")
        g = self._group_of_part[part_number]
        if g not in self._groups:
            self._groups[g] = self._empty_group()
        return self._groups[g]

    def _check_depot(self, depot_id: str) -> None:
        if depot_id not in self.context.depot_code:
            raise UnknownIdError(f"unknown depot_id {depot_id!r}")

    def _empty_group(self) -> _Group:
        snap = self._snapshot
        return self._resolved(
            snap.stock.iloc[0:0],
            snap.inbound.iloc[0:0],
            snap.supply_options.iloc[0:0],
            OrderColumns.empty(),
            None,
        )

    def _resolved(
        self,
        stock: pd.DataFrame,
        inbound: pd.DataFrame,
        options: pd.DataFrame,
        orders: OrderColumns,
        previous: Plan | None,
    ) -> _Group:
        """A group rebuilt from its supply tables and its orders, and solved."""
        sources = sources_from(stock, inbound, options, self.context)
        problem = problem_from(orders, sources, self.context)
        return _Group(stock, inbound, options, self._solve(problem, previous))

    def _solve(self, problem: Problem, previous: Plan | None) -> Plan:
        pinned = np.zeros(len(problem.arcs), dtype=np.int64)
        if previous is not None and not self.policy.preemption:
            pinned = pinned_standard_units(previous, problem)
        firm = problem.firm()
        if firm is not None:  # the planner's firmed units, kept whatever pre-emption says
            pinned = firm + np.minimum(pinned, _room_left(problem, firm, pinned))
        taken = np.zeros(len(problem.sources), dtype=np.int64)
        np.add.at(taken, problem.arcs.source, pinned)
        given = np.zeros(len(problem.orders), dtype=np.int64)
        np.add.at(given, problem.arcs.order, pinned)
        held = None
        if self.policy.fair_share and pinned.any():  # pinned units count against caps
            arcs = problem.arcs
            held = Held.of(arcs.order, arcs.source, pinned, (len(given), len(taken)))
        flow = pinned + solve_optimal(
            problem,
            supply=problem.sources.quantity - taken,
            demand=problem.orders.quantity - given,
            held=held,
        )
        return Plan(problem=problem, flow=flow, strategy="optimal")

    def _order_columns(
        self, order: Mapping[str, Any], decided: Decided | None = None
    ) -> OrderColumns:
        """The columns of one new order, its class decided by the entitlement engine (or
        as ``decided`` says)."""
        order_id = str(order["order_id"])
        if order_id in self._order_group:
            raise InputError(f"order {order_id!r} already exists")
        part = str(order["part_number"])
        if part not in self._group_of_part:
            raise UnknownIdError(f"order {order_id!r}: unknown part {part!r}")
        customer = self._customers.get(str(order["customer_id"]))
        if customer is None:
            raise UnknownIdError(f"order {order_id!r}: unknown customer {order['customer_id']!r}")
        ship_to = order.get("ship_to_country")
        ship_to = None if ship_to is None or pd.isna(ship_to) or ship_to == "" else str(ship_to)
        created = _naive(order["created_at"])
        if created is None:
            created = pd.Timestamp(order["created_at"]).to_pydatetime()
        line = OrderLine(
            order_id=order_id,
            customer_id=customer.customer_id,
            part_number=part,
            quantity=int(order["quantity"]),
            created_at=created
            if isinstance(created, datetime)
            else datetime.fromisoformat(str(created)),
            product_type=str(order["product_type"]),
            warranty_valid=bool(order["warranty_valid"]),
            ship_to_country=ship_to,
            need_by=_moment_or_none(order.get("need_by"), order_id),
        )
        if line.quantity <= 0:
            raise InputError(f"order {order_id!r}: quantity must be positive, got {line.quantity}")
        if decided is None:
            decision = decide_entitlement(
                line,
                customer,
                self._contracts.get(customer.customer_id, []),
                policy=self.entitlement_policy,
            )
            decided = Decided(decision.priority_class, Tier(decision.tier), decision.country)
        klass: PriorityClass = decided.priority_class
        tier = decided.tier
        country = decided.country
        part_code = self.context.part_code[part]
        col = self.context.country_col(country)
        due = self._need_by(line, tier, country)
        group = self.policy.rank_group(klass, tier)
        return OrderColumns(
            order_id=np.array([order_id], dtype=object),
            customer_id=np.array([customer.customer_id], dtype=object),
            part_number=np.array([part], dtype=object),
            quantity=_one(line.quantity),
            created_at=np.array([np.datetime64(created, "ns")]),
            country=np.array([country], dtype=object),
            class_code=_one(klass.code),
            tier_code=_one(TIERS.index(tier)),
            group=_one(group),
            part_code=_one(part_code),
            part_group=_one(self._group_of_part[part]),
            home_code=_one(self.context.home_code(country)),
            country_col=_one(col),
            node=own_nodes(
                np.array([order_id], dtype=object),
                node_keys(_one(part_code), _one(col), _one(group), _one(klass.code)),
                self.context,
            ),
            need_by=np.array(
                [np.datetime64("NaT") if due is None else due.to_datetime64()],
                dtype="datetime64[ns]",
            ),
        )

    def _need_by(self, line: OrderLine, tier: Tier, country: str) -> pd.Timestamp | None:
        """The order's own ``need_by``, else created + the policy's response time, else None
        (the rule of :mod:`allocation.domain.response`)."""
        if line.need_by is not None:
            return pd.Timestamp(line.need_by)
        hours = self.policy.response_hours.hours(tier, line.product_type, country)
        if hours is None:
            return None
        return pd.Timestamp(line.created_at) + pd.Timedelta(round(hours * 3.6e12), unit="ns")


def _naive(value: object) -> datetime | None:
    """``value`` itself when it is a datetime without a zone (what the service passes, and
    what :class:`pandas.Timestamp` would turn it back into); None for anything else."""
    if type(value) is datetime and value.tzinfo is None:
        return value
    return None


def _moment_or_none(value: object, order_id: str) -> datetime | None:
    """A ``need_by`` as given to :meth:`Planner.add_order`: blank is none."""
    if value is None:
        return None
    naive = _naive(value)
    if naive is not None:
        return naive
    try:
        stamp = pd.Timestamp(value)  # type: ignore[arg-type]
    except (ValueError, TypeError):
        raise InputError(f"order {order_id!r}: need_by {value!r} is not a date-time") from None
    if pd.isna(stamp):
        return None
    if stamp.tzinfo is not None:
        stamp = stamp.tz_convert(None)
    moment: datetime = stamp.to_pydatetime()
    return moment


def _capped(context: Context, order: OrderColumns) -> bool:
    """Whether a fair-share cap or the proportional split applies to the (one) order: no
    shortcut may serve it."""
    capped = capped_parts(context)
    return (capped is not None and bool(capped[order.part_code].any())) or _split(context, order, 0)


def _split(context: Context, orders: OrderColumns, row: int) -> bool:
    """Whether the proportional split governs order ``row``: a change to it re-plans."""
    governed = split_parts(context)
    return governed is not None and bool(governed[orders.part_code[row]])


def _room_left(problem: Problem, firm: IntArray, pinned: IntArray) -> IntArray:
    """Per arc, the most of its pinned units that still fit beside the firmed ones: a
    standard order's held units give way to a firm (of its own or another order's)."""
    arcs = problem.arcs
    supply = problem.sources.quantity - np.bincount(
        arcs.source, weights=firm, minlength=len(problem.sources)
    ).astype(np.int64)
    demand = problem.orders.quantity - np.bincount(
        arcs.order, weights=firm, minlength=len(problem.orders)
    ).astype(np.int64)
    room = np.zeros(len(arcs), dtype=np.int64)
    for a in np.flatnonzero(pinned).tolist():
        s, r = int(arcs.source[a]), int(arcs.order[a])
        room[a] = give = max(0, min(int(pinned[a]), int(supply[s]), int(demand[r])))
        supply[s] -= give
        demand[r] -= give
    return room


def _one(value: int) -> IntArray:
    return np.array([value], dtype=np.int64)
