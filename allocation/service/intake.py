"""The order intake use case: validate, decide entitlement, store, re-plan, answer.

All order lines of a request are accepted together or not at all. Each line's priority
class comes from the entitlement engine (:func:`allocation.domain.entitlement.decide_entitlement`)
and its allocation from re-planning its part group with the allocation engine.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection

from allocation.adapters.store import schema
from allocation.adapters.store.database import lock_groups
from allocation.adapters.store.statements import Raw, driver_moment, pair, pick, run_raw_many
from allocation.domain.entitlement import check_product_types
from allocation.domain.model import OrderLine, Tier
from allocation.engine.incremental import Decided
from allocation.errors import InputError, UnknownProductTypeError
from allocation.service.answers import new_order_answer, order_answers
from allocation.service.entitled import decide, decided_columns
from allocation.service.models import OrderAnswer, OrderIn
from allocation.service.planning import NOT_SHORT, plan_arrivals, record_arrivals
from allocation.service.problems import ConflictError, FieldError, UnprocessableError
from allocation.service.world import World

__all__ = ["create_orders"]


def _check(world: World, orders: list[OrderIn], batch: bool) -> None:
    problems: list[FieldError] = []
    seen: dict[str, int] = {}
    for i, order in enumerate(orders):
        where = f"body.orders[{i}]" if batch else "body"
        if order.order_id in seen:
            problems.append(
                FieldError(
                    f"{where}.order_id",
                    f"order {order.order_id!r} appears twice "
                    f"(also at orders[{seen[order.order_id]}])",
                )
            )
        seen.setdefault(order.order_id, i)
        if order.customer_id not in world.customers:
            problems.append(
                FieldError(f"{where}.customer_id", f"unknown customer {order.customer_id!r}")
            )
        if order.part_number not in world.group_of:
            problems.append(
                FieldError(f"{where}.part_number", f"unknown part {order.part_number!r}")
            )
        try:
            check_product_types([(order.order_id, _product_type(order))], world.entitlement_policy)
        except UnknownProductTypeError as error:
            problems.append(FieldError(f"{where}.product_type", str(error)))
    if problems:
        raise UnprocessableError(f"{problems[0].field}: {problems[0].message}", problems)


def _product_type(order: OrderIn) -> str:
    """The product type as the rules spell it: lower case, words joined by ``_``."""
    return order.product_type.strip().lower().replace(" ", "_").replace("-", "_")


ORDER_ROW = (
    "order_id",
    "customer_id",
    "part_number",
    "group_key",
    "quantity",
    "created_at",
    "product_type",
    "warranty_valid",
    "ship_to_country",
    "country",
    "priority_class",
    "tier",
    "reasons",
    "status",
    "backorder_quantity",
    "backorder_reason",
    "backorder_code",
    "backordered",
    "lost_code",
    "client_id",
    "need_by",
)
"""The columns of an order's row, as a write inserts it."""


def _row(
    world: World, order: OrderIn, now: datetime, client: str
) -> tuple[dict[str, Any], Decided]:
    """The order's row as a write inserts it, and its entitlement (which the planner takes
    as decided here, rather than deciding it again)."""
    created = order.created_at or now
    line = OrderLine(
        order_id=order.order_id,
        customer_id=order.customer_id,
        part_number=order.part_number,
        quantity=order.quantity,
        created_at=created,
        product_type=_product_type(order),
        warranty_valid=order.warranty_valid,
        ship_to_country=order.ship_to_country,
    )
    decision = decide(world, line)
    decided = decided_columns(decision)
    row = {
        "order_id": line.order_id,
        "customer_id": line.customer_id,
        "part_number": line.part_number,
        "group_key": world.group_of[line.part_number],
        "quantity": line.quantity,
        "created_at": created,
        "product_type": line.product_type,
        "warranty_valid": line.warranty_valid,
        "ship_to_country": line.ship_to_country,
        **decided,
        "need_by": _need_by(world, order, created, decided),
        "status": "open",
        "backorder_quantity": 0,
        "backorder_reason": None,
        "backorder_code": None,
        "backordered": False,
        "client_id": client,
    }
    return row, Decided(decision.priority_class, Tier(decision.tier), decision.country)


def _need_by(
    world: World, order: OrderIn, created: datetime, decided: dict[str, Any]
) -> datetime | None:
    """The order's target, fixed at intake: its own, else created + the service policy's
    response time for its tier, product type and site country (the rule of
    :mod:`allocation.domain.response`), else none. Stored so, it is what the planner reads
    on every later re-plan, and what a restart with another policy keeps promising."""
    if order.need_by is not None:
        return order.need_by
    hours = world.context.policy.response_hours.hours(
        Tier(decided["tier"]), _product_type(order), str(decided["country"])
    )
    return None if hours is None else created + timedelta(hours=hours)


_EXISTING = pair(
    lambda match: select(schema.orders.c.order_id).where(match), schema.orders.c.order_id, "ids"
)
_INSERT = Raw.of(
    f"INSERT INTO orders ({', '.join(ORDER_ROW)}) VALUES ({', '.join('?' * len(ORDER_ROW))}) "
    "ON CONFLICT (order_id) DO NOTHING"
)


def create_orders(
    connection: Connection,
    world: World,
    now: datetime,
    orders: list[OrderIn],
    client: str,
    batch: bool = False,
) -> list[OrderAnswer]:
    """Store new order lines and re-plan their part groups; the answers, in posted order.

    The planner takes the orders first, so each row is written once, with its backorder; an
    order id that exists already (open or closed) makes the insert change fewer rows than
    it was given, and the write is refused (the planner forgets what it was told when a
    write is refused). A batch looks for existing ids before it plans.

    Raises
    ------
    UnprocessableError
        Unknown customers or parts, or an order id twice in the batch (every problem named).
    ConflictError
        An order id that already exists (the first one is named).
    """
    _check(world, orders, batch)
    ids = [o.order_id for o in orders]
    stamps = lock_groups(connection, {world.group_of[o.part_number] for o in orders}, now)
    if len(ids) > 1:
        _refuse_existing(connection, ids, batch)
    planner = world.plans.prepare(connection, world, stamps, now)
    before = {g: planner.group_plan(world.parts_of[g][0]) for g in stamps}
    made = [_row(world, order, now, client) for order in orders]
    rows = [row for row, _ in made]
    try:
        for row, decided in made:
            planner.add_order(row, decided)
    except InputError:
        _refuse_existing(connection, ids, batch)  # an open order of that id: a 409
        raise
    arrivals = plan_arrivals(world, stamps, before, ids)
    values = []
    for row in rows:
        short = arrivals.backorders.get(row["order_id"], NOT_SHORT)
        row = {
            **row,
            "backorder_quantity": short.quantity,
            "backorder_reason": short.reason,
            "backorder_code": short.code,
            "backordered": short.quantity > 0,
        }
        values.append([row[c] for c in ORDER_ROW])
        values[-1][ORDER_ROW.index("created_at")] = driver_moment(connection, row["created_at"])
        values[-1][ORDER_ROW.index("need_by")] = driver_moment(connection, row["need_by"])
    if run_raw_many(connection, _INSERT, values) < len(values):
        _refuse_existing(connection, ids, batch)
        raise AssertionError("an order row was not written, yet none of its ids exists")
    if not record_arrivals(connection, world, arrivals):
        answers = order_answers(connection, ids)
        return [answers[i] for i in ids]
    return [
        new_order_answer(
            row,
            arrivals.holdings[row["order_id"]],
            arrivals.backorders.get(row["order_id"], NOT_SHORT),
        )
        for row in rows
    ]


def _refuse_existing(connection: Connection, ids: list[str], batch: bool) -> None:
    """A 409 naming the first of ``ids`` that the database holds already, if any does."""
    existing = sorted(str(i) for (i,) in connection.execute(*pick(_EXISTING, "ids", ids)))
    if not existing:
        return
    first = existing[0]
    index = ids.index(first)
    field = f"body.orders[{index}].order_id" if batch else "body.order_id"
    raise ConflictError(
        f"order {first!r} already exists",
        [FieldError(field, f"order {first!r} already exists")],
        order_id=first,
        location=f"/orders/{first}",
    )
