"""A snapshot read in parts by the processes that plan it shard by shard.

Each worker of ``allocate --workers N`` needs every table but only its shards' orders, and
validating a million orders is most of reading a snapshot. So a worker reads the outline
(every other table whole, and of the orders the columns that split them into shards of
part groups), then validates the rest of the orders' columns for the rows of each shard it
takes: the orders' validation is shared among the workers instead of done by each.

What is checked is what :func:`~allocation.adapters.snapshot.load_snapshot` checks, row by
row the same: the outline checks the orders' parts known across the whole table, each shard
the rest of its rows, and one more task that no order id is used twice. Only the wording
can differ (a shard does not know its rows' lines in the file), so a caller that reports an
error reads the snapshot whole for the message one reader gives.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pandas as pd

from allocation.adapters.inputs import unknown_references
from allocation.adapters.overrides_file import read_overrides
from allocation.adapters.snapshot import (
    OVERRIDES_TABLE,
    label_of,
    load_snapshot,
    locate_tables,
    read_snapshot,
)
from allocation.adapters.tables import TableSource, raw_table, read_table
from allocation.domain.countries import normalize_country
from allocation.domain.snapshot import ORDER_OUTLINE_COLUMNS, Snapshot
from allocation.domain.tables import ORDERS
from allocation.errors import TableError

__all__ = ["SnapshotFiles"]

_OUTLINE = replace(
    ORDERS, columns=tuple(c for c in ORDERS.columns if c.name in ORDER_OUTLINE_COLUMNS), key=()
)
_KEY = replace(ORDERS, columns=tuple(c for c in ORDERS.columns if c.name in ORDERS.key))
_REST = replace(
    ORDERS, columns=tuple(c for c in ORDERS.columns if c.name not in ORDER_OUTLINE_COLUMNS), key=()
)


class SnapshotFiles:
    """A snapshot folder (or mapping of tables) to read whole, or in parts by shard (a
    :class:`~allocation.domain.snapshot.ShardedSnapshot`).

    Parameters
    ----------
    source : path or mapping
        What :func:`~allocation.adapters.snapshot.load_snapshot` reads.

    Examples
    --------
    >>> import numpy as np
    >>> files = SnapshotFiles("scenarios/example")
    >>> outline = files.outline()
    >>> list(outline.orders.columns)
    ['part_number', 'created_at', 'ship_to_country']
    >>> files.orders(np.array([0, 2])).equals(files().orders.iloc[[0, 2]])
    True
    """

    def __init__(self, source: str | Path | Mapping[str, TableSource]) -> None:
        self.source = source
        self._raw_orders: pd.DataFrame | None = None
        self._outline: Snapshot | None = None
        self._customers: set[str] = set()

    def __call__(self) -> Snapshot:
        """The snapshot, read and validated whole."""
        return load_snapshot(self.source)

    def outline(self) -> Snapshot:
        """Every table validated; the orders with :data:`ORDER_OUTLINE_COLUMNS` only."""
        if self._outline is None:
            tables, where = locate_tables(self.source)
            self._raw_orders = raw_table(tables["orders"], ORDERS)
            outlined = {**tables, "orders": self._raw_orders}
            self._outline = read_snapshot(outlined, where, orders_spec=_OUTLINE)
            self._customers = set(self._outline.customers["customer_id"])
        return self._outline

    def orders(self, rows: npt.NDArray[np.int64]) -> pd.DataFrame:
        """The validated orders at these positions, every column, indexed by position."""
        outline = self.outline()
        assert self._raw_orders is not None
        raw = self._raw_orders.iloc[rows]
        rest = read_table(raw, _REST, country=normalize_country)
        problems = unknown_references(rest, "customer_id", self._customers, "customer", 0)
        if problems:
            raise TableError("orders table", problems)
        index = pd.Index(np.asarray(rows, dtype=np.int64))
        known = outline.orders
        columns = {
            c.name: (known[c.name].iloc[rows] if c.name in known else rest[c.name]).set_axis(index)
            for c in ORDERS.columns
        }
        return pd.DataFrame(columns, index=index)

    def check_orders(self) -> None:
        """Raise if an order id is used twice anywhere in the orders table, or if an
        override names an order the table does not have (the outline has no ids to check
        the overrides against: this task reads them all)."""
        outline = self.outline()
        assert self._raw_orders is not None
        keys = read_table(self._raw_orders, _KEY)
        if len(outline.overrides):
            tables, _ = locate_tables(self.source)
            read_overrides(
                tables[OVERRIDES_TABLE],
                replace(outline, entitlement=replace(outline.entitlement, orders=keys)),
                label_of(tables, OVERRIDES_TABLE),
            )
