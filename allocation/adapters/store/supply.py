"""Changes to supply rows: stock on hand, scheduled receipts and supply options.

Callers hold the part group's lock. A change that would leave a negative count raises
:class:`NegativeStockError` and changes nothing.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.engine import Connection

from allocation.adapters.store import schema
from allocation.errors import InputError

__all__ = [
    "NegativeStockError",
    "add_inbound",
    "change_stock",
    "consume_supply",
    "replace_options",
]


class NegativeStockError(InputError):
    """A change would leave fewer than zero units."""


def change_stock(connection: Connection, part_number: str, depot_id: str, delta: int) -> int:
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
    return on_hand


def add_inbound(
    connection: Connection, part_number: str, depot_id: str, quantity: int, eta: datetime
) -> None:
    """Schedule a receipt."""
    connection.execute(
        insert(schema.inbound).values(
            part_number=part_number, depot_id=depot_id, quantity=quantity, eta=eta
        )
    )


def replace_options(
    connection: Connection, part_number: str, options: list[dict[str, Any]]
) -> None:
    """The part's supply options become exactly ``options``."""
    o = schema.supply_options
    connection.execute(delete(o).where(o.c.part_number == part_number))
    if options:
        connection.execute(insert(o), options)


def consume_supply(connection: Connection, part_number: str, key: str, quantity: int) -> None:
    """Take shipped units out of the supply a ledger ``supply_key`` names."""
    kind, _, rest = key.partition("|")
    if kind == "stock":
        change_stock(connection, part_number, rest, -quantity)
        return
    if kind == "inbound":
        depot, _, eta_text = rest.partition("|")
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
        return
    o = schema.supply_options
    where = (o.c.part_number == part_number) & (o.c.source == kind) & (o.c.supplier_id == rest)
    row = connection.execute(select(o.c.capacity).where(where)).first()
    capacity = (0 if row is None else int(row[0])) - quantity
    if capacity < 0:
        raise NegativeStockError(f"{kind} option of {part_number} from {rest} lacks units")
    connection.execute(update(o).where(where).values(capacity=capacity))
