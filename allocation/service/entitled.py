"""An order's entitlement as its row keeps it: decided by the domain's rules from the world's
customers and contracts, at intake and again when a customer or contract changes.

One home for turning :func:`allocation.domain.entitlement.decide_entitlement` into the
columns of an order's row, so that a posted order and a re-decided one read alike.
"""

from __future__ import annotations

import json
from typing import Any

import pandas as pd
from sqlalchemy import select, update
from sqlalchemy.engine import Connection

from allocation.adapters.store import schema
from allocation.domain.entitlement import (
    EntitlementDecision,
    decide_entitlement,
    lost_priority_code,
)
from allocation.domain.model import OrderLine
from allocation.service.world import World

__all__ = ["DECIDED", "decide", "decided_columns", "redecide_orders"]

DECIDED = ("country", "priority_class", "tier", "reasons", "lost_code")
"""The columns of an order's row that its entitlement decision fills."""


def decide(world: World, line: OrderLine) -> EntitlementDecision:
    """The line's decision, from its customer and that customer's contracts in ``world``."""
    customer = world.customers[line.customer_id]
    return decide_entitlement(
        line,
        customer,
        world.contracts.get(customer.customer_id, []),
        policy=world.entitlement_policy,
    )


def decided_columns(decision: EntitlementDecision) -> dict[str, Any]:
    """The row's columns of :data:`DECIDED`, as a decision fills them."""
    return {
        "country": decision.country,
        "priority_class": decision.priority_class.value,
        "tier": decision.tier.value,
        "reasons": json.dumps(decision.reasons),
        "lost_code": lost_priority_code(decision),
    }


def redecide_orders(connection: Connection, world: World, customer_ids: set[str]) -> dict[str, str]:
    """Decide again the open orders of some customers, after their customer or contract
    rows changed (``world`` is built from the changed rows); the orders whose priority
    class, tier or country changed, with their part groups.

    Rows whose decision is the same keep their columns; the reasons of the others are
    rewritten with the rest, so an order always says why it has the class it has.
    """
    o = schema.orders
    rows = connection.execute(
        select(
            o.c.order_id,
            o.c.customer_id,
            o.c.part_number,
            o.c.group_key,
            o.c.quantity,
            o.c.created_at,
            o.c.product_type,
            o.c.warranty_valid,
            o.c.ship_to_country,
            *(o.c[c] for c in DECIDED),
        )
        .where(o.c.customer_id.in_(sorted(customer_ids)), o.c.status == "open")
        .order_by(o.c.order_id)
    ).all()
    changed: dict[str, str] = {}
    for row in rows:
        line = OrderLine(
            order_id=row.order_id,
            customer_id=row.customer_id,
            part_number=row.part_number,
            quantity=int(row.quantity),
            created_at=pd.Timestamp(row.created_at).to_pydatetime(),
            product_type=row.product_type,
            warranty_valid=bool(row.warranty_valid),
            ship_to_country=row.ship_to_country,
        )
        columns = decided_columns(decide(world, line))
        if all(columns[c] == getattr(row, c) for c in DECIDED):
            continue
        connection.execute(update(o).where(o.c.order_id == row.order_id).values(columns))
        if any(columns[c] != getattr(row, c) for c in ("country", "priority_class", "tier")):
            changed[str(row.order_id)] = str(row.group_key)
    return changed
