"""Units that protection levels kept from orders: where they are and who has them now.

A ``standard`` order may not take the protected units of a stock level (see
:mod:`allocation.domain.protection`). When it is short, the plan says so: either those units
are still free — "held back for parts-priority orders by the protection level at D-XX" — or
parts-priority orders took them.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt

from allocation.domain.model import PriorityClass
from allocation.domain.protection import ProtectionLevels
from allocation.engine.model import Arcs, Problem, build_arcs

__all__ = ["HeldBack", "held_back", "held_back_words"]

IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class HeldBack:
    """For some order rows, the best protected source each could reach had it been
    ``parts_priority`` (rows with none are left out).

    Per entry: ``row`` the order, ``source`` the protected source, ``eta_hours`` the ETA it
    would have had, ``free`` its units nobody took, ``taken`` those parts-priority orders
    took; ``depot`` and ``part`` name it.
    """

    row: IntArray
    source: IntArray
    eta_hours: npt.NDArray[np.float64]
    free: IntArray
    taken: IntArray
    depot: npt.NDArray[np.object_]
    part: npt.NDArray[np.object_]

    def __len__(self) -> int:
        return len(self.row)

    def lookup(self, rows: IntArray) -> IntArray:
        """Position of each row among the entries; -1 where a row has none."""
        position = np.full(len(rows), -1, dtype=np.int64)
        if len(self.row) == 0:
            return position
        order = np.argsort(self.row, kind="stable")
        at = np.minimum(np.searchsorted(self.row[order], rows), len(self.row) - 1)
        hit = self.row[order][at] == rows
        position[hit] = order[at][hit]
        return position

    @staticmethod
    def none() -> HeldBack:
        """No entries."""
        i = np.zeros(0, dtype=np.int64)
        text = np.zeros(0, dtype=object)
        return HeldBack(i, i, np.zeros(0), i, i, text, text)


def held_back(problem: Problem, flow: IntArray, rows: IntArray) -> HeldBack:
    """For each order row that protection kept from units: the best such source.

    Best is the one with free units first, then the fastest. Only ``standard`` rows whose
    class may use the source's kind count (a unit it may not use anyway is not held back).
    """
    sources = problem.sources
    if not problem.policy.protection or len(rows) == 0 or not sources.protected.any():
        return HeldBack.none()
    rows = np.asarray(rows, dtype=np.int64)
    groups = np.unique(sources.part_group[sources.protected])
    orders = problem.orders
    rows = rows[
        (orders.class_code[rows] != PriorityClass.PARTS_PRIORITY.code)
        & np.isin(orders.part_group[rows], groups)
    ]
    if len(rows) == 0:
        return HeldBack.none()
    every = _arcs_to_protected(problem, rows, np.flatnonzero(sources.protected))
    if len(every) == 0:
        return HeldBack.none()
    used = np.zeros(len(sources), dtype=np.int64)
    np.add.at(used, problem.arcs.source, flow)
    free = sources.quantity - used
    # Per order: free units first, then the fastest.
    best = np.lexsort((every.eta_hours, free[every.source] <= 0, every.order))
    first = best[np.r_[True, every.order[best][1:] != every.order[best][:-1]]]
    s = every.source[first]
    return HeldBack(
        row=every.order[first],
        source=s,
        eta_hours=every.eta_hours[first],
        free=free[s],
        taken=used[s],
        depot=sources.origin[s],
        part=sources.part_number[s],
    )


def _arcs_to_protected(problem: Problem, rows: IntArray, index: IntArray) -> Arcs:
    """Arcs the rows' classes could use if nothing were protected, to protected sources only.

    A problem over just those sources, under the same policy without levels, gives them.
    """
    plain = problem.context.with_policy(replace(problem.policy, protection=ProtectionLevels()))
    only = problem.sources.take(index, len(plain.depot_ids))
    every = build_arcs(problem.orders, only, plain, rows, only_allowed=True)
    return replace(every, source=index[every.source])


def held_back_words(free: int, depot: str) -> str:
    """One reason in a planner's words."""
    if free > 0:
        return f"held back for parts-priority orders by the protection level at {depot}"
    return (
        f"the units it could use went to parts_priority orders, which rank first (the "
        f"protected units at {depot} included)"
    )
