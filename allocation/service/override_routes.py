"""The override routes: firm an order's planned units, forbid it a source, clear its
overrides (keyed writes like every other), and read them. They only translate: the use
cases are :mod:`allocation.service.overriding`.

A write names an order, not a part, so on PostgreSQL with partitioned writers it runs where
cancel and ship run: at the writer of the server that received it
(:mod:`allocation.service.forwarding`).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Depends, Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.engine import Connection

from allocation.adapters.store import schema
from allocation.service.jobs import ChangeOverrides
from allocation.service.models import ClearIn, FirmIn, ForbidIn, OrderOverrides, OverrideAnswer
from allocation.service.overriding import overrides_of
from allocation.service.problems import FieldError, NotFoundError
from allocation.service.routes import (
    _ERRORS,
    Client,
    Key,
    OrderPath,
    _known_query,
    _read,
    _write,
)

__all__ = ["override_router"]

override_router = APIRouter(responses=_ERRORS, dependencies=[Depends(_known_query)])


async def _change(
    request: Request, order_id: str, body: FirmIn | ForbidIn | ClearIn, client: str, key: str | None
) -> Response:
    work = ChangeOverrides(order_id, body, client)
    return await _write(request, client, key, body.model_dump(mode="json"), work)


@override_router.post("/orders/{order_id}/firm", response_model=OverrideAnswer)
async def firm(
    request: Request, order_id: OrderPath, body: FirmIn, client: Client, key: Key = None
) -> Response:
    """Firm units the order holds in its plan (source kind and origin of one of its lines):
    they are released for delivery, and no later plan moves them, not even for an order
    that ranks first. 409 when the order holds no such units."""
    return await _change(request, order_id, body, client, key)


@override_router.post("/orders/{order_id}/forbid", response_model=OverrideAnswer)
async def forbid(
    request: Request, order_id: OrderPath, body: ForbidIn, client: Client, key: Key = None
) -> Response:
    """Forbid the order a source kind, from one origin or from any: the order is re-planned
    at once without it, and no later plan uses it."""
    return await _change(request, order_id, body, client, key)


@override_router.post("/orders/{order_id}/overrides/clear", response_model=OverrideAnswer)
async def clear(
    request: Request,
    order_id: OrderPath,
    client: Client,
    body: Annotated[ClearIn | None, Body()] = None,
    key: Key = None,
) -> Response:
    """Remove the order's overrides (those matching the body's fields; all without a body)
    and re-plan it at once."""
    return await _change(request, order_id, body or ClearIn(), client, key)


@override_router.get("/orders/{order_id}/overrides", response_model=OrderOverrides)
def get_overrides(request: Request, order_id: OrderPath, client: Client) -> OrderOverrides:
    """The order's firmed lines and forbidden sources, oldest first."""

    def work(connection: Connection) -> OrderOverrides:
        o = schema.orders
        found = connection.execute(select(o.c.order_id).where(o.c.order_id == order_id)).first()
        if found is None:
            raise NotFoundError(
                f"no order {order_id!r}", [FieldError("path.order_id", "unknown order")]
            )
        return overrides_of(connection, order_id)

    result = _read(request, work)
    assert isinstance(result, OrderOverrides)
    return result
