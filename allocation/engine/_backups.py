"""Backup units for parts-priority broker buys: shelf units held, not bought, from what a plan
leaves free.

With the policy's ``broker_backup`` (:class:`~allocation.domain.policy.AllocationPolicy`), a
``parts_priority`` order that a plan gives broker units also *holds* as many units on a
shelf it may use: stock at its own depot, or another depot's stock by transfer, over a lane
that exists, of a kind the policy lets its class use. Receipts, expedites and brokers are
no backup: a backup is a unit a failed buy can ship at once.

Why a second solve over the plan's own arrays
---------------------------------------------
Which units to hold is an allocation like any other: the backup orders want their broker
units, and the best backups are the best plan by the same lexicographic objective (units,
lateness, ETA, age, money, the tie-break). So the backups are the optimal solve
(:func:`~allocation.engine.solve.solve_optimal`) of a problem made from the plan's problem
without rebuilding anything:

- *demand*: each parts-priority order's broker units in the plan (0 for every other order);
- *supply*: each shelf's units less what the plan gives from it (0 for receipts and
  options);
- *arcs*: the plan's own allowed arcs of kind ``stock`` or ``transfer`` from shelves. They
  already carry everything policy and the planner's overrides decide — class permissions,
  protection levels, forbidden sources, missing lanes, ETAs and money — so those rules are
  applied once, where arcs are built, and honoured here as they are.

This is exact and simple: the residual is one subtraction of the flow per source, and
nothing of the plan is an input to anything but that subtraction. The alternative — firming
every planned line as an override on a copy of the snapshot and adding backup orders with
receipts, expedites and brokers forbidden — would rebuild context, entitlement and arcs
only to arrive at these same arcs and supplies.

A backup never takes a unit another order got: supply is what the plan leaves, so the plan's
lines and objective are the same with the flag on or off. The plan's own overrides (firmed
units) are in its flow, hence out of the residual; the churn penalty prices the plan, not
what it holds back, so the backup solve does not pay it. Fair-share caps and the
proportional split limit what customers *take*; a held unit is not taken, so the backup
solve has neither. Part groups are independent here as in the plan, so a plan made in
shards (:mod:`allocation.engine._shards`) holds the same backups as one made whole.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt
import pandas as pd

from allocation.domain.fair_share import FairShare
from allocation.domain.model import PriorityClass, SourceBase, SourceKind
from allocation.engine.model import Problem, stable_order
from allocation.engine.solve import solve_optimal

__all__ = [
    "BACKUP_COLUMNS",
    "Backups",
    "backup_words",
    "broker_need",
    "empty_backups",
    "hold_backups",
]

IntArray = npt.NDArray[np.int64]
BACKUP_COLUMNS = ["order_id", "part_number", "source", "origin", "quantity", "eta", "eta_hours"]
_KIND_NAMES = np.array([k.value for k in SourceKind], dtype=object)
_SHELF_KINDS = np.array([SourceKind.STOCK.code, SourceKind.TRANSFER.code], dtype=np.int8)


@dataclass(frozen=True)
class Backups:
    """The backups of a plan: the backup problem, its units per arc and each order's need.

    ``problem`` has the plan's orders and sources, the shelf arcs a backup may use and the
    residual supply; ``need`` is each order row's broker units (0 for non-PM orders).
    """

    problem: Problem
    flow: IntArray
    need: IntArray

    def table(self) -> pd.DataFrame:
        """One row per order and shelf that holds units for it, by order and origin."""
        arcs, orders, sources = self.problem.arcs, self.problem.orders, self.problem.sources
        used = np.flatnonzero(self.flow > 0)
        o, s = arcs.order[used], arcs.source[used]
        eta_hours = arcs.eta_hours[used]
        frame = pd.DataFrame(
            {
                "order_id": orders.order_id[o],
                "part_number": sources.part_number[s],
                "source": _KIND_NAMES[arcs.kind[used]],
                "origin": sources.origin[s],
                "quantity": self.flow[used],
                "eta": self.problem.as_of + pd.to_timedelta(eta_hours, unit="h"),
                "eta_hours": np.round(eta_hours, 3),
            }
        )
        if sources.protected[s].any():  # both tranches of one shelf are one backup line
            keys = [c for c in BACKUP_COLUMNS if c != "quantity"]
            frame = frame.groupby(keys, sort=False, as_index=False)[["quantity"]].sum()
        sort = stable_order(frame["order_id"], frame["origin"])
        return frame.iloc[sort].reset_index(drop=True)[BACKUP_COLUMNS]


def empty_backups() -> pd.DataFrame:
    """A backups table with no rows (the flag off, or no broker lines)."""
    return pd.DataFrame(
        {
            "order_id": pd.Series(dtype=object),
            "part_number": pd.Series(dtype=object),
            "source": pd.Series(dtype=object),
            "origin": pd.Series(dtype=object),
            "quantity": pd.Series(dtype=np.int64),
            "eta": pd.Series(dtype="datetime64[ns]"),
            "eta_hours": pd.Series(dtype=np.float64),
        }
    )


def broker_need(problem: Problem, flow: IntArray) -> IntArray:
    """Broker units per order row of a plan, for ``parts_priority`` orders only."""
    arcs, orders = problem.arcs, problem.orders
    broker = arcs.kind == SourceKind.BROKER.code
    need = np.bincount(arcs.order[broker], weights=flow[broker], minlength=len(orders))
    need = need.astype(np.int64)
    need[orders.class_code != PriorityClass.PARTS_PRIORITY.code] = 0
    return need


def hold_backups(problem: Problem, flow: IntArray) -> Backups | None:
    """The backups of the plan ``flow`` of ``problem``; None when the policy holds none.

    Examples
    --------
    >>> from allocation import AllocationPolicy, Engine, load_snapshot
    >>> plan = Engine(load_snapshot("scenarios/example"), AllocationPolicy()).plan()
    >>> hold_backups(plan.problem, plan.flow) is None
    True
    """
    if not problem.policy.broker_backup:
        return None
    arcs, sources = problem.arcs, problem.sources
    need = broker_need(problem, flow)
    taken = np.bincount(arcs.source, weights=flow, minlength=len(sources)).astype(np.int64)
    free = np.where(sources.base == SourceBase.SHELF, sources.quantity - taken, 0)
    keep = (
        arcs.allowed
        & np.isin(arcs.kind, _SHELF_KINDS)
        & (sources.base[arcs.source] == SourceBase.SHELF)
        & (need[arcs.order] > 0)
        & (free[arcs.source] > 0)
    )
    # Held units are not taken: no fair-share cap or split applies to them (docstring).
    context = problem.context.with_policy(replace(problem.policy, fair_share=FairShare()))
    held = Problem(problem.orders, problem.sources, arcs.take(np.flatnonzero(keep)), context)
    backup_flow = np.zeros(len(held.arcs), dtype=np.int64)
    if len(held.arcs):
        backup_flow = solve_optimal(held, supply=free.astype(np.int64), demand=need)
    return Backups(held, backup_flow, need)


def backup_words(backups: Backups | None, row: int) -> list[str]:
    """The sentences of an order's backups, for its explanation (none when it needs none)."""
    if backups is None or backups.need[row] == 0:
        return []
    problem = backups.problem
    arcs = problem.arcs
    mine = np.flatnonzero((arcs.order == row) & (backups.flow > 0))
    mine = mine[np.argsort(arcs.eta_hours[mine], kind="stable")]  # the nearest first
    need = int(backups.need[row])
    words = []
    for a in mine.tolist():
        units = int(backups.flow[a])
        origin = problem.sources.origin[arcs.source[a]]
        kind = "" if arcs.kind[a] == SourceKind.STOCK.code else " (by transfer)"
        words.append(
            f"- backup: {units} unit{'s' if units != 1 else ''} held at {origin}{kind}, "
            f"{arcs.eta_hours[a]:.1f} h away, if the broker buy fails"
        )
    short = need - int(backups.flow[mine].sum())
    if short == need:
        words.append(
            f"- backup: none for its {need} broker unit(s): no free shelf unit it may use "
            "is left by the plan"
        )
    elif short > 0:
        words.append(
            f"- backup: {short} of its {need} broker unit(s) have none: no other free shelf "
            "unit it may use is left by the plan"
        )
    return words
