"""Incremental re-planning: keep an optimal plan current, re-solving only what a change touches.

Part groups are independent, so an arriving order, a cancelled or shipped one, or a receipt
touches one group: only that group is rebuilt and solved. An arriving order that can take its
best units from free supply needs no solve at all — it is then exactly what a full re-plan
would give it (the old plan stays optimal for the others, the new order gets its own best,
and lexicographic optima add up) — so the common uncontended case costs microseconds.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from allocation.adapters.snapshot import Snapshot
from allocation.domain.entitlement import EntitlementPolicy
from allocation.domain.policy import AllocationPolicy
from allocation.engine.classify import classify_orders
from allocation.engine.optimal import level_arrays, make_tasks, run_task
from allocation.engine.plan import Plan
from allocation.engine.problem import (
    AllocationProblem,
    Arcs,
    Context,
    build_arcs,
    build_context,
    orders_table,
    problem_from,
    sources_table,
)
from allocation.errors import InputError, UnknownIdError

__all__ = ["Planner", "merge_plans"]


@dataclass
class _Group:
    orders: pd.DataFrame
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
        self.customers = snapshot.customers
        self.contracts = snapshot.contracts
        self._snapshot = snapshot
        decisions = classify_orders(snapshot.entitlement, policy=entitlement_policy)
        orders = orders_table(snapshot.orders, snapshot.customers, decisions, self.context)
        raw = snapshot.orders.assign(part_group=orders["part_group"].to_numpy())
        self._raw_columns = list(snapshot.orders.columns)
        group_of_part = dict(zip(self.context.part_numbers, self.context.part_group, strict=True))
        stock = snapshot.stock.assign(part_group=snapshot.stock["part_number"].map(group_of_part))
        inbound = snapshot.inbound.assign(
            part_group=snapshot.inbound["part_number"].map(group_of_part)
        )
        options = snapshot.supply_options.assign(
            part_group=snapshot.supply_options["part_number"].map(group_of_part)
        )
        self._group_of_part = group_of_part
        self._groups: dict[int, _Group] = {}
        self._order_group: dict[str, int] = dict(
            zip(orders["order_id"], orders["part_group"].astype(int), strict=True)
        )
        touched = set(orders["part_group"].astype(int)) | set(stock["part_group"].astype(int))
        frames = {
            "orders": dict(tuple(raw.groupby("part_group"))),
            "stock": dict(tuple(stock.groupby("part_group"))),
            "inbound": dict(tuple(inbound.groupby("part_group"))),
            "options": dict(tuple(options.groupby("part_group"))),
        }
        empty = {
            "orders": raw.iloc[0:0],
            "stock": stock.iloc[0:0],
            "inbound": inbound.iloc[0:0],
            "options": options.iloc[0:0],
        }
        for g in sorted(touched):
            parts = {k: frames[k].get(g, empty[k]) for k in frames}
            self._groups[g] = self._solve(
                parts["orders"], parts["stock"], parts["inbound"], parts["options"]
            )

    # -- reading -----------------------------------------------------------------------
    def plan(self) -> Plan:
        """The current plan for every group, as one :class:`Plan`."""
        return merge_plans([g.plan for _, g in sorted(self._groups.items())], self.context)

    def group_plan(self, part_number: str) -> Plan:
        """The current plan of the group a part belongs to."""
        return self._group(part_number).plan

    # -- changes -----------------------------------------------------------------------
    def add_orders(self, orders: pd.DataFrame) -> set[int]:
        """Add order lines (columns as the orders table); re-plan the groups they touch.

        Returns the part groups that changed. Raises :class:`InputError` for a duplicate
        order id or an unknown part or customer.
        """
        touched: set[int] = set()
        for _, row in orders.iterrows():
            order_id = str(row["order_id"])
            if order_id in self._order_group:
                raise InputError(f"order {order_id!r} already exists")
            part = str(row["part_number"])
            if part not in self._group_of_part:
                raise UnknownIdError(f"order {order_id!r}: unknown part {part!r}")
            if row["customer_id"] not in set(self.customers["customer_id"]):
                raise UnknownIdError(f"order {order_id!r}: unknown customer {row['customer_id']!r}")
            g = int(self._group_of_part[part])
            one = pd.DataFrame([row[self._raw_columns].to_dict()]).assign(part_group=g)
            state = self._groups.get(g) or self._empty_group(g)
            new_orders = pd.concat([state.orders, one], ignore_index=True)
            fast = self._fast_add(state, one)
            if fast is not None:
                self._groups[g] = _Group(
                    new_orders, state.stock, state.inbound, state.options, fast
                )
            else:
                self._groups[g] = self._solve(
                    new_orders, state.stock, state.inbound, state.options, state.plan
                )
            self._order_group[order_id] = g
            touched.add(g)
        return touched

    def remove_order(self, order_id: str, shipped: bool = False) -> int:
        """Cancel an order, or (``shipped``) consume its allocated units; re-plan its group."""
        g = self._order_group.get(order_id)
        if g is None:
            raise UnknownIdError(f"unknown order_id {order_id!r}")
        state = self._groups[g]
        stock, inbound = state.stock, state.inbound
        if shipped:
            lines = state.plan.lines
            mine = lines[lines["order_id"] == order_id]
            for line in mine.itertuples(index=False):
                if line.source in ("stock", "transfer") and _has(stock, line):
                    stock = _take(stock, "on_hand", line)
                elif line.source in ("inbound", "transfer") and _has(inbound, line):
                    inbound = _take(inbound, "quantity", line)
        orders = state.orders[state.orders["order_id"] != order_id]
        del self._order_group[order_id]
        self._groups[g] = self._solve(orders, stock, inbound, state.options, state.plan)
        return g

    def add_stock(self, part_number: str, depot_id: str, quantity: int) -> int:
        """Units of a part arrive at (or, negative, leave) a depot; re-plan its group."""
        state = self._group(part_number)
        g = int(self._group_of_part[part_number])
        stock = state.stock.copy()
        match = (stock["part_number"] == part_number) & (stock["depot_id"] == depot_id)
        if match.any():
            stock.loc[match, "on_hand"] = stock.loc[match, "on_hand"] + quantity
        else:
            row = {
                "part_number": part_number,
                "depot_id": depot_id,
                "on_hand": quantity,
                "part_group": g,
            }
            stock = pd.concat([stock, pd.DataFrame([row])], ignore_index=True)
        if (stock["on_hand"] < 0).any():
            raise InputError(f"stock of {part_number} at {depot_id} would become negative")
        self._groups[g] = self._solve(state.orders, stock, state.inbound, state.options, state.plan)
        return g

    # -- internals ---------------------------------------------------------------------
    def _group(self, part_number: str) -> _Group:
        if part_number not in self._group_of_part:
            raise UnknownIdError(f"unknown part {part_number!r}")
        g = int(self._group_of_part[part_number])
        if g not in self._groups:
            self._groups[g] = self._empty_group(g)
        return self._groups[g]

    def _empty_group(self, g: int) -> _Group:
        snap = self._snapshot
        empty_orders = snap.orders.iloc[0:0].assign(part_group=pd.Series(dtype=np.int64))
        return self._solve(
            empty_orders,
            snap.stock.iloc[0:0].assign(part_group=pd.Series(dtype=np.int64)),
            snap.inbound.iloc[0:0].assign(part_group=pd.Series(dtype=np.int64)),
            snap.supply_options.iloc[0:0].assign(part_group=pd.Series(dtype=np.int64)),
        )

    def _problem(
        self,
        orders: pd.DataFrame,
        stock: pd.DataFrame,
        inbound: pd.DataFrame,
        options: pd.DataFrame,
    ) -> AllocationProblem:
        inputs = replace(
            self._snapshot.entitlement, orders=orders[self._raw_columns].reset_index(drop=True)
        )
        decisions = classify_orders(inputs, policy=self.entitlement_policy)
        table = orders_table(inputs.orders, self.customers, decisions, self.context)
        sources = sources_table(stock, inbound, options, self.context)
        return problem_from(table, sources, self.context)

    def _solve(
        self,
        orders: pd.DataFrame,
        stock: pd.DataFrame,
        inbound: pd.DataFrame,
        options: pd.DataFrame,
        previous: Plan | None = None,
    ) -> _Group:
        problem = self._problem(orders, stock, inbound, options)
        pinned = np.zeros(len(problem.arcs), dtype=np.int64)
        if previous is not None and not self.policy.preemption:
            pinned = _pinned_standard_units(previous, problem)
        supply = problem.sources["quantity"].to_numpy(dtype=np.int64) - np.bincount(
            problem.arcs.source, weights=pinned, minlength=len(problem.sources)
        ).astype(np.int64)
        demand = problem.orders["quantity"].to_numpy(dtype=np.int64) - np.bincount(
            problem.arcs.order, weights=pinned, minlength=len(problem.orders)
        ).astype(np.int64)
        flow = pinned.copy()
        levels = level_arrays(problem)
        for task in make_tasks(problem, levels, supply=supply, demand=demand):
            flow[task.arc_index] += run_task(task)
        plan = Plan(problem=problem, flow=flow, strategy="optimal")
        return _Group(orders.reset_index(drop=True), stock, inbound, options, plan)

    def _fast_add(self, state: _Group, one: pd.DataFrame) -> Plan | None:
        """The plan with the new order served from free supply, if that is exactly optimal.

        It is when the order can take its full quantity from its own best arcs, in the
        objective's order, without touching a saturated source: then no other order loses
        anything and the new one gets what it would get alone.
        """
        old = state.plan.problem
        if len(old.sources) == 0:
            return None
        inputs = replace(
            self._snapshot.entitlement, orders=one[self._raw_columns].reset_index(drop=True)
        )
        decisions = classify_orders(inputs, policy=self.entitlement_policy)
        row = orders_table(inputs.orders, self.customers, decisions, self.context)
        orders = pd.concat([old.orders, row], ignore_index=True)
        probe = AllocationProblem(
            orders=orders, sources=old.sources, arcs=old.arcs, context=self.context
        )
        new_row = len(orders) - 1
        arcs = build_arcs(probe, np.array([new_row]), only_allowed=True)
        if len(arcs) == 0:
            return None
        merged = AllocationProblem(
            orders=orders,
            sources=old.sources,
            arcs=_concat_arcs(old.arcs, arcs),
            context=self.context,
        )
        levels = level_arrays(merged)
        mine = np.arange(len(old.arcs), len(merged.arcs))
        order = mine[
            np.lexsort((levels.tie[mine], levels.money_cents[mine], levels.eta_ticks[mine]))
        ]
        used = np.bincount(old.arcs.source, weights=state.plan.flow, minlength=len(old.sources))
        free = old.sources["quantity"].to_numpy(dtype=np.int64) - used.astype(np.int64)
        need = int(row["quantity"].iloc[0])
        total = old.sources["quantity"].to_numpy(dtype=np.int64)
        flow = np.concatenate([state.plan.flow, np.zeros(len(arcs), dtype=np.int64)])
        for a in order:
            if need == 0:
                break
            s = int(merged.arcs.source[a])
            # What the order would take here if it were alone; free supply must cover it.
            alone = min(need, int(total[s]))
            if free[s] < alone:
                return None
            flow[a] = alone
            free[s] -= alone
            need -= alone
        if need > 0:
            return None
        return Plan(problem=merged, flow=flow, strategy="optimal")


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
        merged_arcs = _concat_arcs(merged_arcs, more)
    problem = AllocationProblem(
        orders=pd.concat(orders, ignore_index=True),
        sources=pd.concat(sources, ignore_index=True),
        arcs=merged_arcs,
        context=context,
    )
    return Plan(problem=problem, flow=np.concatenate(flows), strategy="optimal", reasons=reasons)


def _concat_arcs(a: Arcs, b: Arcs) -> Arcs:
    return Arcs(
        *(
            np.concatenate([getattr(a, f), getattr(b, f)])
            for f in ("source", "order", "part", "kind", "eta_hours", "money", "allowed")
        )
    )


def _has(table: pd.DataFrame, line: object) -> bool:
    part, origin = line.part_number, line.origin  # type: ignore[attr-defined]
    return bool(((table["part_number"] == part) & (table["depot_id"] == origin)).any())


def _take(table: pd.DataFrame, column: str, line: object) -> pd.DataFrame:
    part, origin, qty = line.part_number, line.origin, int(line.quantity)  # type: ignore[attr-defined]
    table = table.copy()
    rows = np.flatnonzero(
        ((table["part_number"] == part) & (table["depot_id"] == origin)).to_numpy()
    )
    values = table[column].to_numpy(dtype=np.int64).copy()
    for r in rows:
        take = min(qty, int(values[r]))
        values[r] -= take
        qty -= take
        if qty == 0:
            break
    table[column] = values
    return table


def _source_keys(problem: AllocationProblem) -> pd.Series:
    src = problem.sources
    return (
        src["part_number"].astype(str)
        + "|"
        + src["origin"].astype(str)
        + "|"
        + src["kind_name"].astype(str)
        + "|"
        + src["release_hours"].round(6).astype(str)
    )


def _pinned_standard_units(previous: Plan, problem: AllocationProblem) -> np.ndarray:
    """Units standard orders already hold (allocated, not shipped), mapped onto new arcs.

    With pre-emption off they stay where they are; each is capped by what the source and
    the order still have, in case stock left or the order shrank.
    """
    old = previous.problem
    held = np.flatnonzero(previous.flow > 0)
    old_orders = old.orders["order_id"].to_numpy(dtype=object)[old.arcs.order[held]]
    standard = old.orders["group"].to_numpy()[old.arcs.order[held]] > 0
    keys_old = _source_keys(old).to_numpy(dtype=object)[old.arcs.source[held]]
    pins = {
        (o, k): int(q)
        for o, k, q, std in zip(old_orders, keys_old, previous.flow[held], standard, strict=True)
        if std
    }
    pinned = np.zeros(len(problem.arcs), dtype=np.int64)
    if not pins:
        return pinned
    new_orders = problem.orders["order_id"].to_numpy(dtype=object)[problem.arcs.order]
    new_keys = _source_keys(problem).to_numpy(dtype=object)[problem.arcs.source]
    supply = problem.sources["quantity"].to_numpy(dtype=np.int64).copy()
    demand = problem.orders["quantity"].to_numpy(dtype=np.int64).copy()
    for a, (o, k) in enumerate(zip(new_orders, new_keys, strict=True)):
        want = pins.get((o, k), 0)
        if want:
            s, r = int(problem.arcs.source[a]), int(problem.arcs.order[a])
            give = min(want, int(supply[s]), int(demand[r]))
            pinned[a] = give
            supply[s] -= give
            demand[r] -= give
    return pinned
