"""A snapshot: every table the allocation engine needs, at one moment, as the domain's types.

A :class:`Snapshot` holds validated tables whose columns are those of
:mod:`allocation.domain.tables`; the adapters load one from files or DataFrames
(:func:`allocation.load_snapshot`) and the engine plans from it. The customers, contracts and
orders, which the entitlement rules read, travel together as :class:`EntitlementInputs`.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any, Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt
import pandas as pd

from allocation.domain.fair_share import TakenEarlier
from allocation.domain.model import Contract, Customer, OrderLine
from allocation.domain.overrides import empty_overrides
from allocation.domain.tables import CONTRACTS, CUSTOMERS, ORDERS, TABLES

__all__ = [
    "ORDER_OUTLINE_COLUMNS",
    "EntitlementInputs",
    "ShardedSnapshot",
    "Snapshot",
    "split_substitutes",
]


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
            Contract(
                kid,
                cid,
                sku,
                _day(bought),
                None if pd.isna(active) else _day(active),
                None if covered is None or pd.isna(covered) else int(covered),
            )
            for kid, cid, sku, bought, active, covered in zip(
                *_columns(self.contracts, [f.name for f in CONTRACTS.columns]), strict=True
            )
        ]

    def order_objects(self) -> list[OrderLine]:
        """Order lines in file order."""
        return [
            OrderLine(
                oid,
                cid,
                part,
                int(qty),
                _moment(at),
                ptype,
                bool(warranty),
                ship_to,
                None if due is None or pd.isna(due) else _moment(due),
            )
            for oid, cid, part, qty, at, ptype, warranty, ship_to, due in zip(
                *_columns(self.orders, [f.name for f in ORDERS.columns]), strict=True
            )
        ]


def _columns(frame: pd.DataFrame, names: list[str]) -> list[list[Any]]:
    """The named columns as lists; an optional column a table leaves out reads as blanks."""
    return [frame[name].tolist() if name in frame else [None] * len(frame) for name in names]


@dataclass(frozen=True)
class Snapshot:
    """Open orders and every way to get parts, at one moment.

    Attributes
    ----------
    entitlement : EntitlementInputs
        Customers, contracts and orders.
    parts, depots, stock, inbound, lanes, supply_options : DataFrame
        Validated tables (their columns: docs/reference/tables.md). Lane endpoints are depot ids,
        supplier ids or ISO alpha-2 country codes.
    as_of : datetime
        The moment the snapshot describes: ETAs are counted from here. By default the latest
        order's creation time.
    source : str
        Where it was loaded from, for messages.
    overrides : DataFrame
        The planner's overrides (:mod:`allocation.domain.overrides`): firmed lines and
        forbidden sources, by order id; no rows by default.
    taken_earlier : TakenEarlier
        What parties took of capped parts earlier in each fair-share cap's period
        (:mod:`allocation.domain.fair_share`); none by default (a snapshot file holds no
        history; the HTTP service counts its shipments).
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
    overrides: pd.DataFrame = field(default_factory=empty_overrides)
    taken_earlier: TakenEarlier = field(default_factory=TakenEarlier)

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

    def tables(self) -> dict[str, pd.DataFrame]:
        """Every table by name (see :data:`allocation.domain.tables.TABLES`)."""
        return {name: getattr(self, name) for name in TABLES}

    def at(self, as_of: datetime) -> Snapshot:
        """The same tables seen from another moment."""
        return replace(self, as_of=as_of)

    def with_overrides(self, overrides: pd.DataFrame) -> Snapshot:
        """The same tables with another (validated) ``overrides`` table; see
        :func:`allocation.load_snapshot` to read and check one."""
        return replace(self, overrides=overrides)


ORDER_OUTLINE_COLUMNS = ("part_number", "created_at", "ship_to_country")
"""The orders' columns a snapshot's outline holds: what splitting the orders into shards of
part groups, the network's countries and the snapshot's moment need."""


@runtime_checkable
class ShardedSnapshot(Protocol):
    """A snapshot that processes planning shards of part groups can read in parts.

    Called, it reads and validates the snapshot whole. :meth:`outline` reads every table
    but the orders whole, and of the orders only :data:`ORDER_OUTLINE_COLUMNS`;
    :meth:`orders` then reads the rest of the rows a shard plans, and :meth:`check_orders`
    checks what no shard sees: that the order ids are unique across the table. Two
    processes each reading their own shards' orders validate a million orders in about
    half the time one reader takes. Together the parts raise what reading it whole would
    find wrong, though not always in the same words: a caller that needs the one message of
    a single reader calls the snapshot whole.
    """

    def __call__(self) -> Snapshot:
        """The snapshot, read and validated whole."""
        ...

    def outline(self) -> Snapshot:
        """Every table validated, the orders with :data:`ORDER_OUTLINE_COLUMNS` only."""
        ...

    def orders(self, rows: npt.NDArray[np.int64]) -> pd.DataFrame:
        """The validated orders at these row positions, every column, indexed by position:
        equal to the whole snapshot's ``orders.iloc[rows]``."""
        ...

    def check_orders(self) -> None:
        """Raise if an order id is used twice anywhere in the orders table."""
        ...


def split_substitutes(value: object) -> list[str]:
    """The part numbers listed in a ``substitutes`` cell ('A;B', 'A|B' or 'A, B')."""
    if not isinstance(value, str):
        return []
    text = value.replace("|", ";").replace(",", ";")
    return [p.strip() for p in text.split(";") if p.strip()]


def _day(value: object) -> date:
    return pd.Timestamp(value).date()  # type: ignore[arg-type]


def _moment(value: object) -> datetime:
    return pd.Timestamp(value).to_pydatetime()  # type: ignore[arg-type]
