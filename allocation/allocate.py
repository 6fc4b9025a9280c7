"""The allocate use case: snapshot + policy + strategy → plan, through the engine façade.

The CLI, the service, the simulator and notebooks all plan through
:class:`~allocation.engine.Engine`; :func:`allocate` is its one-call form.
"""

from __future__ import annotations

from datetime import date

import pandas as pd

from allocation.domain.entitlement import EntitlementPolicy
from allocation.domain.policy import AllocationPolicy
from allocation.domain.snapshot import Snapshot
from allocation.engine import STRATEGIES, Engine, Plan, classify_orders
from allocation.engine.solve import check_strategy

__all__ = ["STRATEGIES", "allocate", "decisions_frame"]


def decisions_frame(
    snapshot: Snapshot, on: date | None = None, policy: EntitlementPolicy | None = None
) -> pd.DataFrame:
    """Priority class and tier of every order line (the entitlement engine's answer)."""
    return classify_orders(snapshot.entitlement, on=on, policy=policy)


def allocate(
    snapshot: Snapshot,
    policy: AllocationPolicy | None = None,
    strategy: str = "optimal",
    entitlement_policy: EntitlementPolicy | None = None,
    workers: int = 1,
    dask: str | None = None,
    previous: pd.DataFrame | None = None,
) -> Plan:
    """Decide who gets which units from which source.

    Parameters
    ----------
    snapshot : Snapshot
        Orders and supply (see :func:`allocation.load_snapshot`).
    policy : AllocationPolicy, optional
        Source permissions and options; the data sheet's defaults when omitted.
    strategy : {"optimal", "fifo", "tier_greedy"}
        The lexicographic optimizer (default) or a baseline.
    entitlement_policy : EntitlementPolicy, optional
        How the entitlement engine reads the sheet's ambiguities.
    workers : int
        Local worker processes for the optimizer (1: in this process).
    dask : str, optional
        A Dask scheduler address, or ``"local"``; the plan is the same as without.
    previous : DataFrame, optional
        A previous plan's lines (``order_id``, ``source``, ``origin``, ``quantity``): the
        plan then reports its churn against them (``plan.churn``, ``summary()["churn"]``),
        and pays the policy's ``churn_penalty`` per unit moved.
        The planner's overrides come with the snapshot (its ``overrides`` table).

    Returns
    -------
    Plan

    Examples
    --------
    >>> from allocation import load_snapshot
    >>> plan = allocate(load_snapshot("scenarios/example"), strategy="tier_greedy")
    >>> plan.summary()["by_class"]["parts_priority"]["fill_rate"]
    1.0
    """
    check_strategy(strategy)
    engine = Engine(snapshot, policy, entitlement_policy, previous)
    plan = engine.plan(strategy, workers, dask)
    return plan if previous is None else plan.against(previous)
