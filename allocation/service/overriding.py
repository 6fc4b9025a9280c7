"""The override use cases: firm an order's planned units, forbid it a source, clear either.

Overrides are data (:mod:`allocation.adapters.store.overrides`), read by the planner as a
snapshot's ``overrides`` table is read by the engine, so they hold through every later
re-plan. Each change locks the order's part group, stores the rows and re-plans the group at
once from them; the ledger's entries of the re-plan are the feed's events, as for every
other write.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.engine import Connection

from allocation.adapters.store import ledger, overrides
from allocation.adapters.store.ledger import Stamp
from allocation.domain.overrides import Firm
from allocation.engine.model import FirmError
from allocation.service.answers import order_answers
from allocation.service.changes import locked_open_order
from allocation.service.models import (
    ClearIn,
    FirmIn,
    ForbidIn,
    OrderOverrides,
    OverrideAnswer,
    OverrideOut,
)
from allocation.service.planning import replan_groups
from allocation.service.problems import ConflictError, FieldError, UnprocessableError
from allocation.service.world import World

__all__ = ["clear_overrides", "firm_move", "firm_units", "forbid_source", "overrides_of"]


def overrides_of(connection: Connection, order_id: str) -> OrderOverrides:
    """An order's overrides as stored, oldest first."""
    return OrderOverrides(order_id=order_id, overrides=_listed(connection, order_id))


def firm_units(
    connection: Connection, world: World, now: datetime, order_id: str, body: FirmIn, client: str
) -> OverrideAnswer:
    """Firm units the order holds from one source kind and origin: no later plan moves them.

    Raises
    ------
    NotFoundError
        No such order.
    ConflictError
        The order is closed, or holds fewer units of that source than asked (none at all).
    """
    stamp = locked_open_order(connection, order_id, now)
    held = sum(
        h.quantity
        for h in ledger.held_by_orders(connection, [order_id])
        if (h.source, h.origin) == (body.source, body.origin)
    )
    what = f"{body.source} units from {body.origin}"
    if held == 0:
        raise ConflictError(
            f"order {order_id!r} holds no {what} in its plan: only planned units can be firmed",
            [FieldError("body.origin", "no such allocation line")],
            order_id=order_id,
        )
    quantity = body.quantity or held
    if quantity > held:
        raise ConflictError(
            f"order {order_id!r} holds {held} {what}, not {quantity}",
            [FieldError("body.quantity", f"more than the {held} units held")],
            order_id=order_id,
        )
    overrides.add(connection, order_id, "firm", body.source, body.origin, quantity, client, now)
    return _replanned(connection, world, stamp, order_id)


def forbid_source(
    connection: Connection, world: World, now: datetime, order_id: str, body: ForbidIn, client: str
) -> OverrideAnswer:
    """Forbid the order a source kind (from one origin, or from any): it loses the units it
    holds there, and the group is re-planned at once.

    Raises
    ------
    NotFoundError
        No such order.
    UnprocessableError
        An origin that is neither a depot nor a supplier.
    ConflictError
        The order is closed, or has units firmed from that source (clear the firm first).
    """
    if body.origin is not None and body.origin not in world.depots | world.suppliers:
        raise UnprocessableError(
            f"body.origin: unknown depot or supplier {body.origin!r}",
            [FieldError("body.origin", f"unknown depot or supplier {body.origin!r}")],
        )
    stamp = locked_open_order(connection, order_id, now)
    for o in overrides.of_order(connection, order_id):
        if o.kind == "firm" and o.source_kind == body.source and body.origin in (None, o.origin):
            raise ConflictError(
                f"order {order_id!r} has {o.quantity} {o.source_kind} unit(s) from {o.origin} "
                "firmed: clear the firm before forbidding its source",
                [FieldError("body.source", "a firmed source")],
                order_id=order_id,
            )
    overrides.add(connection, order_id, "forbid", body.source, body.origin, None, client, now)
    return _replanned(connection, world, stamp, order_id)


def firm_move(
    connection: Connection, world: World, now: datetime, stamp: Stamp, firm: Firm, client: str
) -> OverrideAnswer:
    """Firm units for an order that does not hold them yet: the line a move adds
    (:mod:`allocation.service.moving`), which the engine has checked the order can take;
    the caller holds the lock of the order's group (``stamp``), which is re-planned at once.

    Raises
    ------
    ConflictError
        The group's firms can no longer all be held.
    """
    overrides.add(
        connection, firm.order_id, "firm", firm.kind.value, firm.origin, firm.quantity, client, now
    )
    return _replanned(connection, world, stamp, firm.order_id)


def clear_overrides(
    connection: Connection, world: World, now: datetime, order_id: str, body: ClearIn
) -> OverrideAnswer:
    """Remove the order's overrides (those the body's fields match; all without any) and
    re-plan its group: firmed units may move again, forbidden sources serve again."""
    stamp = locked_open_order(connection, order_id, now)
    overrides.drop(connection, order_id, body.kind, body.source, body.origin)
    return _replanned(connection, world, stamp, order_id)


def _replanned(connection: Connection, world: World, stamp: Stamp, order_id: str) -> OverrideAnswer:
    try:
        changed = replan_groups(connection, world, {stamp.group_key: stamp}, reload=True)
    except FirmError as error:  # firms of the group the plan can no longer hold
        raise ConflictError(str(error), [FieldError("body", str(error))]) from None
    others = sorted(changed - {order_id})
    answers = order_answers(connection, [order_id, *others])
    return OverrideAnswer(
        order_id=order_id,
        overrides=_listed(connection, order_id),
        order=answers[order_id],
        replanned_orders=[answers[o] for o in others],
    )


def _listed(connection: Connection, order_id: str) -> list[OverrideOut]:
    return [
        OverrideOut(
            kind="firm" if o.kind == "firm" else "forbid",
            source=o.source_kind,
            origin=o.origin,
            quantity=o.quantity,
            created_at=o.created_at,
        )
        for o in overrides.of_order(connection, order_id)
    ]
