"""The planner's overrides from a table: read, checked row by row against the snapshot.

The table (CSV, Parquet or a DataFrame) is a snapshot's optional ``overrides`` table::

    kind,order_id,source_kind,origin,quantity
    firm,O-1001,stock,D-US,1
    forbid,O-1002,broker,,

A row that names an unknown order, an origin that is no depot (stock, transfer, inbound)
or supplier (expedite, broker), a firm without an origin or a quantity, or a forbid with a
quantity is refused with its file, row, column and value (:class:`TableError`).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from allocation.adapters.files import atomic_write
from allocation.adapters.inputs import unknown_references
from allocation.adapters.tables import TableSource, read_table
from allocation.domain.snapshot import Snapshot
from allocation.domain.tables import OVERRIDES
from allocation.errors import TableError

__all__ = ["read_overrides", "write_overrides"]

_AT_DEPOT = frozenset({"stock", "transfer", "inbound"})


def read_overrides(source: TableSource, snapshot: Snapshot, label: str | None = None) -> Snapshot:
    """The snapshot with the overrides of ``source``, read and checked; all or nothing.

    Parameters
    ----------
    source : path or DataFrame
        An ``overrides`` table (columns ``kind``, ``order_id``, ``source_kind``, ``origin``,
        ``quantity``).
    snapshot : Snapshot
        The snapshot whose orders, depots and suppliers the rows must name.
    label : str, optional
        The table's name in messages (the file name by default).

    Raises
    ------
    TableError
        A bad cell or a row naming nothing, by file, row, column and value.

    Examples
    --------
    >>> from allocation import load_snapshot
    >>> snap = load_snapshot("scenarios/example")
    >>> table = pd.DataFrame({"kind": ["forbid"], "order_id": ["O-1001"],
    ...                       "source_kind": ["stock"], "origin": ["D-US"]})
    >>> len(read_overrides(table, snap).overrides)
    1
    """
    table = read_table(source, OVERRIDES)
    where = label or (
        f"{OVERRIDES.name} table" if isinstance(source, pd.DataFrame) else str(source)
    )
    offset = 0 if isinstance(source, pd.DataFrame) or not str(source).endswith(".csv") else 2
    problems: list[str] = []
    if "order_id" in snapshot.orders:  # a shard reader's outline leaves the ids to the shards
        known = set(snapshot.orders["order_id"])
        problems = unknown_references(table, "order_id", known, "order", offset)
    problems += _row_problems(table, snapshot, offset)
    if problems:
        raise TableError(where, problems)
    return snapshot.with_overrides(table.reset_index(drop=True))


def _row_problems(table: pd.DataFrame, snapshot: Snapshot, offset: int) -> list[str]:
    """Origins that name nothing of their kind, and firms or forbids with the wrong cells."""
    depots = set(snapshot.depots["depot_id"])
    suppliers = set(snapshot.supply_options["supplier_id"])
    problems: list[str] = []
    rows = zip(
        table["kind"].tolist(),
        table["source_kind"].tolist(),
        table["origin"].tolist(),
        table["quantity"].tolist(),
        strict=True,
    )
    for row, (kind, source_kind, origin, quantity) in enumerate(rows):
        place = f"row {row + 1}" + (f" (line {row + offset})" if offset else "")
        blank_origin = origin is None or pd.isna(origin) or origin == ""
        blank_quantity = quantity is None or bool(np.all(pd.isna(quantity)))
        known = depots if source_kind in _AT_DEPOT else suppliers
        what = "depot" if source_kind in _AT_DEPOT else "supplier"
        if not blank_origin and origin not in known:
            problems.append(
                f"{place}, column 'origin', value {origin!r}: unknown {what} "
                f"(a {source_kind} source comes from a {what})"
            )
        if kind == "firm" and blank_origin:
            problems.append(f"{place}, column 'origin': a firm line needs its origin")
        if kind == "firm" and blank_quantity:
            problems.append(f"{place}, column 'quantity': a firm line needs its quantity")
        if kind == "forbid" and not blank_quantity:
            problems.append(
                f"{place}, column 'quantity', value {quantity!r}: a forbid has no quantity"
            )
    return problems


def write_overrides(folder: str | Path, table: pd.DataFrame) -> Path:
    """Write a snapshot folder's ``overrides`` table, atomically (a temporary file beside
    it, then a rename); returns the file written.

    The file keeps the format of the folder's ``overrides`` file, or — when there is none
    yet — of its ``orders`` table (CSV unless the orders are Parquet).
    """
    folder = Path(folder)
    existing = [folder / f"{OVERRIDES.name}{s}" for s in (".csv", ".parquet")]
    found = [p for p in existing if p.exists()]
    if found:
        target = found[0]
    else:
        parquet = (folder / "orders.parquet").exists() and not (folder / "orders.csv").exists()
        target = existing[1] if parquet else existing[0]
    columns = [c.name for c in OVERRIDES.columns]
    frame = table[columns].reset_index(drop=True)
    if target.suffix == ".parquet":
        atomic_write(target, lambda tmp: frame.to_parquet(tmp, index=False))
    else:
        atomic_write(target, lambda tmp: frame.to_csv(tmp, index=False))
    return target
