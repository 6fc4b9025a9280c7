"""The append-only allocation ledger: every promise of units, and every change to it.

An entry says that an order was promised (``allocate``), lost (``release``) or took away
(``consume``, when it shipped) some units of one supply: stock at a depot, a receipt, or a
supply option. Entries are only ever inserted. What an order holds is the sum of its entries
(allocate minus release and consume) per supply, and :func:`check_ledger` proves from the
entries alone that no supply is promised beyond what it has.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, case, func, insert, select
from sqlalchemy.engine import Connection

from allocation.adapters.store import schema

__all__ = [
    "Holding",
    "HoldingKey",
    "balances",
    "case_signed",
    "check_ledger",
    "delta_entries",
    "held_by_orders",
    "record",
    "supply_key",
    "supply_totals",
]

HoldingKey = tuple[str, str, str, str, str]
"""(order_id, part_number, source, origin, supply_key)."""


@dataclass(frozen=True)
class Holding:
    """Units of one supply promised to one order."""

    order_id: str
    part_number: str
    source: str
    origin: str
    supply_key: str
    quantity: int
    eta: datetime | None
    unit_cost: float

    @property
    def key(self) -> HoldingKey:
        """What identifies the promise across re-plans."""
        return (self.order_id, self.part_number, self.source, self.origin, self.supply_key)


def supply_key(base: str, origin: str, release_at: datetime | None = None) -> str:
    """The identity of a supply of a part: ``stock|D-US``, ``inbound|D-SG|2026-11-18T06:00:00``,
    ``expedite|SUP-FACTORY``, ``broker|BRK-OPEN``."""
    if base == "inbound":
        assert release_at is not None
        return f"inbound|{origin}|{release_at.replace(microsecond=0).isoformat()}"
    return f"{base}|{origin}"


def case_signed() -> ColumnElement[int]:
    """An entry's effect on a balance: + for allocate, - for release and consume."""
    entries = schema.ledger
    return case((entries.c.event == "allocate", entries.c.quantity), else_=-entries.c.quantity)


def _signed() -> ColumnElement[int]:
    return func.sum(case_signed())


def balances(connection: Connection, group_key: str) -> dict[HoldingKey, Holding]:
    """What every order of a part group holds now, summed from the ledger."""
    entries = schema.ledger
    held = _signed()
    query = (
        select(
            entries.c.order_id,
            entries.c.part_number,
            entries.c.source,
            entries.c.origin,
            entries.c.supply_key,
            held.label("held"),
            func.max(case((entries.c.event == "allocate", entries.c.eta))).label("eta"),
            func.max(
                case((entries.c.event == "allocate", entries.c.cost / entries.c.quantity))
            ).label("unit_cost"),
        )
        .where(entries.c.group_key == group_key)
        .group_by(
            entries.c.order_id,
            entries.c.part_number,
            entries.c.source,
            entries.c.origin,
            entries.c.supply_key,
        )
    )
    result: dict[HoldingKey, Holding] = {}
    for row in connection.execute(query):
        if int(row.held) != 0:
            h = Holding(
                row.order_id,
                row.part_number,
                row.source,
                row.origin,
                row.supply_key,
                int(row.held),
                row.eta,
                float(row.unit_cost or 0.0),
            )
            result[h.key] = h
    return result


def held_by_orders(connection: Connection, order_ids: Iterable[str]) -> list[Holding]:
    """The current holdings of some orders, by order id then origin."""
    ids = sorted(set(order_ids))
    if not ids:
        return []
    entries = schema.ledger
    held = _signed()
    query = (
        select(
            entries.c.order_id,
            entries.c.part_number,
            entries.c.source,
            entries.c.origin,
            entries.c.supply_key,
            held.label("held"),
            func.max(case((entries.c.event == "allocate", entries.c.eta))).label("eta"),
            func.max(
                case((entries.c.event == "allocate", entries.c.cost / entries.c.quantity))
            ).label("unit_cost"),
        )
        .where(entries.c.order_id.in_(ids))
        .group_by(
            entries.c.order_id,
            entries.c.part_number,
            entries.c.source,
            entries.c.origin,
            entries.c.supply_key,
        )
        .order_by(entries.c.order_id, entries.c.origin, entries.c.supply_key)
    )
    return [
        Holding(
            r.order_id,
            r.part_number,
            r.source,
            r.origin,
            r.supply_key,
            int(r.held),
            r.eta,
            float(r.unit_cost or 0.0),
        )
        for r in connection.execute(query)
        if int(r.held) > 0
    ]


def delta_entries(
    current: Mapping[HoldingKey, Holding], target: Mapping[HoldingKey, Holding]
) -> list[tuple[str, Holding]]:
    """The entries that take the ledger from ``current`` to ``target`` holdings.

    Releases come first, so that no prefix of the entries ever promises more than the
    target does. A promise kept unchanged writes nothing (it keeps its original ETA).
    """
    releases: list[tuple[str, Holding]] = []
    allocations: list[tuple[str, Holding]] = []
    for key in sorted(set(current) | set(target)):
        have = current[key].quantity if key in current else 0
        want = target[key].quantity if key in target else 0
        if want < have:
            h = current[key]
            releases.append(("release", _with_quantity(h, have - want)))
        elif want > have:
            h = target[key]
            allocations.append(("allocate", _with_quantity(h, want - have)))
    return releases + allocations


def _with_quantity(h: Holding, quantity: int) -> Holding:
    return Holding(
        h.order_id, h.part_number, h.source, h.origin, h.supply_key, quantity, h.eta, h.unit_cost
    )


def record(
    connection: Connection,
    group_key: str,
    entries: Iterable[tuple[str, Holding]],
    at: datetime,
) -> int:
    """Append entries to the ledger; returns how many."""
    rows = [
        {
            "group_key": group_key,
            "order_id": h.order_id,
            "event": event,
            "part_number": h.part_number,
            "source": h.source,
            "origin": h.origin,
            "supply_key": h.supply_key,
            "quantity": h.quantity,
            "eta": h.eta,
            "cost": round(h.unit_cost * h.quantity, 6),
            "recorded_at": at,
        }
        for event, h in entries
    ]
    if rows:
        connection.execute(insert(schema.ledger), rows)
    return len(rows)


def supply_totals(
    connection: Connection, part_numbers: Iterable[str] | None = None
) -> dict[tuple[str, str], int]:
    """Units each supply has now, by (part_number, supply_key)."""
    wanted = None if part_numbers is None else sorted(set(part_numbers))
    totals: dict[tuple[str, str], int] = defaultdict(int)
    s, i, o = schema.stock, schema.inbound, schema.supply_options
    q_stock = select(s.c.part_number, s.c.depot_id, s.c.on_hand)
    q_inbound = select(i.c.part_number, i.c.depot_id, i.c.eta, i.c.quantity)
    q_options = select(o.c.part_number, o.c.source, o.c.supplier_id, o.c.capacity)
    if wanted is not None:
        q_stock = q_stock.where(s.c.part_number.in_(wanted))
        q_inbound = q_inbound.where(i.c.part_number.in_(wanted))
        q_options = q_options.where(o.c.part_number.in_(wanted))
    for part, depot, on_hand in connection.execute(q_stock):
        totals[(part, supply_key("stock", depot))] += int(on_hand)
    for part, depot, eta, quantity in connection.execute(q_inbound):
        totals[(part, supply_key("inbound", depot, eta))] += int(quantity)
    for part, kind, supplier, capacity in connection.execute(q_options):
        totals[(part, supply_key(kind, supplier))] += int(capacity)
    return dict(totals)


def check_ledger(connection: Connection) -> list[str]:
    """Every way the ledger disagrees with itself, the orders or the supply; empty when sound.

    Checks: no balance is negative; no order holds more than it asked for; only open orders
    hold units; no supply is promised beyond the units it has now.
    """
    entries = schema.ledger
    held = _signed()
    query = select(
        entries.c.order_id,
        entries.c.part_number,
        entries.c.supply_key,
        held.label("held"),
    ).group_by(entries.c.order_id, entries.c.part_number, entries.c.supply_key)
    problems: list[str] = []
    by_order: dict[str, int] = defaultdict(int)
    by_supply: dict[tuple[str, str], int] = defaultdict(int)
    for order_id, part, key, units in connection.execute(query):
        units = int(units)
        if units < 0:
            problems.append(f"order {order_id} holds {units} units of {part} from {key}")
        by_order[order_id] += units
        by_supply[(part, key)] += units
    o = schema.orders
    rows = connection.execute(select(o.c.order_id, o.c.quantity, o.c.status)).all()
    orders = {r.order_id: (int(r.quantity), r.status) for r in rows}
    for order_id, units in sorted(by_order.items()):
        quantity, status = orders.get(order_id, (0, "missing"))
        if units > quantity:
            problems.append(f"order {order_id} holds {units} units but asked for {quantity}")
        if units > 0 and status != "open":
            problems.append(f"order {order_id} is {status} but still holds {units} units")
    totals = supply_totals(connection)
    for (part, key), units in sorted(by_supply.items()):
        if units > totals.get((part, key), 0):
            problems.append(
                f"{part} from {key}: {units} units promised, {totals.get((part, key), 0)} exist"
            )
    return problems
