"""Load the entitlement tables (customers, contracts, orders) and check they fit together."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd

from allocation.adapters.schemas import CONTRACTS, CUSTOMERS, ORDERS
from allocation.adapters.tables import TableSource, read_table
from allocation.domain.countries import normalize_country
from allocation.domain.model import Contract, Customer, OrderLine
from allocation.errors import TableError

__all__ = ["EntitlementInputs", "load_entitlement_inputs", "unknown_references"]


@dataclass(frozen=True)
class EntitlementInputs:
    """Validated customers, contracts and orders, as typed DataFrames.

    The frames are the source of truth; the domain objects are built from them on demand.
    """

    customers: pd.DataFrame
    contracts: pd.DataFrame
    orders: pd.DataFrame

    def customer_objects(self) -> dict[str, Customer]:
        """Customers by id."""
        c = self.customers
        return {
            cid: Customer(cid, name, country, int(pcs), int(printers), bool(helpdesk))
            for cid, name, country, pcs, printers, helpdesk in zip(
                *_columns(c, [f.name for f in CUSTOMERS.columns]), strict=True
            )
        }

    def contract_objects(self) -> list[Contract]:
        """Contracts in file order."""
        return [
            Contract(kid, cid, sku, _day(bought), None if pd.isna(active) else _day(active))
            for kid, cid, sku, bought, active in zip(
                *_columns(self.contracts, [f.name for f in CONTRACTS.columns]), strict=True
            )
        ]

    def order_objects(self) -> list[OrderLine]:
        """Order lines in file order."""
        return [
            OrderLine(oid, cid, part, int(qty), _moment(at), ptype, bool(warranty), ship_to)
            for oid, cid, part, qty, at, ptype, warranty, ship_to in zip(
                *_columns(self.orders, [f.name for f in ORDERS.columns]), strict=True
            )
        ]


def _columns(frame: pd.DataFrame, names: list[str]) -> list[list[Any]]:
    return [frame[name].tolist() for name in names]


def load_entitlement_inputs(
    customers: TableSource, contracts: TableSource, orders: TableSource
) -> EntitlementInputs:
    """Read and validate the three tables; all or nothing.

    Raises
    ------
    TableError
        Naming file, row, column and value of every problem found, including orders and
        contracts that name an unknown customer.
    """
    cust = read_table(customers, CUSTOMERS, country=normalize_country)
    cont = read_table(contracts, CONTRACTS, country=normalize_country)
    ords = read_table(orders, ORDERS, country=normalize_country)
    known = set(cust["customer_id"])
    for source, table, spec in ((contracts, cont, CONTRACTS), (orders, ords, ORDERS)):
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


def _day(value: object) -> date:
    return pd.Timestamp(value).date()  # type: ignore[arg-type]


def _moment(value: object) -> datetime:
    return pd.Timestamp(value).to_pydatetime()  # type: ignore[arg-type]
