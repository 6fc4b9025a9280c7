"""Master data in and out of the database: a snapshot's tables written whole, read back whole,
and one row put at a time (:func:`put_row`), each change under a new version.

Loading replaces everything: master data, supply, orders, the ledger, failed purchases and
idempotency keys (not the feed of events, whose cursors stay valid), in one transaction, so
a failed load leaves the previous state untouched. Reading gives the frames the engine's
context is built from.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pandas as pd
from sqlalchemy import Table, and_, delete, insert, select, update
from sqlalchemy.engine import Connection

from allocation.adapters.store import schema
from allocation.adapters.store.ledger import supply_key
from allocation.domain.snapshot import Snapshot

__all__ = [
    "MasterData",
    "add_part_group",
    "master_version",
    "new_master_version",
    "put_row",
    "read_master",
    "write_master",
]

_CLEAR_ORDER = (
    schema.idempotency_claims,
    schema.idempotency,
    schema.holdings,
    schema.overrides,
    schema.purchase_failures,
    schema.supply_journal,
    schema.ledger,
    schema.orders,
    schema.supply_options,
    schema.inbound,
    schema.stock,
    schema.lanes,
    schema.suppliers,
    schema.depots,
    schema.parts,
    schema.part_groups,
    schema.contracts,
    schema.customers,
)


@dataclass(frozen=True)
class MasterData:
    """The tables that stay put between loads, as DataFrames typed like a snapshot's."""

    version: str
    customers: pd.DataFrame
    contracts: pd.DataFrame
    parts: pd.DataFrame
    depots: pd.DataFrame
    lanes: pd.DataFrame
    suppliers: list[str]
    group_of: dict[str, str]


_VERSION = select(schema.meta.c.value).where(schema.meta.c.key == "master_version")


def master_version(connection: Connection) -> str | None:
    """The id of the last load (None: nothing loaded yet)."""
    row = connection.execute(_VERSION).first()
    return None if row is None else str(row[0])


def new_master_version(connection: Connection) -> str:
    """Give the master data a new version after a change of some of its rows.

    Every process's world (:mod:`allocation.service.world`) is keyed by this version, so a
    changed row reaches every planner at its next transaction. Returns the new version.
    """
    version = uuid.uuid4().hex
    m = schema.meta
    connection.execute(update(m).where(m.c.key == "master_version").values(value=version))
    return version


def put_row(connection: Connection, table: Table, row: Mapping[str, Any]) -> bool:
    """Insert ``row`` into a master table, or replace the row with its primary key; whether
    it was inserted. Columns the table does not have are ignored."""
    values = {c.name: row[c.name] for c in table.columns if c.name in row}
    key = list(table.primary_key.columns)
    where = and_(*(c == values[c.name] for c in key))
    if connection.execute(select(*key).where(where)).first() is None:
        connection.execute(insert(table).values(values))
        return True
    changes = {k: v for k, v in values.items() if k not in {c.name for c in key}}
    if changes:
        connection.execute(update(table).where(where).values(changes))
    return False


def add_part_group(connection: Connection, group_key: str) -> None:
    """A part group for a new part that substitutes no other (its own group)."""
    g = schema.part_groups
    found = connection.execute(select(g.c.group_key).where(g.c.group_key == group_key)).first()
    if found is None:
        connection.execute(insert(g).values(group_key=group_key))


def _records(frame: pd.DataFrame, columns: list[str]) -> list[dict[str, Any]]:
    out = frame[columns].astype(object).where(frame[columns].notna(), None)
    return [
        {str(c): (v.to_pydatetime() if isinstance(v, pd.Timestamp) else v) for c, v in row.items()}
        for row in out.to_dict(orient="records")
    ]


def write_master(connection: Connection, snapshot: Snapshot, group_of: Mapping[str, str]) -> str:
    """Replace every table with the snapshot's master data and supply; no orders yet.

    ``group_of`` maps every part to its part group's key. Returns the new master version.
    """
    for table in _CLEAR_ORDER:
        connection.execute(delete(table))
    connection.execute(delete(schema.meta))
    customers = snapshot.customers
    if len(customers):
        connection.execute(insert(schema.customers), _records(customers, list(customers.columns)))
    contracts = snapshot.contracts.copy()
    for column in ("purchase_date", "activation_date"):
        contracts[column] = [
            None if pd.isna(v) else pd.Timestamp(v).date() for v in contracts[column]
        ]
    if len(contracts):
        stored = [c for c in contracts.columns if c in schema.contracts.c]
        connection.execute(insert(schema.contracts), _records(contracts, stored))
    groups = sorted(set(group_of.values()))
    if groups:
        connection.execute(insert(schema.part_groups), [{"group_key": g} for g in groups])
    parts = snapshot.parts.assign(group_key=snapshot.parts["part_number"].map(group_of))
    if len(parts):
        connection.execute(insert(schema.parts), _records(parts, list(parts.columns)))
    for table, frame in (
        (schema.depots, snapshot.depots),
        (schema.lanes, snapshot.lanes),
        (schema.stock, snapshot.stock),
        (schema.inbound, snapshot.inbound),
    ):
        if len(frame):
            connection.execute(insert(table), _records(frame, list(frame.columns)))
    suppliers = sorted(set(snapshot.supply_options["supplier_id"]))
    if suppliers:
        connection.execute(insert(schema.suppliers), [{"supplier_id": s} for s in suppliers])
    options = snapshot.supply_options
    if len(options):
        connection.execute(insert(schema.supply_options), _records(options, list(options.columns)))
    _journal_loaded(connection, snapshot, group_of)
    version = uuid.uuid4().hex
    connection.execute(insert(schema.meta), [{"key": "master_version", "value": version}])
    return version


def _journal_loaded(
    connection: Connection, snapshot: Snapshot, group_of: Mapping[str, str]
) -> None:
    """The loaded supply as the first entries (txn 0) of the supply journal."""
    changes: list[tuple[str, str, int]] = []
    stock, inbound, options = snapshot.stock, snapshot.inbound, snapshot.supply_options
    for part, depot, units in zip(
        stock["part_number"], stock["depot_id"], stock["on_hand"], strict=True
    ):
        changes.append((part, supply_key("stock", depot), int(units)))
    for part, depot, units, eta in zip(
        inbound["part_number"],
        inbound["depot_id"],
        inbound["quantity"],
        inbound["eta"],
        strict=True,
    ):
        moment = pd.Timestamp(eta).to_pydatetime()
        changes.append((part, supply_key("inbound", depot, moment), int(units)))
    for part, kind, supplier, units in zip(
        options["part_number"],
        options["source"],
        options["supplier_id"],
        options["capacity"],
        strict=True,
    ):
        changes.append((part, supply_key(kind, supplier), int(units)))
    at = datetime.now(UTC).replace(tzinfo=None)
    rows = [
        {
            "group_key": group_of[part],
            "txn": 0,
            "event": "load",
            "part_number": part,
            "supply_key": key,
            "delta": units,
            "recorded_at": at,
        }
        for part, key, units in changes
        if units
    ]
    for start in range(0, len(rows), 5000):
        connection.execute(insert(schema.supply_journal), rows[start : start + 5000])


def read_master(connection: Connection) -> MasterData | None:
    """The master data of the last load, or None when nothing was loaded."""
    version = master_version(connection)
    if version is None:
        return None

    def frame(table: Any, columns: list[str]) -> pd.DataFrame:
        rows = connection.execute(select(*(table.c[c] for c in columns))).all()
        return pd.DataFrame([tuple(r) for r in rows], columns=columns)

    customers = frame(
        schema.customers,
        [
            "customer_id",
            "name",
            "country",
            "installed_base_pcs",
            "installed_base_printers",
            "has_it_helpdesk",
        ],
    )
    contracts = frame(
        schema.contracts,
        ["contract_id", "customer_id", "sku", "purchase_date", "activation_date"],
    )
    parts = frame(
        schema.parts, ["part_number", "description", "unit_cost", "substitutes", "group_key"]
    )
    depots = frame(schema.depots, ["depot_id", "country"])
    lanes = frame(schema.lanes, ["origin", "destination", "transit_hours", "cost_per_unit"])
    suppliers = [str(s) for (s,) in connection.execute(select(schema.suppliers.c.supplier_id))]
    group_of = dict(zip(parts["part_number"], parts["group_key"], strict=True))
    return MasterData(
        version=version,
        customers=customers.astype(
            {"installed_base_pcs": "int64", "installed_base_printers": "int64"}
        ),
        contracts=contracts,
        parts=parts.drop(columns=["group_key"]).astype({"unit_cost": "float64"}),
        depots=depots,
        lanes=lanes.astype({"transit_hours": "float64", "cost_per_unit": "float64"}),
        suppliers=suppliers,
        group_of=group_of,
    )
