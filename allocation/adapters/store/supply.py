"""Supply rows: stock on hand, scheduled receipts and supply options; what each supply has
(:func:`supply_units`), and changes to them.

Callers hold the part group's lock and pass its :class:`~.ledger.Stamp`. Every change to the
units a supply has is appended to the supply journal in the same transaction, so the ledger's
promises can be replayed against the units that existed at each write. A change that would
leave a negative count raises :class:`NegativeStockError` and changes nothing.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.engine import Connection

from allocation.adapters.store import schema
from allocation.adapters.store.ledger import Stamp, supply_key
from allocation.adapters.store.statements import Raw, placeholders, read_moment, run_raw
from allocation.errors import InputError

__all__ = [
    "NegativeStockError",
    "add_inbound",
    "change_stock",
    "consume_supply",
    "fail_purchase",
    "journal",
    "replace_options",
    "supply_units",
]


class NegativeStockError(InputError):
    """A change would leave fewer than zero units."""


def supply_units(connection: Connection, part_numbers: Iterable[str]) -> dict[tuple[str, str], int]:
    """Units each supply of some parts has now, by (part_number, supply_key).

    What :func:`~allocation.adapters.store.reconcile.supply_totals` finds for those parts,
    in one statement for the driver: a write checks its part group's supply against its
    plan on every order that gets units.
    """
    parts = sorted(set(part_numbers))
    if not parts:
        return {}
    among = placeholders(len(parts))
    statement = Raw.of(
        f"SELECT 'stock', part_number, depot_id, NULL, on_hand FROM stock "
        f"WHERE part_number IN ({among}) UNION ALL "
        f"SELECT 'inbound', part_number, depot_id, eta, quantity FROM inbound "
        f"WHERE part_number IN ({among}) UNION ALL "
        f"SELECT source, part_number, supplier_id, NULL, capacity FROM supply_options "
        f"WHERE part_number IN ({among})"
    )
    totals: dict[tuple[str, str], int] = defaultdict(int)
    for kind, part, origin, eta, units in run_raw(connection, statement, parts * 3).fetchall():
        release = read_moment(eta) if kind == "inbound" else None
        totals[(str(part), supply_key(str(kind), str(origin), release))] += int(units)
    return dict(totals)


def journal(
    connection: Connection, stamp: Stamp, event: str, changes: list[tuple[str, str, int]]
) -> None:
    """Append (part_number, supply_key, delta) changes of units to the supply journal."""
    rows = [
        {
            "group_key": stamp.group_key,
            "txn": stamp.txn,
            "event": event,
            "part_number": part,
            "supply_key": key,
            "delta": delta,
            "recorded_at": stamp.at,
        }
        for part, key, delta in changes
        if delta
    ]
    if rows:
        connection.execute(insert(schema.supply_journal), rows)


def change_stock(
    connection: Connection, stamp: Stamp, part_number: str, depot_id: str, delta: int, event: str
) -> int:
    """Add ``delta`` (negative: remove) units on hand of a part at a depot; the new count."""
    s = schema.stock
    where = (s.c.part_number == part_number) & (s.c.depot_id == depot_id)
    row = connection.execute(select(s.c.on_hand).where(where)).first()
    on_hand = (0 if row is None else int(row[0])) + delta
    if on_hand < 0:
        raise NegativeStockError(
            f"stock of {part_number} at {depot_id} would become {on_hand} "
            f"({on_hand - delta} on hand, change {delta})"
        )
    if row is None:
        connection.execute(
            insert(s).values(part_number=part_number, depot_id=depot_id, on_hand=on_hand)
        )
    else:
        connection.execute(update(s).where(where).values(on_hand=on_hand))
    journal(connection, stamp, event, [(part_number, supply_key("stock", depot_id), delta)])
    return on_hand


def add_inbound(
    connection: Connection,
    stamp: Stamp,
    part_number: str,
    depot_id: str,
    quantity: int,
    eta: datetime,
) -> None:
    """Schedule a receipt (its ETA is kept to the second, as supply keys name it)."""
    eta = eta.replace(microsecond=0)
    connection.execute(
        insert(schema.inbound).values(
            part_number=part_number, depot_id=depot_id, quantity=quantity, eta=eta
        )
    )
    key = supply_key("inbound", depot_id, eta)
    journal(connection, stamp, "inbound", [(part_number, key, quantity)])


def replace_options(
    connection: Connection, stamp: Stamp, part_number: str, options: list[dict[str, Any]]
) -> None:
    """The part's supply options become exactly ``options``."""
    o = schema.supply_options
    before = {
        supply_key(kind, supplier): int(capacity)
        for kind, supplier, capacity in connection.execute(
            select(o.c.source, o.c.supplier_id, o.c.capacity).where(o.c.part_number == part_number)
        )
    }
    after = {supply_key(x["source"], x["supplier_id"]): int(x["capacity"]) for x in options}
    connection.execute(delete(o).where(o.c.part_number == part_number))
    if options:
        connection.execute(insert(o), options)
    changes = [
        (part_number, key, after.get(key, 0) - before.get(key, 0))
        for key in sorted(set(before) | set(after))
    ]
    journal(connection, stamp, "options", changes)


def consume_supply(
    connection: Connection, stamp: Stamp, part_number: str, key: str, quantity: int
) -> None:
    """Take shipped units out of the supply a ledger ``supply_key`` names."""
    kind, _, rest = key.partition("|")
    if kind == "stock":
        change_stock(connection, stamp, part_number, rest, -quantity, "ship")
        return
    if kind == "inbound":
        _consume_receipt(connection, part_number, key, quantity)
    else:
        _take_option(connection, part_number, kind, rest, quantity)
    journal(connection, stamp, "ship", [(part_number, key, -quantity)])


def fail_purchase(
    connection: Connection, stamp: Stamp, part_number: str, key: str, quantity: int
) -> None:
    """Take the units of a failed purchase out of the expedite or broker option a ledger
    ``supply_key`` names: they will not come."""
    kind, _, supplier = key.partition("|")
    if kind not in ("expedite", "broker"):
        raise InputError(f"{key} is not a purchase (expedite or broker)")
    _take_option(connection, part_number, kind, supplier, quantity)
    journal(connection, stamp, "purchase_failed", [(part_number, key, -quantity)])


def _take_option(
    connection: Connection, part_number: str, kind: str, supplier: str, quantity: int
) -> None:
    o = schema.supply_options
    where = (o.c.part_number == part_number) & (o.c.source == kind) & (o.c.supplier_id == supplier)
    row = connection.execute(select(o.c.capacity).where(where)).first()
    capacity = (0 if row is None else int(row[0])) - quantity
    if capacity < 0:
        raise NegativeStockError(f"{kind} option of {part_number} from {supplier} lacks units")
    connection.execute(update(o).where(where).values(capacity=capacity))


def _consume_receipt(connection: Connection, part_number: str, key: str, quantity: int) -> None:
    depot, _, eta_text = key.split("|", 1)[1].partition("|")
    i = schema.inbound
    rows = connection.execute(
        select(i.c.inbound_id, i.c.quantity)
        .where(
            i.c.part_number == part_number,
            i.c.depot_id == depot,
            i.c.eta == datetime.fromisoformat(eta_text),
        )
        .order_by(i.c.inbound_id)
    ).all()
    left = quantity
    for inbound_id, units in rows:
        take = min(left, int(units))
        if take == int(units):
            connection.execute(delete(i).where(i.c.inbound_id == inbound_id))
        elif take:
            connection.execute(
                update(i).where(i.c.inbound_id == inbound_id).values(quantity=units - take)
            )
        left -= take
    if left:
        raise NegativeStockError(f"receipt {key} of {part_number} lacks {left} units")
