"""Reading orders back: what each holds (from the ledger), what it waits for, and why.

Every function takes an open connection, so that a write can answer from inside its own
transaction and a read from one consistent snapshot.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from allocation.adapters.store import ledger, schema
from allocation.adapters.store.reconcile import supply_totals
from allocation.adapters.store.statements import pair, pick
from allocation.service.models import (
    AllocationLine,
    Backorder,
    OrderAnswer,
    PlanPage,
    SupplyState,
)
from allocation.service.planning import Short

__all__ = ["late_hours", "new_order_answer", "order_answers", "plan_page", "supply_states"]


def _lines(holdings: Iterable[ledger.Holding]) -> list[AllocationLine]:
    return [
        AllocationLine(
            part_number=h.part_number,
            quantity=h.quantity,
            source=h.source,
            origin=h.origin,
            eta=h.eta,
            cost=round(h.unit_cost * h.quantity, 2),
        )
        for h in holdings
    ]


def late_hours(need_by: datetime | None, holdings: Iterable[ledger.Holding]) -> float | None:
    """Hours the latest ETA of the units held is after ``need_by`` (0: on time), as the
    engine's plan columns count them; None without a target or without units held."""
    etas = [h.eta for h in holdings if h.eta is not None]
    if need_by is None or not etas:
        return None
    return round(max(0.0, (max(etas) - need_by).total_seconds() / 3600.0), 3)


def _shipped(connection: Connection, order_ids: Sequence[str]) -> dict[str, list[ledger.Holding]]:
    entries = schema.ledger
    rows = connection.execute(
        select(
            entries.c.order_id,
            entries.c.part_number,
            entries.c.source,
            entries.c.origin,
            entries.c.supply_key,
            entries.c.quantity,
            entries.c.eta,
            entries.c.cost,
        )
        .where(entries.c.order_id.in_(order_ids), entries.c.event == "consume")
        .order_by(entries.c.entry_id)
    ).all()
    result: dict[str, list[ledger.Holding]] = defaultdict(list)
    for r in rows:
        result[r.order_id].append(
            ledger.Holding(
                r.order_id,
                r.part_number,
                r.source,
                r.origin,
                r.supply_key,
                int(r.quantity),
                r.eta,
                float(r.cost) / int(r.quantity),
            )
        )
    return result


_ORDERS = pair(lambda match: select(schema.orders).where(match), schema.orders.c.order_id, "ids")


def order_answers(
    connection: Connection, order_ids: Sequence[str], holding_nothing: Collection[str] = ()
) -> dict[str, OrderAnswer]:
    """Answers for orders that exist, by id (unknown ids are left out).

    ``holding_nothing``: orders known to hold no units, whose holdings need not be read
    (an order posted in this transaction that no ledger entry of it names).
    """
    ids = list(dict.fromkeys(order_ids))
    if not ids:
        return {}
    rows: list[Any] = []
    for start in range(0, len(ids), 500):
        rows.extend(connection.execute(*pick(_ORDERS, "ids", ids[start : start + 500])))
    held: dict[str, list[ledger.Holding]] = defaultdict(list)
    open_ids = [
        r.order_id for r in rows if r.status == "open" and r.order_id not in holding_nothing
    ]
    for h in ledger.held_by_orders(connection, open_ids):
        held[h.order_id].append(h)
    shipped_ids = [r.order_id for r in rows if r.status == "shipped"]
    shipped = _shipped(connection, shipped_ids) if shipped_ids else {}
    answers = {}
    for r in rows:
        lines = held.get(r.order_id, []) if r.status == "open" else shipped.get(r.order_id, [])
        backorder = (
            Backorder(
                quantity=int(r.backorder_quantity),
                reason=str(r.backorder_reason),
                code=r.backorder_code,
            )
            if r.status == "open" and r.backorder_quantity > 0
            else None
        )
        answers[r.order_id] = OrderAnswer(
            order_id=r.order_id,
            customer_id=r.customer_id,
            part_number=r.part_number,
            quantity=int(r.quantity),
            status=r.status,
            priority_class=r.priority_class,
            tier=r.tier,
            country=r.country,
            entitlement_reasons=json.loads(r.reasons),
            created_at=r.created_at,
            need_by=r.need_by,
            late_hours=late_hours(r.need_by, lines),
            allocated_quantity=sum(h.quantity for h in lines),
            allocations=_lines(lines),
            backorder=backorder,
        )
    return answers


def new_order_answer(
    row: Mapping[str, Any], holdings: list[ledger.Holding], backorder: Short
) -> OrderAnswer:
    """The answer of an order this write created, from the row it wrote and what the write
    gave it (no read: :func:`order_answers` would find the same)."""
    return OrderAnswer(
        order_id=row["order_id"],
        customer_id=row["customer_id"],
        part_number=row["part_number"],
        quantity=int(row["quantity"]),
        status="open",
        priority_class=row["priority_class"],
        tier=row["tier"],
        country=row["country"],
        entitlement_reasons=json.loads(row["reasons"]),
        created_at=row["created_at"],
        need_by=row["need_by"],
        late_hours=late_hours(row["need_by"], holdings),
        allocated_quantity=sum(h.quantity for h in holdings),
        allocations=_lines(holdings),
        backorder=(
            Backorder(
                quantity=backorder.quantity, reason=str(backorder.reason), code=backorder.code
            )
            if backorder.quantity > 0
            else None
        ),
    )


def plan_page(connection: Connection, offset: int, limit: int) -> PlanPage:
    """Open orders ``offset`` to ``offset + limit`` by order id, with their allocations."""
    o = schema.orders
    total = int(
        connection.execute(
            select(func.count()).select_from(o).where(o.c.status == "open")
        ).scalar_one()
    )
    ids = [
        str(i)
        for (i,) in connection.execute(
            select(o.c.order_id)
            .where(o.c.status == "open")
            .order_by(o.c.order_id)
            .offset(offset)
            .limit(limit)
        )
    ]
    answers = order_answers(connection, ids)
    return PlanPage(total=total, offset=offset, limit=limit, orders=[answers[i] for i in ids])


def supply_states(connection: Connection, part_numbers: Iterable[str]) -> list[SupplyState]:
    """Units and promised units of every supply of some parts."""
    parts = sorted(set(part_numbers))
    totals = supply_totals(connection, parts)
    h = schema.holdings
    rows = connection.execute(
        select(h.c.part_number, h.c.supply_key, func.sum(h.c.quantity))
        .where(h.c.part_number.in_(parts))
        .group_by(h.c.part_number, h.c.supply_key)
    ).all()
    promised = {(p, k): int(v) for p, k, v in rows}
    keys = sorted(set(totals) | {k for k, v in promised.items() if v})
    return [
        SupplyState(
            part_number=p, supply=k, units=totals.get((p, k), 0), promised=promised.get((p, k), 0)
        )
        for p, k in keys
    ]
