"""Where each part's units are: a problem's sources sorted by (part, depot), for range lookups.

Building arcs asks, for every order, which sources hold a part it may use (anywhere, or at
its home depot, or among the supply options). Sorting the sources once by a key of part and
depot slot turns each question into two binary searches; the index is kept with the sources
table's columns, so every arrival in the same part group reuses it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from allocation.engine.columns import read_columns

if TYPE_CHECKING:
    from allocation.engine.problem import AllocationProblem

__all__ = ["SourceIndex", "source_index"]


@dataclass(frozen=True)
class SourceIndex:
    """Sources sorted by (part, depot slot) with range lookups; options share one slot."""

    order: npt.NDArray[np.int64]
    keys: npt.NDArray[np.int64]
    slots: int
    options_slot: int

    def expand(
        self,
        rows: npt.NDArray[np.int64],
        parts: npt.NDArray[np.int64],
        slot: npt.NDArray[np.int64] | int | None,
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.int64]]:
        """(order row, part, source) for every source of each part (in a slot, if given)."""
        if slot is None:
            low_key = parts * self.slots
            high_key = low_key + self.slots
        else:
            low_key = parts * self.slots + slot
            high_key = low_key + 1
        first = np.searchsorted(self.keys, low_key, side="left")
        last = np.searchsorted(self.keys, high_key, side="left")
        per = last - first
        total = int(per.sum())
        offsets = np.arange(total) - np.repeat(np.cumsum(per) - per, per)
        where = np.repeat(first, per) + offsets
        return np.repeat(rows, per), np.repeat(parts, per), self.order[where]


def source_index(problem: AllocationProblem) -> SourceIndex:
    """Built once per sources table (kept with its columns): every arrival reuses it."""
    cache = read_columns(problem, "sources")
    index: SourceIndex | None = cache.get(("_source_index", None))
    if index is None:
        slots = len(problem.context.depot_code) + 1
        depot = problem.sources_column("depot_code", np.int64)
        slot = np.where(depot < 0, slots - 1, depot)
        keys = problem.sources_column("part_code", np.int64) * slots + slot
        order = np.argsort(keys, kind="stable")
        index = SourceIndex(order=order, keys=keys[order], slots=slots, options_slot=slots - 1)
        cache[("_source_index", None)] = index
    return index
