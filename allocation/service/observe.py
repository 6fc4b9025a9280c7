"""Each request measured once, for the access log and the metrics.

The middleware is the app's outermost, so it sees every answer, refusals before routing
included (a 401 from the token gate, a 413 from the body limit), and times a request from
its head to the end of its answer.
"""

from __future__ import annotations

import logging
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from allocation.service.logs import ACCESS_FIELDS, ACCESS_LOGGER, escaped
from allocation.service.metrics import Metrics

__all__ = ["NO_ANSWER", "PROTOCOL_ANSWER", "UNROUTED", "Observe", "log_access", "route_label"]

_access = logging.getLogger(ACCESS_LOGGER)
UNROUTED = "none"
"""The ``route`` label of a request refused before it reached a route."""
NO_ANSWER = 499
"""The status recorded when the app sent nothing: the client left, or the HTTP protocol
answered for it (a 408 when the body was too slow; see :mod:`allocation.service.protocol`)."""
PROTOCOL_ANSWER = "parts_priority_protocol_answer"
"""Key in the scope's ``state`` of the status the HTTP protocol answered a request with."""


class Observe:
    """ASGI middleware: an access line (method, path, status, ms, client) and the request
    metrics (:mod:`allocation.service.metrics`) for every HTTP request."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = NO_ANSWER

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, sending)
        except Exception:
            status = 500  # what the outermost error handler answers
            raise
        finally:
            seconds = time.perf_counter() - start
            if status == NO_ANSWER:
                status = int(scope.get("state", {}).get(PROTOCOL_ANSWER, NO_ANSWER))
            route = route_label(scope)
            method = str(scope["method"])
            self.metrics.observe_request(method, route, status, seconds)
            if _access.isEnabledFor(logging.INFO):
                log_access(scope, method, status, seconds)


def route_label(scope: Scope) -> str:
    """The route's template (``/orders/{order_id}``), never the path itself: a label per
    order id would grow without bound."""
    route = getattr(scope.get("route"), "path", None)
    if isinstance(route, str):
        return route
    if "endpoint" in scope and not scope.get("path_params"):
        return str(scope["path"])  # a fixed route of the framework (/openapi.json, /docs)
    return UNROUTED


def log_access(scope: Scope | None, method: str, status: int, seconds: float) -> None:
    """The access line of a request (``scope`` None: refused before its head was read)."""
    scope = scope or {}
    raw = scope.get("raw_path") or str(scope.get("path", "-")).encode()
    path = escaped(raw)
    if scope.get("query_string"):
        path += "?" + escaped(scope["query_string"])
    client = scope.get("client")
    peer = f"{client[0]}:{client[1]}" if client else "-"
    ms = round(seconds * 1000, 1)
    fields = {"method": method, "path": path, "status": status, "ms": ms, "client": peer}
    _access.info(
        "%s %s %d %.1fms %s",
        escaped(method.encode()),
        path,
        status,
        ms,
        peer,
        extra={ACCESS_FIELDS: fields},
    )
