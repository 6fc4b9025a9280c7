"""The HTTP/1.1 protocol of a server process: uvicorn's httptools protocol with two limits.

uvicorn's fast parser (httptools) buffers a request's head however large it grows, and waits
for a request's bytes for as long as the client keeps the connection open: one client could
hold 32 MB of headers, or hundreds of connections that each declared a body and sent ten
bytes of it. An ASGI middleware sees a request only once its head is complete, too late for
both, so the limits live here, where the bytes arrive (:class:`ConnectionLimits`):

- a request line and headers over ``max_header_bytes`` get ``431`` (``problem+json``) and
  the connection is closed, as soon as the bytes read while the head is incomplete pass the
  limit (at most one socket read past it is ever buffered);
- a request not received whole (head and body) within ``read_timeout_s`` of its first byte
  gets ``408`` if no answer has started, and the connection is closed; a new connection that
  sends nothing in that time is closed without an answer. An idle keep-alive connection is
  closed by uvicorn's own keep-alive timeout.

Everything else is uvicorn's: ``serve`` passes this class as uvicorn's ``http`` protocol, so
each worker process builds it, reading the limits from the environment once.
"""

from __future__ import annotations

import asyncio
import json
import logging
from functools import cache
from typing import Any

from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

from allocation.service.logs import ACCESS_LOGGER
from allocation.service.metrics import process_metrics
from allocation.service.observe import PROTOCOL_ANSWER, UNROUTED, log_access
from allocation.service.problems import (
    PROBLEM_JSON,
    FieldError,
    HeadersTooLargeError,
    RequestTimeoutError,
    ServiceError,
)
from allocation.service.settings import ConnectionLimits

__all__ = ["GuardedHttpToolsProtocol", "refusal_bytes"]


_access = logging.getLogger(ACCESS_LOGGER)


@cache
def _limits() -> ConnectionLimits:
    return ConnectionLimits.from_env()


def refusal_bytes(problem: ServiceError, default_headers: list[tuple[bytes, bytes]]) -> bytes:
    """A whole HTTP/1.1 response carrying ``problem``, that closes the connection."""
    body = json.dumps(problem.document()).encode()
    head = [STATUS_LINE[problem.status]]
    for name, value in default_headers:
        head.append(name + b": " + value + b"\r\n")
    head.append(b"content-type: " + PROBLEM_JSON.encode() + b"\r\n")
    head.append(b"content-length: " + str(len(body)).encode() + b"\r\n")
    head.append(b"connection: close\r\n\r\n")
    return b"".join(head) + body


class GuardedHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol, with a cap on a request's head and a deadline on reading
    a request (see the module)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        limits = _limits()
        self.max_head = limits.max_header_bytes
        self.read_timeout = limits.read_timeout_s
        self._in_head = True  # the bytes arriving now belong to a request's head
        self._head_bytes = 0
        self._head_refused = False
        self._deadline: asyncio.TimerHandle | None = None
        self._started = 0.0

    # The connection ------------------------------------------------------------------

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self.transport.is_closing():
            return
        if self._in_head:
            self._head_bytes += len(data)
        super().data_received(data)
        if self._head_refused or (self._in_head and self._head_bytes > self.max_head):
            self._refuse(
                HeadersTooLargeError(
                    f"the request line and headers are larger than {self.max_head:,} bytes",
                    [FieldError("header", f"over {self.max_head} bytes")],
                )
            )

    # The parser's callbacks ----------------------------------------------------------

    def on_message_begin(self) -> None:
        super().on_message_begin()
        if self._deadline is None:
            self._arm()

    def on_headers_complete(self) -> None:
        size = len(self.url) + sum(len(name) + len(value) + 4 for name, value in self.headers)
        if size > self.max_head:
            # No request is started; the data handler answers once the parser returns.
            self._head_refused = True
            return
        self._in_head = False
        self._head_bytes = 0
        super().on_headers_complete()

    def on_body(self, body: bytes) -> None:
        if not self._head_refused:
            super().on_body(body)

    def on_message_complete(self) -> None:
        if self._head_refused:
            return
        super().on_message_complete()
        self._disarm()
        self._in_head = True
        self._head_bytes = 0

    # The deadline --------------------------------------------------------------------

    def _arm(self) -> None:
        self._disarm()
        self._started = self.loop.time()
        self._deadline = self.loop.call_later(self.read_timeout, self._too_slow)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _too_slow(self) -> None:
        self._deadline = None
        if self.transport.is_closing():
            return
        cycle = self.cycle
        if self._in_head:
            # Nothing of a request yet, or a head behind an answer still being made: no
            # answer can be written in between, so the connection just closes.
            silent = self._head_bytes == 0 or (cycle is not None and not cycle.response_complete)
        else:
            silent = cycle is None or cycle.response_started
        if silent:
            self.transport.close()
            return
        part = "headers" if self._in_head else "body"
        self._refuse(
            RequestTimeoutError(
                f"the request was not received within {self.read_timeout:g} s",
                [FieldError(part, f"incomplete after {self.read_timeout:g} s")],
            )
        )

    def _refuse(self, problem: ServiceError) -> None:
        if self.transport.is_closing():
            return
        self._disarm()
        self.transport.write(refusal_bytes(problem, self.server_state.default_headers))
        self.transport.close()
        if not self._in_head and self.cycle is not None:
            # The app is serving this request: its access line and metrics tell the answer.
            self.cycle.scope.setdefault("state", {})[PROTOCOL_ANSWER] = problem.status
            return
        seconds = self.loop.time() - self._started
        process_metrics().observe_request("-", UNROUTED, problem.status, seconds)
        if _access.isEnabledFor(logging.INFO):
            client = {"client": self.client} if self.client else {}
            log_access(client, "-", problem.status, seconds)
