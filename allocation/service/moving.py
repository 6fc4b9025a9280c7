"""The move use cases: preview what moving units from one order to another would do, and
make the move.

A move firms units of the giving order's line for the taking order
(:mod:`allocation.engine._moves`). Its impact is the engine's own
(:meth:`allocation.engine.Engine.preview_move`), planned on the part group the two orders
share, as the database holds it now — not on the whole world: part groups are independent,
so the group's plans before and after are the full plans restricted to it. Making the move
adds the firm line through the override use case (:func:`~allocation.service.overriding.
firm_move`) under the group's lock, and re-plans the group at once; the ledger's entries of
that re-plan are the feed's events, as for every other write.

The engine's refusals (no such line, fewer units on it, a source the taking order may not
use) are conflicts with the plan as it stands: 409, as the firm route answers an order that
holds no such units.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import TYPE_CHECKING, NamedTuple

import numpy as np
import pandas as pd
from sqlalchemy import select
from sqlalchemy.engine import Connection

from allocation.adapters.store import schema
from allocation.adapters.store.overrides import overrides_table
from allocation.domain.overrides import MoveError
from allocation.domain.snapshot import Snapshot
from allocation.engine import Engine
from allocation.service.cap_history import taken_earlier
from allocation.service.changes import locked_open_order
from allocation.service.group_rows import ORDER_COLUMNS, group_tables, snapshot_of_rows
from allocation.service.move_models import (
    FirmLine,
    LevelChange,
    MoveAnswer,
    MoveImpactOut,
    MoveIn,
    MoveLine,
    OrderImpact,
)
from allocation.service.overriding import firm_move
from allocation.service.problems import ConflictError, FieldError, NotFoundError
from allocation.service.world import World

if TYPE_CHECKING:  # the façade's answer; its module is the engine's own
    from allocation.engine._moves import MoveImpact

__all__ = ["group_snapshot", "move_units", "preview_move"]


class _Order(NamedTuple):
    group_key: str
    status: str


def preview_move(
    connection: Connection, world: World, now: datetime, from_order: str, body: MoveIn
) -> MoveImpactOut:
    """The impact of a move, planned on the orders' part group; nothing is written.

    Raises
    ------
    NotFoundError
        Either order is unknown.
    ConflictError
        Either order is closed, they are in different part groups, or the engine refuses
        the move (its message).
    """
    group_key = _same_open_group(connection, from_order, body.to_order)
    return _out(_impact(connection, world, now, group_key, from_order, body), applied=False)


def move_units(
    connection: Connection,
    world: World,
    now: datetime,
    from_order: str,
    body: MoveIn,
    client: str,
) -> MoveAnswer:
    """Make a move: firm the units for the taking order and re-plan the group at once.

    The impact is planned after the group is locked, so it is the one the move makes.
    Raises what :func:`preview_move` raises.
    """
    stamp = locked_open_order(connection, from_order, now)
    group_key = _same_open_group(connection, from_order, body.to_order)
    impact = _impact(connection, world, now, group_key, from_order, body)
    made = firm_move(connection, world, now, stamp, impact.firm, client)
    out = _out(impact, applied=True)
    return MoveAnswer(
        **dict(out),
        overrides=made.overrides,
        order=made.order,
        replanned_orders=made.replanned_orders,
    )


def group_snapshot(connection: Connection, world: World, group_key: str, now: datetime) -> Snapshot:
    """The part group as a snapshot seen from ``now``: its open orders, supply and
    overrides, and the load's master data."""
    parts = world.parts_of.get(group_key, [])
    stock, inbound, options = group_tables(connection, parts)
    return snapshot_of_rows(
        world.snapshot,
        _orders(connection, group_key),
        stock,
        inbound,
        options,
        overrides_table(connection, group_key),
        now,
        taken_earlier(connection, world.context.policy, parts, now),
    )


def _impact(
    connection: Connection,
    world: World,
    now: datetime,
    group_key: str,
    from_order: str,
    body: MoveIn,
) -> MoveImpact:
    snapshot = group_snapshot(connection, world, group_key, now)
    engine = Engine(snapshot, world.engine.policy, world.entitlement_policy)
    source = None if body.source is None or body.origin is None else (body.source, body.origin)
    try:
        return engine.preview_move(from_order, body.to_order, body.units, source)
    except MoveError as error:
        raise ConflictError(str(error), [FieldError("body", str(error))]) from None


def _same_open_group(connection: Connection, from_order: str, to_order: str) -> str:
    """The part group of two open orders; 404 for an unknown one, 409 for a closed one or
    two groups (units move only within a part group: no other part can stand in)."""
    if from_order == to_order:
        message = f"move: from and to are the same order {from_order!r}"
        raise ConflictError(message, [FieldError("body.to_order", "the order itself")])
    o = schema.orders
    rows = connection.execute(
        select(o.c.order_id, o.c.group_key, o.c.status).where(
            o.c.order_id.in_([from_order, to_order])
        )
    ).all()
    found = {str(r[0]): _Order(str(r[1]), str(r[2])) for r in rows}
    for order_id, field in ((from_order, "path.order_id"), (to_order, "body.to_order")):
        if order_id not in found:
            raise NotFoundError(f"no order {order_id!r}", [FieldError(field, "unknown order")])
        if found[order_id].status != "open":
            status = found[order_id].status
            raise ConflictError(
                f"order {order_id!r} is already {status}",
                [FieldError(field, f"order is {status}")],
                order_id=order_id,
            )
    giver, taker = found[from_order], found[to_order]
    if giver.group_key != taker.group_key:
        raise ConflictError(
            f"move {from_order} → {to_order}: {to_order} is in part group "
            f"{taker.group_key!r}, {from_order} in {giver.group_key!r}: units move only "
            "within a part group",
            [FieldError("body.to_order", "another part group")],
        )
    return giver.group_key


def _orders(connection: Connection, group_key: str) -> pd.DataFrame:
    """Open orders of a group as an orders table (the snapshot's columns)."""
    o = schema.orders
    rows = connection.execute(
        select(*(o.c[name] for name in ORDER_COLUMNS))
        .where(o.c.group_key == group_key, o.c.status == "open")
        .order_by(o.c.order_id)
    ).all()
    columns = list(zip(*rows, strict=True)) if rows else [()] * len(ORDER_COLUMNS)
    values = dict(zip(ORDER_COLUMNS, columns, strict=True))
    return pd.DataFrame(
        {
            "order_id": pd.Series(values["order_id"], dtype=object),
            "customer_id": pd.Series(values["customer_id"], dtype=object),
            "part_number": pd.Series(values["part_number"], dtype=object),
            "quantity": np.array(values["quantity"], dtype=np.int64),
            "created_at": pd.Series(values["created_at"], dtype="datetime64[ns]"),
            "product_type": pd.Series(values["product_type"], dtype=object),
            "warranty_valid": np.array(values["warranty_valid"], dtype=bool),
            "ship_to_country": pd.Series(values["ship_to_country"], dtype=object),
            "need_by": pd.Series(values["need_by"], dtype="datetime64[ns]"),
        }
    )


_IMPACT_COLUMNS = (
    "order_id",
    "priority_class",
    "units_before",
    "units_after",
    "eta_before",
    "eta_after",
)


def _hours(value: float) -> float | None:
    return None if math.isnan(value) else float(value)


def _out(impact: MoveImpact, applied: bool) -> MoveImpactOut:
    firm = impact.firm
    return MoveImpactOut(
        move=MoveLine(
            from_order=impact.from_order,
            to_order=firm.order_id,
            units=firm.quantity,
            source=firm.kind.value,
            origin=firm.origin,
        ),
        firm=FirmLine(
            order_id=firm.order_id,
            source=firm.kind.value,
            origin=firm.origin,
            quantity=firm.quantity,
        ),
        levels=[
            LevelChange(level=str(r.level), before=r.before, after=r.after, change=r.change)
            for r in impact.levels.itertuples(index=False)
        ],
        orders=[
            OrderImpact(
                order_id=str(order_id),
                priority_class=str(klass),
                units_before=int(before),
                units_after=int(after),
                eta_before_hours=_hours(eta_before),
                eta_after_hours=_hours(eta_after),
            )
            for order_id, klass, before, after, eta_before, eta_after in zip(
                *(impact.orders[c].tolist() for c in _IMPACT_COLUMNS), strict=True
            )
        ],
        applied=applied,
    )
