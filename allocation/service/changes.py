"""Use cases that change orders and supply: cancel, ship, a failed purchase, receipts,
adjustments, inbound, supply options. Each locks the part groups it touches, changes the
rows, and re-plans those groups so that waiting ``parts_priority`` orders get freed or new
units first.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import datetime

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Connection

from allocation.adapters.store import events, ledger, overrides, schema
from allocation.adapters.store.database import lock_groups
from allocation.adapters.store.ledger import Stamp
from allocation.adapters.store.supply import (
    NegativeStockError,
    add_inbound,
    change_stock,
    consume_supply,
    fail_purchase,
    replace_options,
)
from allocation.domain.model import SourceKind
from allocation.service.answers import order_answers, supply_states
from allocation.service.backups import backups_taken, plan_in_step, take_backups
from allocation.service.models import (
    AdjustmentLine,
    InboundLine,
    OrderAnswer,
    PurchaseFailure,
    ReceiptLine,
    StockAnswer,
    SupplyOptionIn,
)
from allocation.service.planning import replan_groups
from allocation.service.problems import ConflictError, FieldError, NotFoundError, UnprocessableError
from allocation.service.world import World

__all__ = [
    "add_receipts",
    "adjust_stock",
    "cancel_order",
    "locked_open_order",
    "purchase_failed",
    "schedule_inbound",
    "set_supply_options",
    "ship_order",
]


def locked_open_order(connection: Connection, order_id: str, now: datetime) -> Stamp:
    """Lock the part group of an open order; its stamp. 404 for an unknown order, 409 for a
    closed one."""
    o = schema.orders
    row = connection.execute(select(o.c.group_key).where(o.c.order_id == order_id)).first()
    if row is None:
        raise NotFoundError(
            f"no order {order_id!r}", [FieldError("path.order_id", "unknown order")]
        )
    group_key = str(row[0])
    stamp = lock_groups(connection, [group_key], now)[group_key]
    status = connection.execute(select(o.c.status).where(o.c.order_id == order_id)).scalar_one()
    if status != "open":
        raise ConflictError(
            f"order {order_id!r} is already {status}",
            [FieldError("path.order_id", f"order is {status}")],
            order_id=order_id,
        )
    return stamp


def _close(connection: Connection, order_id: str, status: str, now: datetime) -> None:
    """Close an order at ``now``; whether it was ever short, and why, stay for reports. Its
    overrides go: they were decisions about its open need."""
    overrides.drop(connection, order_id)
    o = schema.orders
    connection.execute(
        update(o)
        .where(o.c.order_id == order_id)
        .values(status=status, backorder_quantity=0, backorder_reason=None, closed_at=now)
    )


def cancel_order(connection: Connection, world: World, now: datetime, order_id: str) -> OrderAnswer:
    """Cancel an open order; its units go back to the plan (to the orders that rank first)."""
    stamp = locked_open_order(connection, order_id, now)
    stamps = {stamp.group_key: stamp}
    planner = world.plans.prepare(connection, world, stamps, now)
    o = schema.orders
    part, quantity = connection.execute(
        select(o.c.part_number, o.c.quantity).where(o.c.order_id == order_id)
    ).one()
    events.append(connection, now, [events.Change("cancelled", order_id, part, int(quantity))])
    _close(connection, order_id, "cancelled", now)
    planner.remove_order(order_id)
    replan_groups(connection, world, stamps, reload=False)
    return order_answers(connection, [order_id])[order_id]


def ship_order(connection: Connection, world: World, now: datetime, order_id: str) -> OrderAnswer:
    """Ship what an open order holds: its promises are consumed and the units leave supply."""
    stamp = locked_open_order(connection, order_id, now)
    holdings = ledger.held_by_orders(connection, [order_id])
    if not holdings:
        raise ConflictError(
            f"order {order_id!r} holds no units to ship",
            [FieldError("path.order_id", "no units allocated")],
            order_id=order_id,
        )
    ledger.record(connection, stamp, [("consume", h) for h in holdings])
    for h in holdings:
        consume_supply(connection, stamp, h.part_number, h.supply_key, h.quantity)
    _close(connection, order_id, "shipped", now)
    replan_groups(connection, world, {stamp.group_key: stamp}, reload=True)
    return order_answers(connection, [order_id])[order_id]


PURCHASES = tuple(kind.value for kind in SourceKind if kind.is_purchase)
"""The sources that are purchases, which can fail."""


def purchase_failed(
    connection: Connection,
    world: World,
    now: datetime,
    order_id: str,
    failure: PurchaseFailure,
    client: str | None = None,
) -> OrderAnswer:
    """A purchase for an open order failed: its units leave the order and the supply option
    (they will not come), the failure is recorded, and the order's part group is re-planned
    at once, so the order waits for, or gets, units from elsewhere. With the policy's
    ``broker_backup``, a failed broker buy first takes the shelf units held for it, firmed
    (:mod:`allocation.service.backups`).

    Raises
    ------
    NotFoundError
        No such order.
    ConflictError
        The order is not open, the line is not a purchase, the order holds no such line
        (never allocated, shipped or failed already), or fewer units than ``quantity``.
    UnprocessableError
        Lines of several parts match and ``part_number`` does not say which.
    """
    stamp = locked_open_order(connection, order_id, now)
    # A broker buy may have units held for it (the policy's broker_backup): read them from
    # the plan the ledger holds, before the failure changes anything.
    backed = world.engine.policy.broker_backup and failure.source == SourceKind.BROKER.value
    plan = plan_in_step(connection, world, stamp) if backed else None
    what = f"{failure.source} units from {failure.origin}"
    if failure.source not in PURCHASES:
        raise ConflictError(
            f"{what} of order {order_id!r} are not a purchase: only expedite and broker "
            "purchases can fail",
            [FieldError("body.source", f"{failure.source} is not a purchase")],
            order_id=order_id,
        )
    lines = [
        h
        for h in ledger.held_by_orders(connection, [order_id])
        if (h.source, h.origin) == (failure.source, failure.origin)
        and failure.part_number in (None, h.part_number)
    ]
    if not lines:
        raise ConflictError(
            f"order {order_id!r} holds no {what}"
            + (f" of {failure.part_number}" if failure.part_number else "")
            + " (never allocated, shipped, or failed already)",
            [FieldError("body.origin", "no such allocation line")],
            order_id=order_id,
        )
    if len(lines) > 1:
        parts = ", ".join(h.part_number for h in lines)
        raise UnprocessableError(
            f"order {order_id!r} holds {what} of several parts ({parts}): name the part_number",
            [FieldError("body.part_number", f"one of {parts}")],
        )
    line = lines[0]
    quantity = failure.quantity or line.quantity
    if quantity > line.quantity:
        raise ConflictError(
            f"order {order_id!r} holds {line.quantity} {what}, not {quantity}",
            [FieldError("body.quantity", f"more than the {line.quantity} units held")],
            order_id=order_id,
        )
    connection.execute(
        insert(schema.purchase_failures).values(
            order_id=order_id,
            part_number=line.part_number,
            source=line.source,
            supplier_id=line.origin,
            quantity=quantity,
            reason=failure.reason,
            client_id=client,
            failed_at=now,
        )
    )
    failed = events.Change(
        "purchase_failed", order_id, line.part_number, quantity, line.source, line.origin
    )
    events.append(connection, now, [failed])
    _unfirm(connection, order_id, line, line.quantity - quantity, client, now)
    ledger.record(connection, stamp, [("release", replace(line, quantity=quantity))])
    fail_purchase(connection, stamp, line.part_number, line.supply_key, quantity)
    if plan is not None:  # the units held for the buy ship in its place
        take_backups(connection, order_id, backups_taken(plan, order_id, quantity), client, now)
    replan_groups(connection, world, {stamp.group_key: stamp}, reload=True, new_orders=[order_id])
    return order_answers(connection, [order_id])[order_id]


def _unfirm(
    connection: Connection,
    order_id: str,
    line: ledger.Holding,
    left: int,
    client: str | None,
    now: datetime,
) -> None:
    """A firm on a line whose units failed keeps at most the units ``left`` on it: the
    failed ones will not come, whatever was decided about them."""
    for firm in overrides.of_order(connection, order_id):
        if (firm.kind, firm.source_kind, firm.origin) != ("firm", line.source, line.origin):
            continue
        if left <= 0:
            overrides.drop(connection, order_id, "firm", line.source, line.origin)
        elif firm.quantity is not None and firm.quantity > left:
            overrides.add(connection, order_id, "firm", line.source, line.origin, left, client, now)


def _check_ids(world: World, lines: Iterable[tuple[int, str, str | None]], what: str) -> None:
    problems = []
    for i, part, depot in lines:
        if part not in world.group_of:
            problems.append(FieldError(f"body.{what}[{i}].part_number", f"unknown part {part!r}"))
        if depot is not None and depot not in world.depots:
            problems.append(FieldError(f"body.{what}[{i}].depot_id", f"unknown depot {depot!r}"))
    if problems:
        raise UnprocessableError(f"{problems[0].field}: {problems[0].message}", problems)


def _replanned(connection: Connection, world: World, stamps: Mapping[str, Stamp]) -> StockAnswer:
    groups = set(stamps)
    changed = replan_groups(connection, world, stamps, reload=True)
    answers = order_answers(connection, sorted(changed))
    group_parts = [p for g in sorted(groups) for p in world.parts_of.get(g, [])]
    return StockAnswer(
        supply=supply_states(connection, group_parts),
        replanned_orders=[answers[i] for i in sorted(answers)],
    )


def add_receipts(
    connection: Connection, world: World, now: datetime, lines: list[ReceiptLine]
) -> StockAnswer:
    """Units arrived at depots."""
    _check_ids(world, ((i, x.part_number, x.depot_id) for i, x in enumerate(lines)), "lines")
    parts = {x.part_number for x in lines}
    stamps = lock_groups(connection, {world.group_of[p] for p in parts}, now)
    for x in lines:
        stamp = stamps[world.group_of[x.part_number]]
        change_stock(connection, stamp, x.part_number, x.depot_id, x.quantity, "receipt")
    return _replanned(connection, world, stamps)


def adjust_stock(
    connection: Connection, world: World, now: datetime, lines: list[AdjustmentLine]
) -> StockAnswer:
    """Corrections of units on hand; none may leave a negative count."""
    _check_ids(world, ((i, x.part_number, x.depot_id) for i, x in enumerate(lines)), "lines")
    parts = {x.part_number for x in lines}
    stamps = lock_groups(connection, {world.group_of[p] for p in parts}, now)
    for i, x in enumerate(lines):
        stamp = stamps[world.group_of[x.part_number]]
        try:
            change_stock(connection, stamp, x.part_number, x.depot_id, x.delta, "adjustment")
        except NegativeStockError as error:
            raise ConflictError(
                str(error), [FieldError(f"body.lines[{i}].delta", str(error))]
            ) from None
    return _replanned(connection, world, stamps)


def schedule_inbound(
    connection: Connection, world: World, now: datetime, lines: list[InboundLine]
) -> StockAnswer:
    """Scheduled receipts: usable (by ETA) from now on."""
    _check_ids(world, ((i, x.part_number, x.depot_id) for i, x in enumerate(lines)), "lines")
    parts = {x.part_number for x in lines}
    stamps = lock_groups(connection, {world.group_of[p] for p in parts}, now)
    for x in lines:
        stamp = stamps[world.group_of[x.part_number]]
        add_inbound(connection, stamp, x.part_number, x.depot_id, x.quantity, x.eta)
    return _replanned(connection, world, stamps)


def set_supply_options(
    connection: Connection, world: World, now: datetime, options: list[SupplyOptionIn]
) -> StockAnswer:
    """Every part named gets exactly the options listed for it."""
    _check_ids(world, ((i, x.part_number, None) for i, x in enumerate(options)), "options")
    problems = []
    seen: set[tuple[str, str, str]] = set()
    for i, x in enumerate(options):
        if x.supplier_id not in world.suppliers:
            problems.append(
                FieldError(
                    f"body.options[{i}].supplier_id",
                    f"unknown supplier {x.supplier_id!r} "
                    f"(known: {', '.join(sorted(world.suppliers))})",
                )
            )
        key = (x.part_number, x.source, x.supplier_id)
        if key in seen:
            problems.append(FieldError(f"body.options[{i}]", f"{key} is listed twice"))
        seen.add(key)
    if problems:
        raise UnprocessableError(f"{problems[0].field}: {problems[0].message}", problems)
    parts = {x.part_number for x in options}
    stamps = lock_groups(connection, {world.group_of[p] for p in parts}, now)
    for part in sorted(parts):
        listed = [x.model_dump() for x in options if x.part_number == part]
        replace_options(connection, stamps[world.group_of[part]], part, listed)
    return _replanned(connection, world, stamps)
