"""Response-time breaches of a plan: which units arrive after their order's ``need_by``.

The objective's lateness levels (:mod:`allocation.engine.objective`) decide the plan; this
module reports on it — the lines' ``need_by`` and ``late_hours`` columns, breaches per
class in the summary, and the sentence an explanation gives an order with a target. All of
it appears only when some order has a target, so plans without targets look as before.

A unit is late as the objective counts it (:func:`~allocation.engine.objective.late_levels`:
after ``need_by`` in whole seconds); ``late_hours`` are the exact hours, not ticks.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from allocation.domain.model import PriorityClass
from allocation.engine.model import Problem
from allocation.engine.objective import late_levels

__all__ = ["TARGET_COLUMNS", "Breaches", "arc_lateness", "late_sentence", "target_columns"]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
TARGET_COLUMNS = ["need_by", "late_hours"]
"""The lines' columns added when some order has a target."""


def arc_lateness(problem: Problem, arcs: IntArray) -> tuple[IntArray, FloatArray]:
    """For these arcs: whether a unit on each is late (1/0) and by how many hours."""
    due = problem.orders.due_hours(problem.as_of)[problem.arcs.order[arcs]]
    eta = problem.arcs.eta_hours[arcs]
    late, _ = late_levels(eta, due, problem.policy.eta_resolution_hours)
    hours: FloatArray = np.where(late > 0, eta - np.nan_to_num(due), 0.0)
    return late, hours


def target_columns(
    problem: Problem, arcs: IntArray
) -> tuple[npt.NDArray[np.datetime64], FloatArray]:
    """The lines' ``need_by`` (NaT: none) and ``late_hours`` (0 when on time) for these arcs."""
    _, hours = arc_lateness(problem, arcs)
    return problem.orders.need_by[problem.arcs.order[arcs]], np.round(hours, 3)


@dataclass(frozen=True)
class Breaches:
    """What a plan's summary counts of targets, per class (by code) and per used arc.

    ``targets``: orders with a ``need_by``; ``breached``: those of them with a late unit or
    a unit unfilled; ``late_units`` and ``late_hours``: per used arc, its late units and
    units × hours late.
    """

    targets: IntArray
    breached: IntArray
    late_units: IntArray
    late_hours: FloatArray

    @staticmethod
    def of(problem: Problem, flow: IntArray, filled: IntArray, used: IntArray) -> Breaches:
        """The breaches of a plan (``used``: the arcs with units, as the measures list them)."""
        orders = problem.orders
        classes = len(PriorityClass)
        has = ~np.isnat(orders.need_by)
        late, hours = arc_lateness(problem, used)
        units = flow[used]
        late_order = np.zeros(len(orders), dtype=bool)
        late_order[problem.arcs.order[used][late > 0]] = True
        breached = has & (late_order | (filled < orders.quantity))
        return Breaches(
            targets=np.bincount(orders.class_code[has], minlength=classes).astype(np.int64),
            breached=np.bincount(orders.class_code[breached], minlength=classes).astype(np.int64),
            late_units=units * late,
            late_hours=units * hours,
        )

    @staticmethod
    def none(arcs: int) -> Breaches:
        """No order has a target (a part of a plan joined to parts that have some)."""
        zero = np.zeros(len(PriorityClass), dtype=np.int64)
        return Breaches(zero, zero, np.zeros(arcs, np.int64), np.zeros(arcs, np.float64))

    @staticmethod
    def concat(parts: list[Breaches]) -> Breaches:
        """The breaches of plans of disjoint part groups, as of one plan."""
        return Breaches(
            targets=np.sum([p.targets for p in parts], axis=0),
            breached=np.sum([p.breached for p in parts], axis=0),
            late_units=np.concatenate([p.late_units for p in parts]),
            late_hours=np.concatenate([p.late_hours for p in parts]),
        )


def late_sentence(problem: Problem, flow: IntArray, row: int, mine: IntArray) -> str | None:
    """One line on the order's target: on time, or late by how much and why (None: no
    target). ``mine`` are the order's arcs.

    The "why" names the nearest unit — the fastest source the order may use that has units
    — when even that one is late; otherwise faster units were taken by others, whom the
    explanation's next lines name.
    """
    need_by = problem.orders.need_by[row]
    if np.isnat(need_by):
        return None
    due = f"need by {pd.Timestamp(need_by):%Y-%m-%d %H:%M}"
    got = mine[flow[mine] > 0]
    missing = int(problem.orders.quantity[row]) - int(flow[mine].sum())
    _, hours = arc_lateness(problem, got)
    worst = float(hours.max(initial=0.0))
    if worst <= 0 and missing <= 0:
        return f"- {due}: on time"
    having = mine[problem.sources.quantity[problem.arcs.source[mine]] > 0]
    what = f"late by {worst:.1f} h" if worst > 0 else f"{missing} unit(s) miss it"
    if len(having) == 0:
        return f"- {due}: {what}: no source it may use has units"
    nearest = having[np.argmin(problem.arcs.eta_hours[having])]
    _, best = arc_lateness(problem, np.array([nearest], dtype=np.int64))
    origin = problem.sources.origin[problem.arcs.source[nearest]]
    if best[0] > 0:
        eta = float(problem.arcs.eta_hours[nearest])
        return f"- {due}: {what}: the nearest unit is in {origin} (ETA {eta:.1f} h)"
    return f"- {due}: {what}: units that would be on time went to others (see below)"
