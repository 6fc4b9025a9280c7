"""The move routes: preview moving units from one order to another, and make the move; and
``GET /policy``, the policy the moves (and every plan) are made with. They only translate:
the use cases are :mod:`allocation.service.moving` and :mod:`allocation.service.policy`.

A move names orders, not parts, so on PostgreSQL with partitioned writers it runs where the
override writes run: at the writer of the server that received it
(:mod:`allocation.service.forwarding`).
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy.engine import Connection

from allocation.service.clock import utc_now
from allocation.service.jobs import MoveUnits
from allocation.service.move_models import MoveAnswer, MoveImpactOut, MoveIn, PolicyOut
from allocation.service.moving import preview_move
from allocation.service.policy import service_policy
from allocation.service.routes import (
    _ERRORS,
    Client,
    Key,
    OrderPath,
    _known_query,
    _read,
    _world,
    _write,
)

__all__ = ["move_router"]

move_router = APIRouter(responses=_ERRORS, dependencies=[Depends(_known_query)])


@move_router.post("/orders/{order_id}/move-preview", response_model=MoveImpactOut)
def move_preview(
    request: Request, order_id: OrderPath, body: MoveIn, client: Client
) -> MoveImpactOut:
    """What moving units of this order's line (the one with the best ETA, or the body's
    source and origin) to ``to_order`` would do: the objective's levels before and after,
    the orders whose units or ETA change, and the firm line it would add. Nothing is
    written. 404 for an unknown order; 409 when the engine refuses the move (orders in
    different part groups, more units than the line has, a source ``to_order`` may not
    use), with its message."""

    def work(connection: Connection) -> MoveImpactOut:
        world = _world(request, connection)
        return preview_move(connection, world, utc_now(), order_id, body)

    result = _read(request, work)
    assert isinstance(result, MoveImpactOut)
    return result


@move_router.post("/orders/{order_id}/move", response_model=MoveAnswer)
async def move(
    request: Request, order_id: OrderPath, body: MoveIn, client: Client, key: Key = None
) -> Response:
    """Make the move: firm the units for ``to_order`` (an override, cleared like any other)
    and re-plan the part group at once; the changes are on ``/events``. Answers the impact
    as applied, with ``to_order`` and every order the re-plan moved. Refused as the preview
    is."""
    work = MoveUnits(order_id, body, client)
    return await _write(request, client, key, body.model_dump(mode="json"), work)


@move_router.get("/policy", response_model=PolicyOut)
def get_policy(request: Request, client: Client) -> PolicyOut:
    """The allocation policy the database's servers plan with: its file's name, the SHA-256
    of its document, and the document ('default' and an empty one when none was loaded)."""
    policy = _read(request, service_policy)
    return PolicyOut(
        name=policy.name,
        sha256=policy.sha256,
        loaded_at=policy.loaded_at,
        document=policy.document,
    )
