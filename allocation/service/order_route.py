"""``POST /orders`` without FastAPI's dependency solving, for the requests that need none.

FastAPI solves a route's dependencies on every request: the router's query check, the
client's token (already checked by :class:`~allocation.service.auth.AuthGate`), the
``Idempotency-Key`` header and the body, each through its machinery of parameters, caches
and error lists, some 0.1 ms of the server's CPU per post. For a post that FastAPI would
accept as it is — no query string, the token checked by the gate, a JSON body that the
route's own body field validates — the outcome of all that is known: the endpoint is
called with that body, that client and that header. :class:`OrderRoute` does exactly
that, validating the body with the very field FastAPI would use. Every other request
(anything FastAPI would refuse, or must look at more closely) goes the ordinary way, so
every 4xx answer is FastAPI's, unchanged.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute

from allocation.service.auth import CLIENT_STATE

__all__ = ["OrderRoute"]

Handler = Callable[[Request], Coroutine[Any, Any, Response]]


class OrderRoute(APIRoute):
    """The route of ``POST /orders``: FastAPI's handler, after a shortcut for plain posts.

    The endpoint must take ``request``, ``body``, ``client`` and ``key`` (the
    ``Idempotency-Key`` header) and return a :class:`Response`.
    """

    def get_route_handler(self) -> Handler:
        """FastAPI's handler, behind :meth:`_plain` (see the module)."""
        ordinary = super().get_route_handler()
        field = self.body_field
        endpoint = self.endpoint

        async def handler(request: Request) -> Response:
            plain = await _plain(request, field)
            if plain is None:
                return await ordinary(request)
            body, client = plain
            key = request.headers.get("idempotency-key")
            response = await endpoint(request=request, body=body, client=client, key=key)
            assert isinstance(response, Response)
            return response

        return handler


async def _plain(request: Request, field: Any) -> tuple[Any, str] | None:
    """The validated body and the client of a post FastAPI would take as it is; None for
    any other (it then takes the ordinary way, which answers it as it always did).

    As FastAPI: the body is JSON when the content type is ``application/json`` (with or
    without parameters), parsed by :func:`json.loads`, and validated by the route's body
    field at location ``body``. With a query string the router's check may refuse the
    request; without the gate's client the token is checked by the dependency.
    """
    scope = request.scope
    if field is None or scope.get("query_string"):
        return None
    client = scope.get("state", {}).get(CLIENT_STATE)
    kind = request.headers.get("content-type")
    if not isinstance(client, str) or kind is None:
        return None
    if kind.partition(";")[0].strip().lower() != "application/json":
        return None
    raw = await request.body()
    if not raw:
        return None
    try:
        data = json.loads(raw)
    except ValueError:  # malformed JSON or text: FastAPI words the 400
        return None
    body, errors = field.validate(data, {}, loc=("body",))
    if errors:
        return None
    return body, client
