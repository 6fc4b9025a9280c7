"""Churn: how much of a previous plan a new plan moves.

A unit *moves* when its order no longer gets it from the same (source kind, origin): per
(order, source, origin) the units moved are ``max(0, before − now)``. Units an order gains
are not churn (nothing planned was undone), and an order that left (shipped, cancelled)
moves nothing: its units went with it. Firmed lines never move (see
:mod:`allocation.domain.overrides`), so planners firm what must not churn.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["CHURN_COLUMNS", "Churn", "churn_between"]

CHURN_COLUMNS = ["order_id", "source", "origin", "previous", "quantity", "moved"]
_KEYS = ["order_id", "source", "origin"]


@dataclass(frozen=True)
class Churn:
    """What moved: per (order, source, origin) of the previous plan that lost units, the
    units it had (``previous``), has now (``quantity``) and lost (``moved``)."""

    table: pd.DataFrame
    previous_units: int

    @property
    def units_moved(self) -> int:
        """Units whose (order, source) changed."""
        return int(self.table["moved"].sum())

    @property
    def lines_moved(self) -> int:
        """Previous lines that lost units."""
        return len(self.table)

    def summary(self) -> dict[str, Any]:
        """``units_moved``, ``lines_moved``, ``orders_moved`` and ``previous_units``."""
        return {
            "units_moved": self.units_moved,
            "lines_moved": self.lines_moved,
            "orders_moved": int(self.table["order_id"].nunique()),
            "previous_units": self.previous_units,
        }


def churn_between(previous: pd.DataFrame, lines: pd.DataFrame, open_orders: Any) -> Churn:
    """The churn of plan ``lines`` against a ``previous`` plan's lines (both with
    ``order_id``, ``source``, ``origin`` and ``quantity``); only orders in ``open_orders``
    (the new plan's orders) count.

    >>> before = pd.DataFrame({"order_id": ["A", "B"], "source": ["stock", "stock"],
    ...                        "origin": ["D1", "D1"], "quantity": [2, 1]})
    >>> now = pd.DataFrame({"order_id": ["A", "A"], "source": ["stock", "transfer"],
    ...                     "origin": ["D1", "D2"], "quantity": [1, 1]})
    >>> churn_between(before, now, ["A", "B"]).summary()
    {'units_moved': 2, 'lines_moved': 2, 'orders_moved': 2, 'previous_units': 3}
    """
    open_ids = set(np.asarray(open_orders, dtype=object).tolist())
    before = previous[previous["order_id"].isin(open_ids)]
    old = before.groupby(_KEYS, sort=True)["quantity"].sum().rename("previous")
    new = lines.groupby(_KEYS, sort=True)["quantity"].sum()
    both = old.to_frame().join(new, how="left").fillna({"quantity": 0})
    both["quantity"] = both["quantity"].astype(np.int64)
    both["previous"] = both["previous"].astype(np.int64)
    both["moved"] = (both["previous"] - both["quantity"]).clip(lower=0)
    table = both[both["moved"] > 0].reset_index()[CHURN_COLUMNS]
    return Churn(table.reset_index(drop=True), int(before["quantity"].sum()))
