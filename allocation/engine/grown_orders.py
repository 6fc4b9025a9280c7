"""An orders table grown one row at a time, made into a DataFrame only when someone reads it.

An arriving order grows its group's problem by one row. Concatenating a DataFrame per
arrival costs more than the arrival's solve in a busy group, and the incremental path reads
the grown problem only through its remembered columns (:mod:`allocation.engine.columns`),
which it extends by the new value itself. So a grown problem keeps the last table made and
the rows added since; the table is made the first time anyone reads ``problem.orders``
(:meth:`AllocationProblem.__getattr__ <allocation.engine.problem.AllocationProblem>`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

__all__ = ["GrownOrders"]


@dataclass(frozen=True)
class GrownOrders:
    """``base`` with the first ``count`` of ``rows`` appended, typed as ``dtypes`` says.

    ``rows`` is shared, append-only, by every table grown from ``base`` in turn: growing
    the newest appends in place; growing an older one (a branch) copies its rows first.
    """

    base: pd.DataFrame
    rows: list[dict[str, Any]]
    count: int
    dtypes: dict[str, Any]

    @classmethod
    def starting_from(cls, base: pd.DataFrame) -> GrownOrders:
        """No rows yet on top of ``base`` (whose columns and types the rows must match)."""
        return cls(base, [], 0, {str(k): v for k, v in base.dtypes.items()})

    def __len__(self) -> int:
        return len(self.base) + self.count

    def plus(self, values: dict[str, Any]) -> GrownOrders:
        """This table with one more row (``values`` has a value for every column)."""
        rows = self.rows if len(self.rows) == self.count else self.rows[: self.count]
        rows.append(values)
        return GrownOrders(self.base, rows, self.count + 1, self.dtypes)

    def column(self, name: str, dtype: np.dtype[Any] | None) -> npt.NDArray[Any]:
        """``frame()[name].to_numpy(dtype)``, without making the frame."""
        values = [row[name] for row in self.rows[: self.count]]
        typed = self.dtypes[name]
        # Numbers, flags and text: NumPy converts as pandas does, without a Series. Times
        # differ (pandas gives Timestamps as objects, NumPy integers).
        if isinstance(typed, np.dtype) and typed.kind not in "mM":
            added = np.array(values, dtype=typed)
            added = added if dtype is None else added.astype(dtype)
        else:
            added = pd.Series(values, dtype=typed).to_numpy(dtype)
        return np.concatenate([self.base[name].to_numpy(dtype), added])

    def frame(self) -> pd.DataFrame:
        """The table as a DataFrame: the same columns, types and values, index 0..n-1."""
        rows = self.rows[: self.count]
        added = pd.DataFrame(
            {
                name: pd.Series([row[name] for row in rows], dtype=dtype)
                for name, dtype in self.dtypes.items()
            }
        )
        if len(self.base) == 0:
            return added
        return pd.concat([self.base, added], ignore_index=True)
