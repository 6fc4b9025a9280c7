"""Load the entitlement tables (customers, contracts, orders) and check they fit together."""

from __future__ import annotations

import numpy as np
import pandas as pd

from allocation.adapters.tables import TableSource, TableSpec, read_table
from allocation.domain.countries import normalize_country
from allocation.domain.snapshot import EntitlementInputs
from allocation.domain.tables import CONTRACTS, CUSTOMERS, ORDERS
from allocation.errors import TableError

__all__ = ["EntitlementInputs", "load_entitlement_inputs", "unknown_references"]


def load_entitlement_inputs(
    customers: TableSource,
    contracts: TableSource,
    orders: TableSource | None,
    orders_spec: TableSpec = ORDERS,
) -> EntitlementInputs:
    """Read and validate the three tables; all or nothing.

    ``orders`` may be None (an audit of customers and contracts alone): no orders.
    ``orders_spec`` may name only some of the orders' columns (a snapshot's outline); their
    customers are then checked where the orders are read in full.

    Raises
    ------
    TableError
        Naming file, row, column and value of every problem found, including orders and
        contracts that name an unknown customer.
    """
    cust = read_table(customers, CUSTOMERS, country=normalize_country)
    cont = read_table(contracts, CONTRACTS, country=normalize_country)
    if orders is None:
        orders = pd.DataFrame(columns=[c.name for c in orders_spec.columns])
    ords = read_table(orders, orders_spec, country=normalize_country)
    known = set(cust["customer_id"])
    checked = [(contracts, cont, CONTRACTS)]
    if "customer_id" in ords.columns:
        checked.append((orders, ords, ORDERS))
    for source, table, spec in checked:
        problems = unknown_references(table, "customer_id", known, "customer", _line_offset(source))
        if problems:
            raise TableError(_name(source, spec.name), problems)
    return EntitlementInputs(customers=cust, contracts=cont, orders=ords)


def unknown_references(
    table: pd.DataFrame, column: str, known: set[str], what: str, line_offset: int
) -> list[str]:
    """One problem per row whose ``column`` names nothing in ``known``."""
    bad = ~table[column].isin(known).to_numpy()
    problems = []
    for row in np.flatnonzero(bad)[:20]:
        place = f"row {row + 1}" + (f" (line {row + line_offset})" if line_offset else "")
        problems.append(
            f"{place}, column {column!r}, value {table[column].iloc[row]!r}: unknown {what}"
        )
    return problems


def _line_offset(source: TableSource) -> int:
    return 2 if not isinstance(source, pd.DataFrame) and str(source).lower().endswith(".csv") else 0


def _name(source: TableSource, table_name: str) -> str:
    return f"{table_name} table" if isinstance(source, pd.DataFrame) else str(source)
