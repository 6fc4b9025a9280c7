"""Columns of a problem's tables as NumPy arrays, read out of the DataFrame once.

Reading a column out of a DataFrame costs about 10 µs, and one incremental re-plan reads
dozens; a problem's tables are never edited once it is made, so each column is read once
and kept, read-only, beside the problem (outside its dataclass fields). A re-plan that
grows a problem by one order, or slices a group out of a bigger one, hands the columns it
already knows to the new problem instead of reading them again.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import pandas as pd

if TYPE_CHECKING:
    from allocation.engine.problem import AllocationProblem

__all__ = [
    "column",
    "known_orders_columns",
    "read_columns",
    "seed_orders_columns",
    "share_source_columns",
    "sliced_columns",
]


def read_columns(problem: AllocationProblem, table: str) -> dict[tuple[str, Any], Any]:
    """The column cache of one of a problem's tables (outside the dataclass fields)."""
    cache: dict[tuple[str, Any], Any] = problem.__dict__.setdefault(f"_{table}_columns", {})
    return cache


def column(
    problem: AllocationProblem, table: str, name: str, dtype: npt.DTypeLike | None
) -> npt.NDArray[Any]:
    cache = read_columns(problem, table)
    wanted = None if dtype is None else np.dtype(dtype)
    values: npt.NDArray[Any] | None = cache.get((name, wanted))
    if values is None:
        grown = problem.unmade_orders() if table == "orders" else None
        if grown is not None:
            values = grown.column(name, wanted)  # a grown table is not made for one column
        else:
            frame: pd.DataFrame = getattr(problem, table)
            values = frame[name].to_numpy(dtype=wanted)
        values.flags.writeable = False
        cache[(name, wanted)] = values
    return values


def share_source_columns(problem: AllocationProblem, previous: AllocationProblem) -> None:
    """Let ``problem`` reuse the source columns ``previous`` has read: the same table."""
    if problem.sources is previous.sources:
        problem.__dict__["_sources_columns"] = read_columns(previous, "sources")


def seed_orders_columns(
    problem: AllocationProblem, columns: dict[tuple[str, Any], npt.NDArray[Any]]
) -> None:
    """Give ``problem`` order columns already known to equal ``orders[name].to_numpy(dtype)``."""
    for values in columns.values():
        values.flags.writeable = False
    read_columns(problem, "orders").update(columns)


def sliced_columns(
    problem: AllocationProblem,
    part: AllocationProblem,
    order_rows: npt.NDArray[np.int64],
    source_rows: npt.NDArray[np.int64],
) -> None:
    """Give ``part`` (the given rows of ``problem``'s tables) the columns ``problem`` has
    read, sliced: a planner's groups start with what the full solve read."""
    for table, rows in (("orders", order_rows), ("sources", source_rows)):
        known = read_columns(problem, table)
        mine = read_columns(part, table)
        for key, values in known.items():
            if not key[0].startswith("_"):
                sliced = values[rows]
                sliced.flags.writeable = False
                mine[key] = sliced


def known_orders_columns(problem: AllocationProblem) -> dict[tuple[str, Any], npt.NDArray[Any]]:
    """The order columns read so far (key: name and requested dtype)."""
    return dict(read_columns(problem, "orders"))
