"""A snapshot: every table the allocation engine needs, loaded and checked together.

A snapshot is a folder with one file per table (``<name>.csv`` or ``<name>.parquet``) or a
mapping of DataFrames. ``inbound`` and ``supply_options`` may be absent (no receipts, no
expedite or broker sources); every other table is required. Ids that refer to nothing (an
order for an unknown part, stock at an unknown depot, a lane from an unknown place) are
errors that name the table, row, column and value.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd

from allocation.adapters.inputs import (
    EntitlementInputs,
    load_entitlement_inputs,
    unknown_references,
)
from allocation.adapters.schemas import (
    DEPOTS,
    INBOUND,
    LANES,
    PARTS,
    STOCK,
    SUPPLY_OPTIONS,
)
from allocation.adapters.tables import TableSource, TableSpec, read_table
from allocation.domain.countries import normalize_country
from allocation.errors import InputError, TableError, UnknownCountryError

__all__ = ["OPTIONAL_TABLES", "TABLES", "Snapshot", "load_snapshot", "split_substitutes"]

TABLES = (
    "customers",
    "contracts",
    "orders",
    "parts",
    "depots",
    "stock",
    "inbound",
    "lanes",
    "supply_options",
)
OPTIONAL_TABLES = frozenset({"inbound", "supply_options"})
_SPECS: dict[str, TableSpec] = {
    "parts": PARTS,
    "depots": DEPOTS,
    "stock": STOCK,
    "inbound": INBOUND,
    "lanes": LANES,
    "supply_options": SUPPLY_OPTIONS,
}


@dataclass(frozen=True)
class Snapshot:
    """Open orders and every way to get parts, at one moment.

    Attributes
    ----------
    entitlement : EntitlementInputs
        Customers, contracts and orders.
    parts, depots, stock, inbound, lanes, supply_options : DataFrame
        Validated tables (see the README for their columns). Lane endpoints are depot ids,
        supplier ids or ISO alpha-2 country codes.
    as_of : datetime
        The moment the snapshot describes: ETAs are counted from here. By default the latest
        order's creation time.
    source : str
        Where it was loaded from, for messages.
    """

    entitlement: EntitlementInputs
    parts: pd.DataFrame
    depots: pd.DataFrame
    stock: pd.DataFrame
    inbound: pd.DataFrame
    lanes: pd.DataFrame
    supply_options: pd.DataFrame
    as_of: datetime
    source: str = field(default="snapshot")

    @property
    def customers(self) -> pd.DataFrame:
        """The customers table."""
        return self.entitlement.customers

    @property
    def contracts(self) -> pd.DataFrame:
        """The contracts table."""
        return self.entitlement.contracts

    @property
    def orders(self) -> pd.DataFrame:
        """The orders table."""
        return self.entitlement.orders

    def with_tables(self, **tables: pd.DataFrame) -> Snapshot:
        """A new snapshot with some tables replaced and re-validated; this one is unchanged."""
        current = {name: getattr(self, name) for name in TABLES}
        current.update(tables)
        return load_snapshot(current, as_of=self.as_of)

    def at(self, as_of: datetime) -> Snapshot:
        """The same tables seen from another moment."""
        return replace(self, as_of=as_of)


def load_snapshot(
    source: str | Path | Mapping[str, TableSource],
    as_of: datetime | None = None,
) -> Snapshot:
    """Load and validate a snapshot folder (or a mapping of tables); all or nothing.

    Parameters
    ----------
    source : path or mapping
        A folder with ``customers``, ``contracts``, ``orders``, ``parts``, ``depots``,
        ``stock``, ``lanes`` and optionally ``inbound`` and ``supply_options``, each as
        ``.csv`` or ``.parquet``; or a mapping from those names to files or DataFrames.
    as_of : datetime, optional
        The snapshot's moment; the latest order's creation time by default.

    Raises
    ------
    InputError
        A missing folder or table; :class:`TableError` for bad rows or unknown ids.
    """
    tables, where = _locate(source)
    entitlement = load_entitlement_inputs(
        tables["customers"], tables["contracts"], tables["orders"]
    )
    loaded: dict[str, pd.DataFrame] = {}
    for name, spec in _SPECS.items():
        table = tables.get(name)
        if table is None:
            loaded[name] = read_table(pd.DataFrame(columns=[c.name for c in spec.columns]), spec)
        else:
            loaded[name] = read_table(table, spec, country=normalize_country)
    _check_references(entitlement, loaded, tables)
    loaded["lanes"] = _resolve_lane_endpoints(loaded, tables)
    orders = entitlement.orders
    if as_of is None:
        as_of = (
            pd.Timestamp(orders["created_at"].max()).to_pydatetime()
            if len(orders)
            else datetime(1970, 1, 1)
        )
    return Snapshot(
        entitlement=entitlement,
        as_of=as_of,
        source=where,
        **loaded,
    )


def split_substitutes(value: object) -> list[str]:
    """The part numbers listed in a ``substitutes`` cell ('A;B', 'A|B' or 'A, B')."""
    if not isinstance(value, str):
        return []
    text = value.replace("|", ";").replace(",", ";")
    return [p.strip() for p in text.split(";") if p.strip()]


def _locate(source: str | Path | Mapping[str, TableSource]) -> tuple[dict[str, TableSource], str]:
    if isinstance(source, Mapping):
        unknown = sorted(set(source) - set(TABLES))
        if unknown:
            raise InputError(f"unknown snapshot table(s) {unknown} (known: {', '.join(TABLES)})")
        tables = dict(source)
        where = "snapshot"
    else:
        folder = Path(source)
        if not folder.is_dir():
            raise InputError(f"{folder}: not a folder (a snapshot is a folder of tables)")
        tables = {}
        for name in TABLES:
            found = [
                folder / f"{name}{suffix}"
                for suffix in (".csv", ".parquet", ".pq")
                if (folder / f"{name}{suffix}").exists()
            ]
            if len(found) > 1:
                raise InputError(f"{folder}: both {found[0].name} and {found[1].name}; keep one")
            if found:
                tables[name] = found[0]
        where = str(folder)
    missing = [n for n in TABLES if n not in tables and n not in OPTIONAL_TABLES]
    if missing:
        raise InputError(
            f"{where}: missing table(s) {', '.join(missing)} "
            "(expected <name>.csv or <name>.parquet for each)"
        )
    return tables, where


def _label(tables: Mapping[str, TableSource], name: str) -> str:
    source = tables.get(name)
    if source is None or isinstance(source, pd.DataFrame):
        return f"{name} table"
    return str(source)


def _offset(tables: Mapping[str, TableSource], name: str) -> int:
    source = tables.get(name)
    if source is None or isinstance(source, pd.DataFrame):
        return 0
    return 2 if str(source).lower().endswith(".csv") else 0


def _check_references(
    entitlement: EntitlementInputs,
    loaded: dict[str, pd.DataFrame],
    tables: Mapping[str, TableSource],
) -> None:
    parts = set(loaded["parts"]["part_number"])
    depots = set(loaded["depots"]["depot_id"])
    checks: list[tuple[str, pd.DataFrame, str, set[str], str]] = [
        ("orders", entitlement.orders, "part_number", parts, "part"),
        ("stock", loaded["stock"], "part_number", parts, "part"),
        ("stock", loaded["stock"], "depot_id", depots, "depot"),
        ("inbound", loaded["inbound"], "part_number", parts, "part"),
        ("inbound", loaded["inbound"], "depot_id", depots, "depot"),
        ("supply_options", loaded["supply_options"], "part_number", parts, "part"),
    ]
    for name, table, column, known, what in checks:
        problems = unknown_references(table, column, known, what, _offset(tables, name))
        if problems:
            raise TableError(_label(tables, name), problems)
    problems = []
    offset = _offset(tables, "parts")
    for row, (part, cell) in enumerate(
        zip(loaded["parts"]["part_number"], loaded["parts"]["substitutes"], strict=True)
    ):
        for sub in split_substitutes(cell):
            if sub not in parts:
                place = f"row {row + 1}" + (f" (line {row + offset})" if offset else "")
                problems.append(
                    f"{place}, column 'substitutes', value {cell!r}: unknown part {sub!r}"
                )
            elif sub == part:
                place = f"row {row + 1}" + (f" (line {row + offset})" if offset else "")
                problems.append(
                    f"{place}, column 'substitutes', value {cell!r}: "
                    "a part cannot substitute itself"
                )
    if problems:
        raise TableError(_label(tables, "parts"), problems)
    suppliers = set(loaded["supply_options"]["supplier_id"])
    clash = sorted(suppliers & depots)
    if clash:
        raise TableError(
            _label(tables, "supply_options"),
            [f"column 'supplier_id', value {clash[0]!r}: is also a depot id; ids must differ"],
        )


def _resolve_lane_endpoints(
    loaded: dict[str, pd.DataFrame], tables: Mapping[str, TableSource]
) -> pd.DataFrame:
    """Lane endpoints as depot ids, supplier ids or alpha-2 codes; unknown ones are errors."""
    lanes = loaded["lanes"].copy()
    known = set(loaded["depots"]["depot_id"]) | set(loaded["supply_options"]["supplier_id"])
    offset = _offset(tables, "lanes")
    problems: list[str] = []
    cache: dict[str, str | None] = {}
    for column in ("origin", "destination"):
        values = lanes[column].to_numpy(dtype=object)
        resolved = np.empty(len(values), dtype=object)
        for row, value in enumerate(values):
            if value in known:
                resolved[row] = value
                continue
            if value not in cache:
                try:
                    cache[value] = normalize_country(value)
                except UnknownCountryError:
                    cache[value] = None
            code = cache[value]
            if code is None:
                place = f"row {row + 1}" + (f" (line {row + offset})" if offset else "")
                problems.append(
                    f"{place}, column {column!r}, value {value!r}: not a depot id, a supplier id "
                    "or a country"
                )
                if len(problems) >= 20:
                    break
            resolved[row] = code
        lanes[column] = resolved
    if problems:
        raise TableError(_label(tables, "lanes"), problems)
    same = lanes["origin"] == lanes["destination"]
    if same.any():
        row = int(np.flatnonzero(same.to_numpy())[0])
        raise TableError(
            _label(tables, "lanes"),
            [
                f"row {row + 1}, column 'destination', value {lanes['destination'].iloc[row]!r}: "
                "a lane must lead somewhere else"
            ],
        )
    return lanes
