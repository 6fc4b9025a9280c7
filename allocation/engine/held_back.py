"""Units that protection levels kept from an order: where they are and who has them now.

A ``standard`` order may not take the protected units of a stock level (see
:mod:`allocation.domain.protection`). When it is short, the plan says so: either those units
are still free — "held back for parts-priority orders by the protection level at D-XX" — or
parts-priority orders took them.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from allocation.domain.model import PriorityClass
from allocation.domain.protection import ProtectionLevels
from allocation.engine.problem import AllocationProblem, Arcs, build_arcs

if TYPE_CHECKING:
    from allocation.engine.plan import Plan

__all__ = ["HeldBack", "held_back", "held_back_words"]


@dataclass(frozen=True)
class HeldBack:
    """The protected units one order could reach, had it been ``parts_priority``.

    ``source`` is the protected source (a row of the problem's sources), ``eta_hours`` the
    ETA it would have had, ``free`` its units nobody took, ``taken`` those parts-priority
    orders took.
    """

    source: int
    depot: str
    part: str
    eta_hours: float
    free: int
    taken: int


def held_back(plan: Plan, rows: npt.NDArray[np.int64]) -> dict[int, HeldBack]:
    """For each order row that protection kept from units: the best such source.

    Best is the one with free units first, then the fastest. Only ``standard`` rows whose
    class may use the source's kind count (a unit it may not use anyway is not held back).
    """
    problem = plan.problem
    sources = problem.sources
    if not problem.policy.protection or "protected" not in sources or len(rows) == 0:
        return {}
    protected = sources["protected"].to_numpy(dtype=bool)
    if not protected.any():
        return {}
    pp = list(PriorityClass).index(PriorityClass.PARTS_PRIORITY)
    class_code = problem.orders_column("class_code", np.int64)
    groups = np.unique(sources["part_group"].to_numpy(dtype=np.int64)[protected])
    rows = np.asarray(rows, dtype=np.int64)
    rows = rows[
        (class_code[rows] != pp)
        & np.isin(problem.orders_column("part_group", np.int64)[rows], groups)
    ]
    if len(rows) == 0:
        return {}
    every = _arcs_to_protected(problem, rows, np.flatnonzero(protected))
    if len(every) == 0:
        return {}
    used = np.bincount(problem.arcs.source, weights=plan.flow, minlength=len(sources)).astype(
        np.int64
    )
    free = sources["quantity"].to_numpy(dtype=np.int64) - used
    # Per order: free units first, then the fastest.
    best = np.lexsort((every.eta_hours, free[every.source] <= 0, every.order))
    first = np.r_[True, every.order[best][1:] != every.order[best][:-1]]
    origin = sources["origin"].to_numpy(dtype=object)
    part = sources["part_number"].to_numpy(dtype=object)
    result: dict[int, HeldBack] = {}
    for a in best[first].tolist():
        s = int(every.source[a])
        result[int(every.order[a])] = HeldBack(
            source=s,
            depot=str(origin[s]),
            part=str(part[s]),
            eta_hours=float(every.eta_hours[a]),
            free=int(free[s]),
            taken=int(used[s]),
        )
    return result


def _arcs_to_protected(
    problem: AllocationProblem, rows: npt.NDArray[np.int64], index: npt.NDArray[np.int64]
) -> Arcs:
    """Arcs the rows' classes could use if nothing were protected, to protected sources only.

    A problem over just those sources, under the same policy without levels, gives them.
    """
    plain = replace(problem.policy, protection=ProtectionLevels())
    only_protected = AllocationProblem(
        orders=problem.orders,
        sources=problem.sources.iloc[index].reset_index(drop=True),
        arcs=problem.arcs.take(np.zeros(0, dtype=np.int64)),
        context=replace(problem.context, policy=plain),
    )
    every = build_arcs(only_protected, rows, only_allowed=True)
    return replace(every, source=index[every.source])


def held_back_words(held: HeldBack) -> str:
    """One reason in a planner's words."""
    if held.free > 0:
        return f"held back for parts-priority orders by the protection level at {held.depot}"
    return (
        f"the units it could use went to parts_priority orders, which rank first (the "
        f"protected units at {held.depot} included)"
    )
