"""Incremental re-planning: keep an optimal plan current, re-solving only what a change touches.

Part groups are independent, so an arriving order, a cancelled or shipped one, or a receipt
touches one group, and only that group's problem is updated and solved (an arrival alike to
an order of the group takes a copy of that order's arcs: :mod:`allocation.engine.like_arcs`).
These changes need no solve at all, and are still exactly what a full re-plan would give:

- an order arrives that can take its full quantity from its own best sources' free units
  (the others keep an optimal plan, the new order gets what it would get alone, and
  lexicographic optima add up);
- an order arrives behind a waiting order of its node (same part, country and class, ranked
  before it): it gets nothing and nobody changes;
- an order that holds no units is cancelled (nobody could have used its absence);
- an order ships (its units leave with it; a better plan for the rest, plus its units, would
  have beaten the old optimum) — unless it took protected units: then the protection level
  refills from the units above it, and the group is split and solved again.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from allocation.adapters.snapshot import Snapshot
from allocation.domain.entitlement import EntitlementPolicy, decide_entitlement
from allocation.domain.model import Contract, Customer, OrderLine, PriorityClass, Tier
from allocation.domain.policy import AllocationPolicy
from allocation.engine.classify import classify_orders
from allocation.engine.columns import (
    known_orders_columns,
    seed_orders_columns,
    share_source_columns,
)
from allocation.engine.frames import node_keys, orders_table, sources_table
from allocation.engine.free_supply import (
    serve_from_free_supply,
    took_protected,
    waits_behind_its_node,
)
from allocation.engine.grouping import concat_arcs, merge_plans, split_by_group
from allocation.engine.holdings import consume, pinned_standard_units
from allocation.engine.like_arcs import arcs_like
from allocation.engine.optimal import level_arrays, make_tasks, run_task, solve_optimal
from allocation.engine.plan import Plan
from allocation.engine.problem import (
    AllocationProblem,
    Context,
    build_arcs,
    build_context,
    problem_from,
    with_arcs,
)
from allocation.errors import InputError, UnknownIdError

__all__ = ["Planner", "merge_plans"]

# Marks, among an orders table's known columns, that the table has the row template's layout.
_SAME_LAYOUT = ("_same_layout", None)


@dataclass
class _Group:
    """One part group: its raw supply tables and its current plan (problem inside)."""

    stock: pd.DataFrame
    inbound: pd.DataFrame
    options: pd.DataFrame
    plan: Plan


class Planner:
    """An optimal plan kept current under changes.

    Parameters
    ----------
    snapshot : Snapshot
        The starting world.
    policy, entitlement_policy : optional
        As for :func:`allocation.allocate`.

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
    ) -> None:
        self.policy = policy or AllocationPolicy()
        self.entitlement_policy = entitlement_policy
        self.context: Context = build_context(snapshot, self.policy)
        self._snapshot = snapshot
        self._customers: dict[str, Customer] = snapshot.entitlement.customer_objects()
        self._contracts: dict[str, list[Contract]] = {}
        for contract in snapshot.entitlement.contract_objects():
            self._contracts.setdefault(contract.customer_id, []).append(contract)
        group_of = dict(
            zip(self.context.part_numbers, self.context.part_group.tolist(), strict=True)
        )
        self._group_of_part: dict[str, int] = group_of
        decisions = classify_orders(snapshot.entitlement, policy=entitlement_policy)
        orders = orders_table(snapshot.orders, snapshot.customers, decisions, self.context)
        sources = sources_table(
            snapshot.stock, snapshot.inbound, snapshot.supply_options, self.context
        )
        full = problem_from(orders, sources, self.context)
        flow = solve_optimal(full)
        self._order_group: dict[str, int] = dict(
            zip(orders["order_id"], orders["part_group"].tolist(), strict=True)
        )
        self._country_columns = self.context.routes.country_index()
        self._row_template = _row_template(snapshot, self.context)
        self._row_positions: dict[str, int] = {
            str(name): i for i, name in enumerate(self._row_template.columns)
        }
        self._row_dtypes: dict[str, np.dtype[Any]] = {
            str(name): dtype for name, dtype in self._row_template.dtypes.items()
        }
        self._groups: dict[int, _Group] = {}
        tables = {
            "stock": snapshot.stock,
            "inbound": snapshot.inbound,
            "options": snapshot.supply_options,
        }
        split = {
            name: dict(tuple(t.groupby(t["part_number"].map(group_of))))
            for name, t in tables.items()
        }
        # The groups' orders are rows of one table: check its layout once, not per group.
        layout = {_SAME_LAYOUT: np.array([orders.dtypes.equals(self._row_template.dtypes)])}
        for g, plan in split_by_group(Plan(full, flow, "optimal")).items():
            seed_orders_columns(plan.problem, dict(layout))
            self._groups[g] = _Group(
                stock=split["stock"].get(g, snapshot.stock.iloc[0:0]),
                inbound=split["inbound"].get(g, snapshot.inbound.iloc[0:0]),
                options=split["options"].get(g, snapshot.supply_options.iloc[0:0]),
                plan=plan,
            )
        for g in set().union(*(set(d) for d in split.values())) - set(self._groups):
            self._groups[g] = self._resolved(
                split["stock"].get(g, snapshot.stock.iloc[0:0]),
                split["inbound"].get(g, snapshot.inbound.iloc[0:0]),
                split["options"].get(g, snapshot.supply_options.iloc[0:0]),
                orders.iloc[0:0],
                None,
            )

    # -- reading -----------------------------------------------------------------------
    def plan(self) -> Plan:
        """The current plan for every group, as one :class:`Plan`."""
        return merge_plans([g.plan for _, g in sorted(self._groups.items())], self.context)

    def group_plan(self, part_number: str) -> Plan:
        """The current plan of the group a part belongs to."""
        return self._group(part_number).plan

    def order_ids(self) -> list[str]:
        """Open orders, in no particular order."""
        return list(self._order_group)

    # -- changes -----------------------------------------------------------------------
    def add_order(self, order: Mapping[str, Any]) -> int:
        """Add one order line (keys as the orders table's columns); re-plan its group.

        Returns the part group that changed. Raises :class:`InputError` for a duplicate
        order id, :class:`UnknownIdError` for an unknown part or customer.
        """
        values = self._order_row(order)
        g = int(values["part_group"])
        state = self._groups.get(g) or self._empty_group()
        old = state.plan.problem
        # The new order is the last row: its arcs come out numbered for the new table.
        grown = self._grown(old, values)
        share_source_columns(grown, old)
        self._carry_order_columns(grown, old, values)
        new_arcs = arcs_like(old, values)
        if new_arcs is None:
            new_arcs = build_arcs(grown, np.array([old.order_count]), only_allowed=True)
        problem = with_arcs(grown, concat_arcs(old.arcs, new_arcs))
        fast = serve_from_free_supply(state.plan, problem, len(old.arcs))
        if fast is None:
            fast = waits_behind_its_node(state.plan, problem)
        plan = fast if fast is not None else self._solve(problem, state.plan)
        self._groups[g] = _Group(state.stock, state.inbound, state.options, plan)
        self._order_group[str(values["order_id"])] = g
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
        row = int(np.flatnonzero(problem.orders["order_id"].to_numpy(dtype=object) == order_id)[0])
        held = plan.flow[problem.arcs.order == row]
        stock, inbound, options = state.stock, state.inbound, state.options
        sources = problem.sources
        if shipped and held.sum() > 0:
            used = np.bincount(
                problem.arcs.source[problem.arcs.order == row],
                weights=held,
                minlength=len(sources),
            ).astype(np.int64)
            sources = sources.assign(quantity=sources["quantity"].to_numpy() - used)
            stock, inbound, options = consume(
                state.stock, state.inbound, state.options, problem.sources, used
            )
        keep_orders = np.ones(len(problem.orders), dtype=bool)
        keep_orders[row] = False
        new_index = np.cumsum(keep_orders) - 1
        keep_arcs = problem.arcs.order != row
        arcs = problem.arcs.take(keep_arcs)
        arcs = replace(arcs, order=new_index[arcs.order])
        reduced = AllocationProblem(
            orders=problem.orders[keep_orders].reset_index(drop=True),
            sources=sources,
            arcs=arcs,
            context=self.context,
        )
        flow = plan.flow[keep_arcs]
        if shipped and took_protected(problem, row, plan):
            # The protection level refills from the units above it: split the stock again.
            self._groups[g] = self._resolved(
                stock, inbound, options, reduced.orders, Plan(reduced, flow, "optimal")
            )
            del self._order_group[order_id]
            return g
        if shipped or held.sum() == 0:
            new_plan = Plan(reduced, flow, "optimal")
        else:
            new_plan = self._solve(reduced, Plan(reduced, flow, "optimal"))
        self._groups[g] = _Group(stock, inbound, options, new_plan)
        del self._order_group[order_id]
        return g

    def add_stock(self, part_number: str, depot_id: str, quantity: int) -> int:
        """Units of a part arrive at (or, negative, leave) a depot; re-plan its group."""
        state = self._group(part_number)
        g = self._group_of_part[part_number]
        if depot_id not in self.context.depot_code:
            raise UnknownIdError(f"unknown depot_id {depot_id!r}")
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
        table = orders_table(orders, self._snapshot.customers, decisions, self.context)
        columns = (table, stock, inbound, options)
        parts = pd.concat([frame["part_number"] for frame in columns])
        strangers = sorted({str(p) for p in parts if self._group_of_part.get(str(p)) != g})
        if strangers:
            raise InputError(f"part {strangers[0]!r} is not in the group of {part_number!r}")
        for order_id in state.plan.problem.orders["order_id"].tolist():
            self._order_group.pop(str(order_id), None)
        self._groups[g] = self._resolved(stock, inbound, options, table, None)
        for order_id in table["order_id"].tolist():
            self._order_group[str(order_id)] = g
        return g

    # -- internals ---------------------------------------------------------------------
    def _group(self, part_number: str) -> _Group:
        if part_number not in self._group_of_part:
            raise UnknownIdError(f"unknown part {part_number!r}")
        g = self._group_of_part[part_number]
        if g not in self._groups:
            self._groups[g] = self._empty_group()
        return self._groups[g]

    def _empty_group(self) -> _Group:
        snap = self._snapshot
        empty = orders_table(
            snap.orders.iloc[0:0],
            snap.customers,
            pd.DataFrame({"order_id": [], "priority_class": [], "tier": []}),
            self.context,
        )
        return self._resolved(
            snap.stock.iloc[0:0], snap.inbound.iloc[0:0], snap.supply_options.iloc[0:0], empty, None
        )

    def _resolved(
        self,
        stock: pd.DataFrame,
        inbound: pd.DataFrame,
        options: pd.DataFrame,
        orders: pd.DataFrame,
        previous: Plan | None,
    ) -> _Group:
        """A group rebuilt from its supply tables and its orders, and solved."""
        sources = sources_table(stock, inbound, options, self.context)
        problem = problem_from(orders.reset_index(drop=True), sources, self.context)
        return _Group(stock, inbound, options, self._solve(problem, previous))

    def _solve(self, problem: AllocationProblem, previous: Plan | None) -> Plan:
        pinned = np.zeros(len(problem.arcs), dtype=np.int64)
        if previous is not None and not self.policy.preemption:
            pinned = pinned_standard_units(previous, problem)
        supply = problem.sources_column("quantity", np.int64) - np.bincount(
            problem.arcs.source, weights=pinned, minlength=len(problem.sources)
        ).astype(np.int64)
        demand = problem.orders_column("quantity", np.int64) - np.bincount(
            problem.arcs.order, weights=pinned, minlength=problem.order_count
        ).astype(np.int64)
        flow = pinned.copy()
        for task in make_tasks(problem, level_arrays(problem), supply=supply, demand=demand):
            flow[task.arc_index] += run_task(task)
        return Plan(problem=problem, flow=flow, strategy="optimal")

    def _order_row(self, order: Mapping[str, Any]) -> dict[str, Any]:
        """The orders-table values of a new order, its class decided by the entitlement engine."""
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
        )
        if line.quantity <= 0:
            raise InputError(f"order {order_id!r}: quantity must be positive, got {line.quantity}")
        decision = decide_entitlement(
            line,
            customer,
            self._contracts.get(customer.customer_id, []),
            policy=self.entitlement_policy,
        )
        country = decision.country
        klass = decision.priority_class
        home = self.context.homes.get(country)
        columns = self._country_columns
        values: dict[str, Any] = {
            "order_id": order_id,
            "customer_id": customer.customer_id,
            "part_number": part,
            "quantity": line.quantity,
            "created_at": np.datetime64(created, "ns"),
            "country": country,
            "priority_class": klass.value,
            "tier": decision.tier.value,
            "class_code": list(PriorityClass).index(klass),
            "group": self.policy.rank_group(klass, Tier(decision.tier)),
            "part_code": self.context.part_code[part],
            "part_group": self._group_of_part[part],
            "home_depot": home,
            "home_code": self.context.depot_code.get(home, -1) if home else -1,
            "country_col": columns.get(country, len(columns)),
        }
        values["agg_key"] = int(
            node_keys(
                *(
                    np.array([values[name]], dtype=np.int64)
                    for name in ("part_code", "country_col", "group", "class_code")
                )
            )[0]
        )
        return values

    def _grown(self, old: AllocationProblem, values: dict[str, Any]) -> AllocationProblem:
        """``old`` with the new order's row at the end of its orders table.

        When ``old``'s orders are typed as the planner makes rows, the row is only noted
        and the table made when someone reads it (:mod:`allocation.engine.grown_orders`):
        the arrival itself reads the columns :meth:`_carry_order_columns` extends.
        """
        if not self._same_layout(old):
            orders = pd.concat([old.orders, self._filled_row(values)], ignore_index=True)
            return AllocationProblem(
                orders=orders, sources=old.sources, arcs=old.arcs, context=self.context
            )
        row = {name: values[name] for name in self._row_positions}
        return AllocationProblem.grown(
            old.grown_orders().plus(row), old.sources, old.arcs, self.context
        )

    def _filled_row(self, values: dict[str, Any]) -> pd.DataFrame:
        # Filling a one-row template keeps the column types and costs far less than
        # building a DataFrame from scratch.
        row = self._row_template.copy()
        positions = self._row_positions
        for name, value in values.items():
            row.iat[0, positions[name]] = value
        return row

    def _carry_order_columns(
        self, grown: AllocationProblem, old: AllocationProblem, values: dict[str, Any]
    ) -> None:
        """Give ``grown`` (``old``'s orders plus one row of ``values``) the columns ``old``
        has read, extended by the new value, instead of reading them out of the new table.

        Exact only when ``old``'s orders have the row template's columns and types (then the
        concatenation keeps them): checked once per table, and the answer carried along.
        """
        if not self._same_layout(old):
            return
        template = self._row_dtypes
        carried: dict[tuple[str, Any], npt.NDArray[Any]] = {}
        for (name, dtype), column in known_orders_columns(old).items():
            if name.startswith("_") or not isinstance(template[name], np.dtype):
                continue
            value = np.array([values[name]], dtype=template[name])
            carried[(name, dtype)] = np.concatenate(
                [column, value if dtype is None else value.astype(dtype)]
            )
        carried[_SAME_LAYOUT] = np.ones(1, dtype=bool)
        seed_orders_columns(grown, carried)

    def _same_layout(self, problem: AllocationProblem) -> bool:
        known = known_orders_columns(problem)
        if _SAME_LAYOUT not in known:
            same = problem.orders.dtypes.equals(self._row_template.dtypes)
            seed_orders_columns(problem, {_SAME_LAYOUT: np.array([same])})
            return same
        return bool(known[_SAME_LAYOUT][0])


def _row_template(snapshot: Snapshot, context: Context) -> pd.DataFrame:
    """A one-row orders table with every column typed as :func:`orders_table` makes it."""
    customer = snapshot.customers.iloc[:1]
    raw = pd.DataFrame(
        {
            "order_id": ["template"],
            "customer_id": [customer["customer_id"].iloc[0] if len(customer) else ""],
            "part_number": [context.part_numbers[0] if context.part_numbers else ""],
            "quantity": np.array([1], dtype=np.int64),
            "created_at": pd.to_datetime(["2000-01-01"]).astype("datetime64[ns]"),
            "product_type": ["desktop"],
            "warranty_valid": [True],
            "ship_to_country": pd.Series([None], dtype=object),
        }
    )
    decisions = pd.DataFrame(
        {"order_id": ["template"], "priority_class": ["standard"], "tier": ["standard"]}
    )
    return orders_table(raw, snapshot.customers, decisions, context)
