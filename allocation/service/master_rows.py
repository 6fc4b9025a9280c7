"""A master-data row checked by the snapshot loader's own rules before it is stored.

The master data in the store passed :func:`allocation.load_snapshot` when it was loaded; a
row put over HTTP must keep it so. So the row is put into the store's master tables, and
the tables go through the loader as a whole: every rule the loader applies — types and
limits of each column, ISO countries, SKUs of the data sheet, contracts of known customers,
substitutes that are known parts, lane endpoints that are depots, suppliers or countries,
depot ids that are no supplier's — applies alike, from one home. A problem comes back as a
422 naming the body's or the path's field.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd
from sqlalchemy import select
from sqlalchemy.engine import Connection

from allocation.adapters.snapshot import load_snapshot
from allocation.adapters.store import schema
from allocation.adapters.store.master import MasterData, read_master
from allocation.domain.countries import normalize_country
from allocation.domain.snapshot import Snapshot
from allocation.domain.tables import ORDERS, STOCK
from allocation.errors import TableError, UnknownCountryError
from allocation.service.group_rows import group_tables
from allocation.service.problems import FieldError, UnprocessableError

__all__ = ["Fields", "MasterTables", "lane_endpoint", "master_tables"]

Fields = Mapping[tuple[str, str], str]
"""Which request field a (table, column) of the loader's problems stands for."""

_COLUMN = re.compile(r"column '([^']+)'")


@dataclass(frozen=True)
class MasterTables:
    """The store's master tables as the snapshot loader reads them (no orders, no stock).

    ``supply_options`` holds the store's options, and a row of no capacity for each supplier
    that lists none today: lanes may start at every supplier the store knows.
    """

    master: MasterData
    tables: dict[str, pd.DataFrame]

    def put(self, table: str, key: tuple[str, ...], row: Mapping[str, Any]) -> MasterTables:
        """The tables with ``row`` in ``table``, in place of the row with the same ``key``
        columns, or added."""
        frame = self.tables[table]
        names = list(key)
        same = (frame[names] == pd.Series([row[k] for k in names], index=names)).all(axis=1)
        kept = frame[~same.to_numpy()] if len(frame) else frame
        added = pd.DataFrame([{c: row.get(c) for c in frame.columns}], columns=frame.columns)
        frames = [f for f in (kept, added) if len(f)]
        tables = {**self.tables, table: pd.concat(frames, ignore_index=True)}
        return MasterTables(self.master, tables)

    def validated(self, fields: Fields) -> Snapshot:
        """The tables through :func:`allocation.load_snapshot`; a 422 naming the request's
        field of each problem the loader finds."""
        try:
            return load_snapshot(self.tables)
        except TableError as error:
            table = error.source.removesuffix(" table")
            problems = [FieldError(_field(fields, table, p), p) for p in error.problems]
            first = problems[0]
            raise UnprocessableError(f"{first.field}: {first.message}", problems) from None


def _field(fields: Fields, table: str, problem: str) -> str:
    found = _COLUMN.search(problem)
    return fields.get((table, found.group(1) if found else ""), "body")


def master_tables(connection: Connection) -> MasterTables:
    """The master tables this transaction sees."""
    master = read_master(connection)
    assert master is not None
    _, _, options = group_tables(connection, None)
    listed = set(options["supplier_id"])
    idle = [s for s in sorted(master.suppliers) if s not in listed]
    first_part = master.parts["part_number"].min() if len(master.parts) else None
    if idle and first_part is not None:
        placeholders = pd.DataFrame(
            {
                "part_number": [first_part] * len(idle),
                "source": ["expedite"] * len(idle),
                "supplier_id": idle,
                "capacity": [0] * len(idle),
                "lead_time_hours": [0.0] * len(idle),
                "unit_cost": [0.0] * len(idle),
                "success_probability": [1.0] * len(idle),
            }
        )
        options = pd.concat([options, placeholders], ignore_index=True)
    tables = {
        "customers": master.customers,
        "contracts": master.contracts,
        "orders": pd.DataFrame(columns=[c.name for c in ORDERS.columns]),
        "parts": master.parts,
        "depots": master.depots,
        "stock": pd.DataFrame(columns=[c.name for c in STOCK.columns]),
        "lanes": master.lanes,
        "supply_options": options,
    }
    return MasterTables(master, tables)


def lane_endpoint(connection: Connection, value: str) -> str:
    """A lane's endpoint as the store keeps it: a depot or supplier id as it is, anything
    else as an ISO alpha-2 code when it names a country (else as given, for the loader to
    refuse)."""
    for column in (schema.depots.c.depot_id, schema.suppliers.c.supplier_id):
        if connection.execute(select(column).where(column == value)).first() is not None:
            return value
    try:
        return normalize_country(value)
    except UnknownCountryError:
        return value
