"""The engine façade: one snapshot's world, built once, planned every way a caller needs.

The CLI, the notebook API, the HTTP service and the simulator all plan through an
:class:`Engine`: a full plan with any strategy, a :class:`~allocation.engine.incremental.
Planner` that keeps it current under changes, explanations and marginal values, and — for a
caller that keeps its own orders and supply, like the simulator — orders and sources made
into the engine's columns and solved.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

import pandas as pd

from allocation.domain.entitlement import EntitlementPolicy
from allocation.domain.overrides import Previous
from allocation.domain.policy import AllocationPolicy
from allocation.domain.snapshot import EntitlementInputs, Snapshot
from allocation.engine._plan import Plan, PlanTables
from allocation.engine._shards import can_shard, plan_in_shards
from allocation.engine.incremental import Planner, canonical_orders, marginal_values
from allocation.engine.model import (
    Classes,
    Context,
    OrderColumns,
    Problem,
    SourceColumns,
    build_context,
    classify,
    orders_from,
    problem_from,
    sources_from,
)
from allocation.engine.solve import (
    Runner,
    check_strategy,
    dask_runner,
    local_runner,
    solve_strategy,
)
from allocation.errors import PolicyError

if TYPE_CHECKING:
    from allocation.engine._moves import MoveImpact

__all__ = ["Engine", "plan_tables_from"]


class Engine:
    """A snapshot made into the engine's terms: context, classes, orders, sources, arcs.

    Parameters
    ----------
    snapshot : Snapshot
        Orders and supply (see :func:`allocation.load_snapshot`).
    policy : AllocationPolicy, optional
        Source permissions and options; the data sheet's defaults when omitted.
    entitlement_policy : EntitlementPolicy, optional
        How the entitlement engine reads the sheet's ambiguities.
    previous : DataFrame, optional
        A previous plan's lines (``order_id``, ``source``, ``origin``, ``quantity``): the
        policy's ``churn_penalty`` prices every unit a plan moves away from it
        (:mod:`allocation.engine.objective`, "Churn penalty"). Without it, or at penalty
        0, plans are what they would be without it.

    Examples
    --------
    >>> from allocation import Engine, load_snapshot
    >>> engine = Engine(load_snapshot("scenarios/example"))
    >>> engine.plan().objective()["parts_priority_eta_hours"]
    124.0
    >>> engine.plan("fifo").objective()["parts_priority_eta_hours"]
    300.0
    """

    def __init__(
        self,
        snapshot: Snapshot,
        policy: AllocationPolicy | None = None,
        entitlement_policy: EntitlementPolicy | None = None,
        previous: pd.DataFrame | None = None,
    ) -> None:
        self.snapshot = snapshot
        self.policy = policy or AllocationPolicy()
        self.entitlement_policy = entitlement_policy
        self.previous = previous
        context = build_context(snapshot, self.policy)
        if previous is not None:
            context = context.with_previous(Previous.of(previous))
        self.context: Context = context
        self._problem: Problem | None = None
        self._optimal: Plan | None = None

    # -- the snapshot's own plan -------------------------------------------------------
    def problem(self) -> Problem:
        """The snapshot's orders, sources and allowed arcs (built on first use, then kept)."""
        if self._problem is None:
            snapshot = self.snapshot
            orders = canonical_orders(self.orders_of(snapshot.orders))
            sources = self.sources_of(snapshot.stock, snapshot.inbound, snapshot.supply_options)
            self._problem = problem_from(orders, sources, self.context)
        return self._problem

    def plan(self, strategy: str = "optimal", workers: int = 1, dask: str | None = None) -> Plan:
        """Who gets which units from which source, by ``strategy``.

        ``workers`` local processes (or the Dask scheduler at ``dask``, or ``"local"``)
        solve part groups in parallel; the plan is the same either way.
        """
        runner: Runner = dask_runner(dask) if dask else local_runner(workers)
        if strategy == "optimal" and self._optimal is not None:
            return self._optimal
        problem = self.problem()
        solution = solve_strategy(problem, strategy, runner)
        plan = Plan(problem, solution.flow, strategy, solution.excluded)
        if strategy == "optimal" and problem.policy.partial_fills:
            self._optimal = plan
        return plan

    def plan_tables(
        self, strategy: str = "optimal", workers: int = 1, dask: str | None = None
    ) -> PlanTables:
        """The tables of the plan of ``strategy``: lines, unfilled and measures.

        With ``workers`` > 1 (and no Dask), whole part groups are planned from their rows
        to their tables in that many forked processes — entitlement, arcs, solve and
        reasons alike — and only the tables are joined: the tables are those of
        :meth:`plan`, made in a fraction of the time. Without forking, or with Dask, the
        plan is made by :meth:`plan` and its tables returned.
        """
        check_strategy(strategy)
        if (
            workers > 1
            and dask is None
            and self._problem is None
            and can_shard()
            and not self.context.churn_priced()  # shards plan alone: the solve below prices it
        ):
            snapshot = self.snapshot
            return plan_in_shards(
                lambda: snapshot, self.policy, self.entitlement_policy, strategy, workers
            )
        return self.plan(strategy, workers, dask).tables()

    def planner(self) -> Planner:
        """An incremental planner starting from the optimal plan (partial fills on).

        Raises :class:`~allocation.errors.PolicyError` when the engine prices churn against
        a previous plan: the planner's re-plans do not.
        """
        if self.context.churn_priced():
            raise PolicyError(
                "allocation.churn_penalty: the incremental planner does not price churn "
                "against a previous plan (plan in full, or set the penalty to 0)"
            )
        return Planner(
            self.snapshot,
            self.policy,
            self.entitlement_policy,
            context=self.context,
            plan=self.plan() if self.policy.partial_fills else None,
        )

    def preview_move(
        self,
        from_order: str,
        to_order: str,
        units: int | None = None,
        source: tuple[str, str] | None = None,
    ) -> MoveImpact:
        """What moving ``units`` of ``from_order``'s planned units (its line with the best
        ETA, or the ``source`` (kind, origin) named) to ``to_order`` would do, before it is
        done: see :func:`allocation.engine._moves.preview_move`."""
        from allocation.engine._moves import preview_move

        return preview_move(self, from_order, to_order, units, source)

    def explain(self, order_id: str, strategy: str = "optimal") -> str:
        """Why an order gets what it gets in the plan of ``strategy``, in words."""
        return self.plan(strategy).explain(order_id)

    def marginal(self, parts: list[str] | None = None) -> pd.DataFrame:
        """What one more unit of each short part at each candidate depot would buy."""
        return marginal_values(self.planner(), parts)

    # -- for callers with orders and supply of their own -------------------------------
    def classes_of(self, orders: pd.DataFrame) -> Classes:
        """Priority class and tier of each row of an orders table, by the entitlement rules
        and the snapshot's customers and contracts."""
        inputs = EntitlementInputs(self.snapshot.customers, self.snapshot.contracts, orders)
        return classify(inputs, policy=self.entitlement_policy)

    def orders_of(self, orders: pd.DataFrame, classes: Classes | None = None) -> OrderColumns:
        """An orders table (the snapshot's columns) as the engine's order columns, in its
        row order; classified unless ``classes`` are given."""
        classes = classes or self.classes_of(orders)
        return orders_from(
            orders, self.snapshot.customers, classes.class_code, classes.tier_code, self.context
        )

    def sources_of(
        self,
        stock: pd.DataFrame,
        inbound: pd.DataFrame,
        supply_options: pd.DataFrame,
        as_of: datetime | pd.Timestamp | None = None,
    ) -> SourceColumns:
        """Stock, receipts and supply options as the engine's sources, their release times
        counted from ``as_of`` (default: the snapshot's moment)."""
        context = self.context if as_of is None else self.context.at(as_of)
        return sources_from(stock, inbound, supply_options, context)

    def solve(
        self,
        orders: OrderColumns,
        sources: SourceColumns,
        strategy: str = "optimal",
        as_of: datetime | pd.Timestamp | None = None,
    ) -> Plan:
        """The plan of ``strategy`` for some orders against some sources (made with
        :meth:`orders_of` and :meth:`sources_of` at the same ``as_of``)."""
        context = self.context if as_of is None else self.context.at(as_of)
        problem = problem_from(orders, sources, context)
        solution = solve_strategy(problem, strategy)
        return Plan(problem, solution.flow, strategy, solution.excluded)


def plan_tables_from(
    load: Callable[[], Snapshot],
    policy: AllocationPolicy | None = None,
    entitlement_policy: EntitlementPolicy | None = None,
    strategy: str = "optimal",
    workers: int = 1,
    dask: str | None = None,
    previous: pd.DataFrame | None = None,
) -> PlanTables:
    """The tables of a plan of the snapshot ``load`` reads, with nothing read in this process
    when ``workers`` > 1 (and no Dask) on a platform that forks.

    The workers then each read the snapshot themselves, side by side — reading and
    validating a million orders is work that would otherwise wait for one core; a ``load``
    that is a :class:`~allocation.domain.snapshot.ShardedSnapshot` shares the orders among
    them — and plan their shards of whole part groups (see :meth:`Engine.plan_tables`).
    Otherwise the snapshot is read here and planned by an :class:`Engine`. The tables are
    the same either way, and so is the error a snapshot that does not validate raises.
    With a ``previous`` plan that the policy's ``churn_penalty`` prices, the snapshot is
    read here and the plan's part groups solved in ``workers`` processes (see
    :meth:`Engine.plan_tables`).
    """
    check_strategy(strategy)
    priced = previous is not None and (policy or AllocationPolicy()).churn_penalty > 0
    if workers > 1 and dask is None and can_shard() and not priced:
        return plan_in_shards(
            load, policy or AllocationPolicy(), entitlement_policy, strategy, workers
        )
    engine = Engine(load(), policy, entitlement_policy, previous)
    return engine.plan(strategy, workers, dask).tables()
