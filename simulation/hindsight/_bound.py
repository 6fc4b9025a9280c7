"""The hindsight bound of a scenario, replication by replication, and how far policies are
from it.

For replication ``r`` of a run seeded with ``s``, the bound reads the same random numbers
the policies read (:class:`~simulation.world.sampling.Streams` ``(s, r)``): the same orders,
the same lead-time draws in the same order, the same broker outcomes. It solves one offline
allocation per part (:mod:`._network`) over the supply any policy could have had
(:mod:`._facts`) and reports, per class, the least mean downtime of the orders the KPIs
count. The parts-priority number is a lower bound on the parts-priority mean downtime of
every policy on that replication; the standard number is the least standard downtime
*given* parts-priority at its bound (a reference, not a bound on any policy's standard
downtime).
"""

from __future__ import annotations

import multiprocessing as mp
import signal
import time
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from allocation import PriorityClass
from allocation.engine import end_pool
from simulation.errors import SimulationError
from simulation.hindsight._facts import PartFacts, part_facts
from simulation.hindsight._network import CostRangeError, Lanes, Orders, PartBound, solve_part
from simulation.world.conditions import Conditions
from simulation.world.demand import option_book, order_book
from simulation.world.sampling import Streams
from simulation.world.setup import WorldSetup
from simulation.world.state import WorldState
from simulation.world.supply import Supply

__all__ = [
    "TICKS_PER_HOUR",
    "BoundUnavailableError",
    "HindsightBound",
    "bound_of",
    "replication_bound",
    "unsupported",
]

TICKS_PER_HOUR = (3600.0, 60.0, 1.0)
"""Tick sizes tried, finest first (a second, a minute, an hour): the first whose costs fit
the solver's ``int64`` arithmetic is used (:func:`simulation.hindsight._network.check_range`)."""

_CLASSES = [k.value for k in PriorityClass]


class BoundUnavailableError(SimulationError):
    """The scenario has something the hindsight bound does not model (the message says what)."""


def unsupported(setup: WorldSetup) -> str | None:
    """Why the bound cannot be computed for this world, or None when it can.

    The bound's relaxations are proven for order lines of one unit, parts without
    substitutes, backorders (no lost sales or emergency channel) and a replenishment
    channel without a server limit; anything else is refused rather than guessed.
    """
    scenario = setup.scenario
    if scenario.replenishment.servers is not None:
        return "replenishment.servers (a repair line) is not modelled"
    unmet = scenario.unmet_demand
    if unmet.parts_priority is not None or unmet.standard is not None:
        return "unmet_demand (lost sales or an emergency channel) is not modelled"
    usable = setup.context.usable
    if any(list(usable[p]) != [p] for p in usable):
        return "parts with substitutes are not modelled"
    return None


@dataclass(frozen=True)
class HindsightBound:
    """The bound of each replication: one row per replication and class.

    ``table`` has columns ``replication, priority_class, orders, mean_downtime_hours,
    seconds`` (the time the replication's solves took, all classes).
    """

    table: pd.DataFrame = field(repr=False)

    def mean(self, priority_class: str = "parts_priority") -> float:
        """The bound's mean downtime of a class, averaged over replications (NaN if none)."""
        rows = self.table[self.table["priority_class"] == priority_class]
        return float(rows["mean_downtime_hours"].mean()) if len(rows) else float("nan")

    def gap(self, kpis: pd.DataFrame, priority_class: str = "parts_priority") -> float:
        """How far a policy is from the bound: ``(policy − bound) / bound`` of the class's
        mean downtime, both averaged over the replications they share.

        ``kpis`` is a result's per-replication KPIs by class (``result.kpis()``). NaN when
        the bound is zero or nothing is shared.
        """
        mine = self.table[self.table["priority_class"] == priority_class]
        theirs = kpis[kpis["priority_class"] == priority_class]
        both = mine.merge(theirs, on="replication", suffixes=("_bound", ""))
        both = both.dropna(subset=["mean_downtime_hours_bound", "mean_downtime_hours"])
        if not len(both):
            return float("nan")
        bound = float(both["mean_downtime_hours_bound"].mean())
        policy = float(both["mean_downtime_hours"].mean())
        return (policy - bound) / bound if bound > 0 else float("nan")

    @property
    def seconds(self) -> float:
        """Time spent solving, all replications."""
        return float(self.table.drop_duplicates("replication")["seconds"].sum())


def replication_bound(setup: WorldSetup, seed: int, replication: int) -> pd.DataFrame:
    """The bound of one replication: rows ``replication, priority_class, orders,
    mean_downtime_hours, seconds`` (a class without counted orders has no row).

    Raises
    ------
    BoundUnavailableError
        For a world the bound does not model (:func:`unsupported`) or an order line of
        more than one unit.
    """
    why = unsupported(setup)
    if why is not None:
        raise BoundUnavailableError(f"no hindsight bound: {why}")
    started = time.perf_counter()
    streams = Streams(seed, replication)
    book, _ = order_book(setup, streams.demand)
    quantity = np.asarray(book.quantity, dtype=np.int64)
    if (quantity != 1).any():
        raise BoundUnavailableError("no hindsight bound: order lines of more than one unit")
    options = option_book(setup)
    conditions = Conditions(setup, options)
    supply = Supply(setup, WorldState(setup.initial_stock, setup.base_stock), options, conditions)
    lanes = Lanes(
        depot_hours=supply.depot_hours,
        option_hours=supply.option_hours,
        allowed=supply.allowed,
        offline=[(lo, hi, int(d)) for lo, hi, depots, _ in setup.offline for d in depots.tolist()],
        priority=PriorityClass.PARTS_PRIORITY.code,
        repair=setup.scenario.repair_hours,
        end=setup.end_hours,
        period=conditions.period_hours,
    )
    scenario = setup.scenario
    created = np.asarray(book.created, dtype=np.float64)
    counted = (created >= scenario.warmup_days * 24.0) & (created < setup.horizon_hours)
    part = np.asarray(book.part, dtype=np.int64)
    klass = np.asarray(book.klass, dtype=np.int64)
    col = np.asarray(book.country_col, dtype=np.int64)
    home = np.asarray(book.home, dtype=np.int64)
    hours = np.zeros(len(_CLASSES))
    orders = np.zeros(len(_CLASSES), dtype=np.int64)
    by_part = np.argsort(part, kind="stable")
    bounds = np.searchsorted(part[by_part], np.arange(setup.part_count + 1))
    for p in range(setup.part_count):
        rows = by_part[bounds[p] : bounds[p + 1]]
        if not counted[rows].any():
            continue
        facts = part_facts(setup, book, options, conditions, streams, p, rows, counted)
        r = facts.rows
        solved, per_hour = _finest(facts, Orders(created[r], klass[r], col[r], home[r]), lanes)
        for c, ticks in solved.ticks.items():
            count = solved.orders[c]
            # One tick per order: times are floored to ticks, which may round a downtime up
            # by less than one tick; taking it back keeps the bound a bound.
            hours[c] += max(ticks - count, 0) / per_hour
            orders[c] += count
    seconds = time.perf_counter() - started
    return pd.DataFrame(
        [
            {
                "replication": replication,
                "priority_class": name,
                "orders": int(orders[c]),
                "mean_downtime_hours": hours[c] / orders[c],
                "seconds": seconds,
            }
            for c, name in enumerate(_CLASSES)
            if orders[c]
        ],
        columns=["replication", "priority_class", "orders", "mean_downtime_hours", "seconds"],
    )


def _finest(facts: PartFacts, orders: Orders, lanes: Lanes) -> tuple[PartBound, float]:
    """Solve at the finest tick whose costs fit ``int64``."""
    for per_hour in TICKS_PER_HOUR:
        try:
            return solve_part(facts, orders, lanes, per_hour), per_hour
        except CostRangeError:
            continue
    raise SimulationError("hindsight bound: costs too large for int64 even in hours")


def bound_of(
    setup: WorldSetup, seed: int, replications: Iterable[int], workers: int = 1
) -> HindsightBound:
    """The bound of the given replications of a run seeded with ``seed``, in ``workers``
    local processes (forked; 1: this process). The same numbers either way.

    Raises
    ------
    BoundUnavailableError
        For a world the bound does not model (:func:`unsupported`).
    """
    why = unsupported(setup)
    if why is not None:
        raise BoundUnavailableError(f"no hindsight bound: {why}")
    wanted = list(replications)
    if workers <= 1 or len(wanted) <= 1 or "fork" not in mp.get_all_start_methods():
        tables = [replication_bound(setup, seed, r) for r in wanted]
    else:
        pool = ProcessPoolExecutor(
            max_workers=min(workers, len(wanted)),
            mp_context=mp.get_context("fork"),
            initializer=_adopt,
            initargs=(setup,),
        )
        try:
            tables = list(pool.map(_in_worker, [(seed, r) for r in wanted]))
        except BaseException:
            end_pool(pool)
            raise
        pool.shutdown()
    return HindsightBound(pd.concat(tables, ignore_index=True))


# The world a forked worker solves: set once per worker by the pool's initializer.
_WORKER_SETUP: WorldSetup | None = None


def _adopt(setup: WorldSetup) -> None:
    global _WORKER_SETUP
    _WORKER_SETUP = setup
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _in_worker(task: tuple[int, int]) -> pd.DataFrame:
    assert _WORKER_SETUP is not None
    return replication_bound(_WORKER_SETUP, *task)
