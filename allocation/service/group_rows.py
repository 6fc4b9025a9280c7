"""The rows of a part group as the database holds them: open orders and supply, as tables.

A write rebuilds a group from these when another process changed it; a read that explains a
plan does the same. Reading only: no ledger, no locks.
"""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

import numpy as np
import pandas as pd
from sqlalchemy import select
from sqlalchemy.engine import Connection

from allocation.adapters.store import schema
from allocation.domain.fair_share import TakenEarlier
from allocation.domain.snapshot import EntitlementInputs, Snapshot
from allocation.service.problems import FieldError, NotFoundError

__all__ = ["ORDER_COLUMNS", "group_tables", "open_orders", "order_place", "snapshot_of_rows"]


ORDER_COLUMNS = (
    "order_id",
    "customer_id",
    "part_number",
    "quantity",
    "created_at",
    "product_type",
    "warranty_valid",
    "ship_to_country",
    "need_by",
)
"""The columns of an orders table, as the engine reads them."""


class OrderPlace(NamedTuple):
    """An order's part group and status (``open``, ``shipped`` or ``cancelled``)."""

    group_key: str
    status: str


def order_place(connection: Connection, order_id: str) -> OrderPlace:
    """The part group and status of an order; 404 (``path.order_id``) for an unknown one."""
    o = schema.orders
    row = connection.execute(
        select(o.c.group_key, o.c.status).where(o.c.order_id == order_id)
    ).first()
    if row is None:
        raise NotFoundError(
            f"no order {order_id!r}", [FieldError("path.order_id", "unknown order")]
        )
    return OrderPlace(str(row.group_key), str(row.status))


def group_tables(
    connection: Connection, parts: list[str] | None
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Stock, receipts and supply options of some parts (None: of every part)."""
    s, i, o = schema.stock, schema.inbound, schema.supply_options
    q_stock = select(s.c.part_number, s.c.depot_id, s.c.on_hand)
    q_inbound = select(i.c.part_number, i.c.depot_id, i.c.quantity, i.c.eta).order_by(
        i.c.inbound_id
    )
    q_options = select(
        o.c.part_number,
        o.c.source,
        o.c.supplier_id,
        o.c.capacity,
        o.c.lead_time_hours,
        o.c.unit_cost,
        o.c.success_probability,
    )
    if parts is not None:
        q_stock = q_stock.where(s.c.part_number.in_(parts))
        q_inbound = q_inbound.where(i.c.part_number.in_(parts))
        q_options = q_options.where(o.c.part_number.in_(parts))
    stock_rows = connection.execute(q_stock).all()
    inbound_rows = connection.execute(q_inbound).all()
    option_rows = connection.execute(q_options).all()
    stock = pd.DataFrame(
        {
            "part_number": pd.Series([r[0] for r in stock_rows], dtype=object),
            "depot_id": pd.Series([r[1] for r in stock_rows], dtype=object),
            "on_hand": np.array([r[2] for r in stock_rows], dtype=np.int64),
        }
    )
    inbound = pd.DataFrame(
        {
            "part_number": pd.Series([r[0] for r in inbound_rows], dtype=object),
            "depot_id": pd.Series([r[1] for r in inbound_rows], dtype=object),
            "quantity": np.array([r[2] for r in inbound_rows], dtype=np.int64),
            "eta": pd.Series([r[3] for r in inbound_rows], dtype="datetime64[ns]"),
        }
    )
    options = pd.DataFrame(
        {
            "part_number": pd.Series([r[0] for r in option_rows], dtype=object),
            "source": pd.Series([r[1] for r in option_rows], dtype=object),
            "supplier_id": pd.Series([r[2] for r in option_rows], dtype=object),
            "capacity": np.array([r[3] for r in option_rows], dtype=np.int64),
            "lead_time_hours": np.array([r[4] for r in option_rows], dtype=np.float64),
            "unit_cost": np.array([r[5] for r in option_rows], dtype=np.float64),
            "success_probability": np.array(
                [1.0 if r[6] is None else r[6] for r in option_rows], dtype=np.float64
            ),
        }
    )
    return stock, inbound, options


def open_orders(connection: Connection, group_key: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Open orders of a part group and their entitlement decisions, by order id."""
    o = schema.orders
    rows = connection.execute(
        select(
            o.c.order_id,
            o.c.customer_id,
            o.c.part_number,
            o.c.quantity,
            o.c.created_at,
            o.c.ship_to_country,
            o.c.priority_class,
            o.c.tier,
            o.c.need_by,
        )
        .where(o.c.group_key == group_key, o.c.status == "open")
        .order_by(o.c.order_id)
    ).all()
    orders = pd.DataFrame(
        {
            "order_id": pd.Series([r[0] for r in rows], dtype=object),
            "customer_id": pd.Series([r[1] for r in rows], dtype=object),
            "part_number": pd.Series([r[2] for r in rows], dtype=object),
            "quantity": np.array([r[3] for r in rows], dtype=np.int64),
            "created_at": pd.Series([r[4] for r in rows], dtype="datetime64[ns]"),
            "ship_to_country": pd.Series([r[5] for r in rows], dtype=object),
            "need_by": pd.Series([r[8] for r in rows], dtype="datetime64[ns]"),
        }
    )
    decisions = pd.DataFrame(
        {
            "order_id": orders["order_id"],
            "priority_class": pd.Series([r[6] for r in rows], dtype=object),
            "tier": pd.Series([r[7] for r in rows], dtype=object),
        }
    )
    return orders, decisions


def snapshot_of_rows(
    base: Snapshot,
    orders: pd.DataFrame,
    stock: pd.DataFrame,
    inbound: pd.DataFrame,
    options: pd.DataFrame,
    overrides: pd.DataFrame,
    now: datetime,
    taken_earlier: TakenEarlier | None = None,
) -> Snapshot:
    """A snapshot of rows read from the store, with the load's master data (``base``:
    customers, contracts, parts, depots, lanes) around them, seen from ``now``;
    ``taken_earlier``: what parties took in the fair-share caps' periods
    (:mod:`allocation.service.cap_history`)."""
    return Snapshot(
        entitlement=EntitlementInputs(base.customers, base.contracts, orders),
        parts=base.parts,
        depots=base.depots,
        stock=stock,
        inbound=inbound,
        lanes=base.lanes,
        supply_options=options,
        as_of=now,
        overrides=overrides,
        taken_earlier=taken_earlier or TakenEarlier(),
    )
