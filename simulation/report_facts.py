"""Report facts from a simulation run: what a performance report is computed from.

A run's per-order outcomes and event records become the tables of
:class:`allocation.reports.ReportFacts`, so a customer's report of a simulated flood is
computed by the same function as one of what actually happened
(:func:`allocation.reports.customer_report`). Every replication's orders are in the tables
(``replications`` says how many histories they hold; a report's counts are means over them).

How a run maps onto the facts:

==================  ===========================================================================
column              from the run
==================  ===========================================================================
created_at          ``start`` + the order's ``created`` hours (see *start* below)
status              ``restored`` when it got its ``restored`` event; ``cancelled`` when it was
                    lost (the scenario's ``unmet_demand``: the customer went elsewhere, it was
                    never served); ``open`` otherwise (still waiting at the run's end)
restored_at         ``created_at`` + its downtime, restored orders only
backordered         not filled from stock on arrival (``filled_on_arrival`` false)
code, lost_code     the outcomes' root cause of its wait and why it lost parts priority
                    (:func:`simulation.metrics.order_outcomes`)
==================  ===========================================================================

``sources`` are the units and money of ``allocated`` rows net of ``purchase_failed`` ones, per
order and source kind; the scenario's emergency channel counts as ``expedite`` (an urgent
delivery from outside the network). ``customers`` are the world's customers with their best
Priority Services tier among their contracts (``standard`` without one); without the world
(a result made by hand) they are the run's customers, named by id, with the best tier their
orders had. Orders are those the run's outcomes count (created between warm-up and horizon).

*start*: the moment hour 0 of the run stands for — the argument when given, else the run's
own start (the scenario's ``start``, or its world's snapshot moment), else
:data:`DEFAULT_START`. ``as_of`` is ``start`` plus the end of the run (horizon and drain);
``target_hours`` is the scenario's; ``origin`` is ``simulation run: <scenario name>``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt
import pandas as pd

from allocation import Tier, default_rulebook
from allocation.reports import CUSTOMER_COLUMNS, ORDER_COLUMNS, SOURCE_COLUMNS, ReportFacts
from simulation._rows import end_times

if TYPE_CHECKING:
    from simulation.results import SimulationResult
    from simulation.world.setup import WorldSetup

__all__ = ["DEFAULT_START", "RunWorld", "facts_from_result", "run_world"]

DEFAULT_START = datetime(2026, 1, 1)
"""Hour 0 of a run that knows no start of its own (naive UTC)."""

_KINDS = {"emergency": "expedite"}
_TIER_RANK = {t.value: t.rank for t in Tier}


@dataclass(frozen=True)
class RunWorld:
    """What a run's reports need from its world: when hour 0 is, who the customers are
    (``customer_id``, ``name``, ``tier``: the best Priority Services tier of its contracts)
    and what the suppliers' offers declare (``part_number``, ``supplier_id``,
    ``success_probability``: for the supplier scorecard)."""

    start: datetime
    customers: pd.DataFrame
    offers: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(
            columns=["part_number", "supplier_id", "success_probability"]
        )
    )


def run_world(setup: WorldSetup) -> RunWorld:
    """The start and the customers (with their best tier) of a resolved world."""
    snapshot = setup.snapshot
    customers = snapshot.customers
    contracts = snapshot.contracts
    ids = customers["customer_id"].astype(str)
    tiers = default_rulebook().best_tiers(
        ids.tolist(), contracts["customer_id"].tolist(), contracts["sku"].tolist()
    )
    table = pd.DataFrame(
        {
            "customer_id": ids.to_numpy(dtype=object),
            "name": customers["name"].astype(str).to_numpy(dtype=object),
            "tier": np.array([t.value for t in tiers], dtype=object),
        }
    )
    start = pd.Timestamp(setup.start).to_pydatetime().replace(tzinfo=None)
    options = snapshot.supply_options
    offers = pd.DataFrame(
        {
            "part_number": options["part_number"].astype(str).to_numpy(dtype=object),
            "supplier_id": options["supplier_id"].astype(str).to_numpy(dtype=object),
            "success_probability": pd.to_numeric(
                options["success_probability"], errors="coerce"
            ).fillna(1.0),
        }
    )
    return RunWorld(
        start=start, customers=table.sort_values("customer_id", ignore_index=True), offers=offers
    )


def facts_from_result(result: SimulationResult, start: datetime | None = None) -> ReportFacts:
    """The report facts of a run: every replication's orders, their sources and customers.

    Parameters
    ----------
    result : SimulationResult
        A run; its records are replayed when it did not keep them.
    start : datetime, optional
        What hour 0 of the run stands for (naive UTC); see the module's docstring.

    Returns
    -------
    ReportFacts

    Examples
    --------
    >>> from simulation.use_cases import _DEMO, simulate
    >>> facts = facts_from_result(simulate(_DEMO, replications=1))
    >>> facts.origin, facts.replications, facts.target_hours
    ('simulation run: demo', 1, 48.0)
    """
    scenario = result.scenario
    world = result.world
    zero = start or (world.start if world is not None else None) or scenario.start
    zero = (zero or DEFAULT_START).replace(tzinfo=None)
    records = result.records
    outcomes = result.outcomes
    orders = _orders(outcomes, pd.Timestamp(zero))
    ends = end_times(records)
    end_hours = float(ends.max()) if len(ends) else 0.0
    return ReportFacts(
        orders=orders,
        sources=_sources(records, outcomes),
        customers=world.customers.copy() if world is not None else _customers(outcomes),
        as_of=(pd.Timestamp(zero) + pd.to_timedelta(end_hours, unit="h")).to_pydatetime(),
        target_hours=float(scenario.target_hours),
        origin=f"simulation run: {scenario.name}",
        replications=result.replications,
    )


def _orders(outcomes: pd.DataFrame, zero: pd.Timestamp) -> pd.DataFrame:
    restored = outcomes["restored"].to_numpy(bool)
    lost = outcomes["lost_units"].to_numpy(np.int64) > 0
    hours = outcomes["created"].to_numpy(np.float64)
    created = zero + pd.to_timedelta(hours, unit="h")
    downtime = np.where(restored, outcomes["downtime_hours"].to_numpy(np.float64), np.nan)
    ended = created + pd.to_timedelta(downtime, unit="h")
    status = np.where(restored, "restored", np.where(lost, "cancelled", "open")).astype(object)
    table = pd.DataFrame(
        {
            "replication": outcomes["replication"].to_numpy(np.int64),
            "order_id": _text(outcomes["order_id"]),
            "customer_id": _text(outcomes["customer_id"]),
            "created_at": np.asarray(created, dtype="datetime64[ns]"),
            "part_number": _text(outcomes["part_number"]),
            "depot_id": _text(outcomes["depot_id"]),
            "country": _text(outcomes["country"]),
            "quantity": outcomes["quantity"].to_numpy(np.int64),
            "priority_class": _text(outcomes["priority_class"]),
            "tier": _text(outcomes["tier"]),
            "lost_code": _text(outcomes["lost_code"]),
            "status": status,
            "restored_at": np.asarray(ended, dtype="datetime64[ns]"),
            "backordered": ~outcomes["filled_on_arrival"].to_numpy(bool),
            "code": _text(outcomes["code"]),
        }
    )
    return table[list(ORDER_COLUMNS)]


def _sources(records: pd.DataFrame, outcomes: pd.DataFrame) -> pd.DataFrame:
    """Units and money per order and source kind, net of failed purchases (orders of the
    outcomes only; kinds the purchases fully took back are left out)."""
    event = records["event"].astype(object)
    allocated = (event == "allocated").to_numpy(bool)
    moves = records.loc[allocated | (event == "purchase_failed").to_numpy(bool)]
    sign = np.where((moves["event"].astype(object) == "allocated").to_numpy(bool), 1, -1)
    kinds = moves["source_kind"].astype(object).replace(_KINDS)
    frame = pd.DataFrame(
        {
            "replication": moves["replication"].to_numpy(np.int64),
            "order_id": moves["order_id"].astype(object).to_numpy(),
            "source_kind": kinds.to_numpy(dtype=object),
            "quantity": sign * moves["quantity"].to_numpy(np.int64),
            "money": sign * moves["money"].to_numpy(np.float64),
        }
    )
    wanted = pd.DataFrame(
        {
            "replication": outcomes["replication"].to_numpy(np.int64),
            "order_id": _text(outcomes["order_id"]),
        }
    )
    frame = frame.merge(wanted, on=["replication", "order_id"], how="inner")
    table = frame.groupby(["replication", "order_id", "source_kind"], sort=True).sum()
    table = table.reset_index()
    table = table[(table["quantity"] != 0) | (table["money"].abs() > 1e-9)]
    table = table.assign(
        quantity=table["quantity"].astype(np.int64),
        money=table["money"].round(6).astype(np.float64),
    )
    return table[list(SOURCE_COLUMNS)].reset_index(drop=True)


def _customers(outcomes: pd.DataFrame) -> pd.DataFrame:
    """The run's customers, named by id, with the best tier their orders had."""
    ids = _text(outcomes["customer_id"])
    rank = pd.Series(_text(outcomes["tier"])).map(_TIER_RANK).fillna(Tier.STANDARD.rank)
    best = rank.groupby(ids).max()
    names = {t.rank: t.value for t in Tier}
    return pd.DataFrame(
        {
            "customer_id": best.index.to_numpy(dtype=object),
            "name": best.index.to_numpy(dtype=object),
            "tier": np.array([names[int(r)] for r in best.to_numpy()], dtype=object),
        }
    )[list(CUSTOMER_COLUMNS)]


def _text(column: pd.Series) -> npt.NDArray[np.object_]:
    """A text column as plain objects, None where missing."""
    values: npt.NDArray[np.object_] = column.astype(object).to_numpy(copy=True)
    values[pd.isna(values)] = None
    return values
