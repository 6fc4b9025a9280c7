"""A snapshot loaded: every table the allocation engine needs, read and checked together.

A snapshot is a folder with one file per table (``<name>.csv`` or ``<name>.parquet``) or a
mapping of DataFrames. ``inbound`` and ``supply_options`` may be absent (no receipts, no
expedite or broker sources); every other table is required. Ids that refer to nothing (an
order for an unknown part, stock at an unknown depot, a lane from an unknown place) are
errors that name the table, row, column and value.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from allocation.adapters.inputs import load_entitlement_inputs, unknown_references
from allocation.adapters.overrides_file import read_overrides
from allocation.adapters.tables import TableSource, TableSpec, read_table
from allocation.domain.countries import normalize_country
from allocation.domain.snapshot import EntitlementInputs, Snapshot, split_substitutes
from allocation.domain.tables import (
    DEPOTS,
    INBOUND,
    LANES,
    OPTIONAL_TABLES,
    ORDERS,
    PARTS,
    STOCK,
    SUPPLY_OPTIONS,
    TABLES,
)
from allocation.errors import InputError, TableError, UnknownCountryError

__all__ = [
    "OPTIONAL_TABLES",
    "OVERRIDES_TABLE",
    "TABLES",
    "Snapshot",
    "label_of",
    "load_snapshot",
    "locate_tables",
    "read_snapshot",
    "split_substitutes",
]

OVERRIDES_TABLE = "overrides"
"""The optional table of the planner's overrides (:mod:`allocation.adapters.overrides_file`),
read after the others: its rows name their orders, depots and suppliers."""
_SPECS: dict[str, TableSpec] = {
    "parts": PARTS,
    "depots": DEPOTS,
    "stock": STOCK,
    "inbound": INBOUND,
    "lanes": LANES,
    "supply_options": SUPPLY_OPTIONS,
}


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
        ``.csv`` or ``.parquet``; or a mapping from those names to files or DataFrames. An
        optional ``overrides`` table holds the planner's firmed lines and forbidden
        sources (:mod:`allocation.adapters.overrides_file`).
    as_of : datetime, optional
        The snapshot's moment; the latest order's creation time by default.

    Raises
    ------
    InputError
        A missing folder or table; :class:`TableError` for bad rows or unknown ids.
    """
    tables, where = locate_tables(source)
    return read_snapshot(tables, where, as_of)


def read_snapshot(
    tables: Mapping[str, TableSource],
    where: str,
    as_of: datetime | None = None,
    orders_spec: TableSpec = ORDERS,
) -> Snapshot:
    """The snapshot of tables already located (see :func:`locate_tables`), its orders read
    with ``orders_spec`` (all their columns, or a shard reader's outline of them)."""
    entitlement = load_entitlement_inputs(
        tables["customers"], tables["contracts"], tables["orders"], orders_spec
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
    snapshot = Snapshot(
        entitlement=entitlement,
        parts=loaded["parts"],
        depots=loaded["depots"],
        stock=loaded["stock"],
        inbound=loaded["inbound"],
        lanes=loaded["lanes"],
        supply_options=loaded["supply_options"],
        as_of=as_of,
        source=where,
    )
    overrides = tables.get(OVERRIDES_TABLE)
    if overrides is not None:
        snapshot = read_overrides(overrides, snapshot, label_of(tables, OVERRIDES_TABLE))
    return snapshot


def locate_tables(
    source: str | Path | Mapping[str, TableSource],
) -> tuple[dict[str, TableSource], str]:
    """Each table's file (or DataFrame) by name, and a name for the whole in messages."""
    if isinstance(source, Mapping):
        known = (*TABLES, OVERRIDES_TABLE)
        unknown = sorted(set(source) - set(known))
        if unknown:
            raise InputError(f"unknown snapshot table(s) {unknown} (known: {', '.join(known)})")
        tables = dict(source)
        where = "snapshot"
    else:
        folder = Path(source)
        if not folder.is_dir():
            raise InputError(f"{folder}: not a folder (a snapshot is a folder of tables)")
        tables = {}
        for name in (*TABLES, OVERRIDES_TABLE):
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


def label_of(tables: Mapping[str, TableSource], name: str) -> str:
    """A table's name in messages: its file, or ``NAME table`` for a DataFrame."""
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
            raise TableError(label_of(tables, name), problems)
    problems = _substitute_problems(loaded["parts"], parts, _offset(tables, "parts"))
    if problems:
        raise TableError(label_of(tables, "parts"), problems)
    suppliers = set(loaded["supply_options"]["supplier_id"])
    clash = sorted(suppliers & depots)
    if clash:
        raise TableError(
            label_of(tables, "supply_options"),
            [f"column 'supplier_id', value {clash[0]!r}: is also a depot id; ids must differ"],
        )


def _substitute_problems(parts: pd.DataFrame, known: set[str], offset: int) -> list[str]:
    """Every listed substitute that is no known part, or is the part itself, in file order."""
    cells = parts["substitutes"].to_numpy(dtype=object)
    rows, subs = _listed_substitutes(cells)
    if not len(subs):
        return []
    unknown = ~pd.Series(subs, dtype=object).isin(known).to_numpy()
    itself = ~unknown & (subs == parts["part_number"].to_numpy(dtype=object)[rows])
    bad = unknown | itself
    problems = []
    for row, sub, is_unknown in zip(rows[bad], subs[bad], unknown[bad], strict=True):
        place = f"row {row + 1}" + (f" (line {row + offset})" if offset else "")
        what = f"unknown part {sub!r}" if is_unknown else "a part cannot substitute itself"
        problems.append(f"{place}, column 'substitutes', value {cells[row]!r}: {what}")
    return problems


def _listed_substitutes(
    cells: npt.NDArray[np.object_],
) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.object_]]:
    """Each substitute named in the cells (as :func:`split_substitutes` reads them), by row."""
    try:
        text = pa.array(cells, type=pa.large_string(), from_pandas=True)
    except (pa.ArrowException, UnicodeError):  # e.g. a lone surrogate: read them one by one
        pairs = [(row, sub) for row, cell in enumerate(cells) for sub in split_substitutes(cell)]
        return (
            np.array([row for row, _ in pairs], dtype=np.intp),
            np.array([sub for _, sub in pairs], dtype=object),
        )
    lists = pc.split_pattern(
        pc.replace_substring(pc.replace_substring(text, "|", ";"), ",", ";"), ";"
    )
    subs = pc.utf8_trim_whitespace(pc.list_flatten(lists))
    named = pc.not_equal(subs, "")
    rows = pc.list_parent_indices(lists).filter(named)
    return (
        np.asarray(rows.to_numpy(), dtype=np.intp),
        np.asarray(subs.filter(named).to_numpy(zero_copy_only=False), dtype=object),
    )


def _resolve_lane_endpoints(
    loaded: dict[str, pd.DataFrame], tables: Mapping[str, TableSource]
) -> pd.DataFrame:
    """Lane endpoints as depot ids, supplier ids or alpha-2 codes; unknown ones are errors."""
    lanes = loaded["lanes"].copy()
    known = set(loaded["depots"]["depot_id"]) | set(loaded["supply_options"]["supplier_id"])
    offset = _offset(tables, "lanes")
    problems: list[str] = []
    for column in ("origin", "destination"):
        values = lanes[column].to_numpy(dtype=object)
        resolved = _endpoints(values, known)
        # At least one problem per column, and no more once there are 20.
        bad = np.flatnonzero(pd.isna(resolved))[: max(20 - len(problems), 1)]
        for row in bad:
            place = f"row {row + 1}" + (f" (line {row + offset})" if offset else "")
            problems.append(
                f"{place}, column {column!r}, value {values[row]!r}: not a depot id, a supplier id "
                "or a country"
            )
        lanes[column] = resolved
    if problems:
        raise TableError(label_of(tables, "lanes"), problems)
    same = lanes["origin"] == lanes["destination"]
    if same.any():
        row = int(np.flatnonzero(same.to_numpy())[0])
        raise TableError(
            label_of(tables, "lanes"),
            [
                f"row {row + 1}, column 'destination', value {lanes['destination'].iloc[row]!r}: "
                "a lane must lead somewhere else"
            ],
        )
    return lanes


def _endpoints(values: npt.NDArray[np.object_], known: set[str]) -> npt.NDArray[np.object_]:
    """Known ids as they are, anything else as a country code (``None`` if it is none)."""
    resolved = values.copy()
    other = ~pd.Series(values, dtype=object).isin(known).to_numpy()
    codes, uniques = pd.factorize(values[other])
    countries = np.array([_country_or_none(value) for value in uniques] + [None], dtype=object)
    resolved[other] = countries[codes]
    return resolved


def _country_or_none(value: object) -> str | None:
    try:
        return normalize_country(value)
    except UnknownCountryError:
        return None
