"""``GET /orders/{id}/backups``: the shelf units an order's broker buy holds (the policy's
``broker_backup``). It only translates: the use case is :mod:`allocation.service.backups`."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from sqlalchemy.engine import Connection

from allocation.service.backup_models import OrderBackups
from allocation.service.backups import order_backups
from allocation.service.clock import utc_now
from allocation.service.routes import _ERRORS, Client, OrderPath, _known_query, _read, _world

__all__ = ["backup_router"]

backup_router = APIRouter(responses=_ERRORS, dependencies=[Depends(_known_query)])


@backup_router.get("/orders/{order_id}/backups", response_model=OrderBackups)
def get_backups(request: Request, order_id: OrderPath, client: Client) -> OrderBackups:
    """The shelf units held for the order's broker units, nearest first: held, not
    promised, and shipped in the buy's place if it fails (``POST /orders/{id}/purchase-failed``
    firms them). Empty for an order with no broker units, a closed one, or when the policy
    holds no backups (``broker_backup`` false, the default)."""

    def work(connection: Connection) -> OrderBackups:
        return order_backups(connection, _world(request, connection), order_id, utc_now())

    result = _read(request, work)
    assert isinstance(result, OrderBackups)
    return result
