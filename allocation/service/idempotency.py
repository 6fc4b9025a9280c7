"""Idempotent writes, as the IETF ``Idempotency-Key`` draft describes them.

- The first request with a key runs; its response (status and body, success or a business
  4xx) is stored with the key in the same transaction as its effects, so both commit or
  neither does — a crash in between leaves no key and no effect, and a retry runs afresh.
  (Writes of a process are committed in groups: :mod:`allocation.service.writes`.)
- The same key with the same body replays the stored response, marked
  ``Idempotent-Replayed: true``.
- The same key with a different body (or another route) is a 422.
- A retry while the first is still running is a 409: caught in this process by a registry of
  running keys, across PostgreSQL servers by a transaction-scoped advisory lock on the key,
  across server processes sharing a SQLite file by a claim row committed before the work
  (:mod:`allocation.service.claims`; a claim of a server that died does not count). On
  SQLite a read that never waits for the write lock looks for the stored answer and for a
  live claim first, so a replay or a 409 does not queue behind other writes.
- Keys belong to the client whose token sent them: two clients never share a key.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fastapi.responses import JSONResponse
from sqlalchemy import Engine, bindparam, insert, select, text
from sqlalchemy.engine import Connection

from allocation.adapters.store import schema
from allocation.adapters.store.database import StoreBusyError, is_sqlite
from allocation.errors import InputError
from allocation.service.claims import ClaimedElsewhereError
from allocation.service.clock import utc_now
from allocation.service.problems import (
    PROBLEM_JSON,
    BadRequestError,
    ConflictError,
    FieldError,
    ServiceError,
    UnavailableError,
    UnprocessableError,
)
from allocation.service.world import NotLoadedError, World, WorldCache
from allocation.service.writes import GUARDED, WriteQueue

__all__ = ["InFlight", "Work", "keyed_write"]

Work = Callable[[Connection, World, datetime], tuple[int, dict[str, Any]]]
_KEY_FIELD = "header.Idempotency-Key"


class InFlight:
    """Keys whose first request is still running in this process."""

    def __init__(self) -> None:
        self._running: set[tuple[str, str]] = set()
        self._lock = threading.Lock()

    @contextmanager
    def claim(self, client: str, key: str) -> Iterator[None]:
        """Hold the key while the block runs; :class:`ConflictError` if it is already held."""
        with self._lock:
            if (client, key) in self._running:
                raise _in_flight()
            self._running.add((client, key))
        try:
            yield
        finally:
            with self._lock:
                self._running.discard((client, key))


def _in_flight() -> ConflictError:
    return ConflictError(
        "a request with this Idempotency-Key is still being processed; retry later",
        [FieldError(_KEY_FIELD, "in flight")],
        headers={"Retry-After": "1"},
    )


def _check_key(key: str | None) -> str:
    if key is None or not key.strip():
        raise BadRequestError(
            "every write needs an Idempotency-Key header",
            [FieldError(_KEY_FIELD, "missing")],
        )
    if len(key) > 255 or not key.isprintable():
        raise BadRequestError(
            "the Idempotency-Key must be 1 to 255 printable characters",
            [FieldError(_KEY_FIELD, "malformed")],
        )
    return key


def _digest(method: str, path: str, payload: Any) -> str:
    text_ = json.dumps([method, path, payload], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text_.encode()).hexdigest()


_STORED = select(
    schema.idempotency.c.request_hash, schema.idempotency.c.status_code, schema.idempotency.c.body
).where(
    schema.idempotency.c.client_id == bindparam("client"),
    schema.idempotency.c.key == bindparam("key"),
)


_STORE = insert(schema.idempotency)
"""The answer stored with its key (values bound per request: the statement is built once)."""


def _lock_id(client: str, key: str) -> int:
    raw = hashlib.sha256(f"{client}\x00{key}".encode()).digest()[:8]
    return int.from_bytes(raw, "big", signed=True)


@dataclass(frozen=True)
class _Outcome:
    status: int
    body: dict[str, Any]
    replayed: bool


async def keyed_write(
    engine: Engine,
    worlds: WorldCache,
    inflight: InFlight,
    writes: WriteQueue,
    client: str,
    key: str | None,
    request: tuple[str, str, Any],
    work: Work,
) -> JSONResponse:
    """Run a write once per (client, key); see the module for the rules.

    ``request`` is (method, path, body as JSON-ready data): what "the same request" means.
    A coroutine: the route waits for the writer thread without a worker thread of its own
    (the early look on SQLite is one indexed read that never waits for the write lock).
    """
    key = _check_key(key)
    method, path, payload = request
    digest = _digest(method, path, payload)

    claims = writes.claims

    def replay(request_hash: str, status_code: int, body: str) -> _Outcome:
        """The stored answer, or a 422 if the key came with another request."""
        if request_hash != digest:
            raise UnprocessableError(
                "this Idempotency-Key was used for a different request",
                [FieldError(_KEY_FIELD, "reused with a different body or route")],
            )
        return _Outcome(int(status_code), json.loads(body), True)

    def look(connection: Connection) -> _Outcome | None:
        """The stored answer (or a 422), seen from inside the write's transaction."""
        stored = connection.execute(_STORED, {"client": client, "key": key}).first()
        if stored is None:
            return None
        return replay(stored.request_hash, stored.status_code, stored.body)

    def look_early() -> _Outcome | None:
        """On SQLite, before the write queues: the stored answer (or a 422), or a 409 if
        another server runs the key."""
        stored, claim = claims.look(client, key)
        if stored is not None:
            return replay(stored.request_hash, stored.status_code, stored.body)
        if claim is not None and claims.held_elsewhere(claim, utc_now()):
            raise _in_flight()
        return None

    def transaction(connection: Connection) -> _Outcome:
        if not is_sqlite(engine):
            got = connection.execute(
                text("SELECT pg_try_advisory_xact_lock(:id)"), {"id": _lock_id(client, key)}
            ).scalar_one()
            if not got:
                raise _in_flight()
        found = look(connection)
        if found is not None:
            if claims.enabled:
                claims.release(connection, [(client, key)])
            return found
        try:
            world = worlds.get(connection)
        except NotLoadedError as error:
            raise UnavailableError(str(error)) from None
        writes.plans.touch(world.plans)
        now = utc_now()
        if not connection.info.get(GUARDED, True):
            # A batch without savepoints: a refusal raises, and the batch runs again with
            # them, this write's refusal then stored below as its answer.
            status, body = work(connection, world, now)
            return _store(connection, status, body, now)
        savepoint = connection.begin_nested()
        try:
            status, body = work(connection, world, now)
            savepoint.commit()
        except ServiceError as refused:
            savepoint.rollback()
            world.plans.abort()
            status, body = refused.status, refused.document(path)
        except InputError as error:
            savepoint.rollback()
            world.plans.abort()
            wrong = UnprocessableError(str(error), [FieldError("body", str(error))])
            status, body = wrong.status, wrong.document(path)
        return _store(connection, status, body, now)

    def _store(connection: Connection, status: int, body: Any, now: datetime) -> _Outcome:
        connection.execute(
            _STORE,
            {
                "client_id": client,
                "key": key,
                "request_hash": digest,
                "status_code": status,
                "body": json.dumps(body, separators=(",", ":")),
                "created_at": now,
            },
        )
        if claims.enabled:
            claims.release(connection, [(client, key)])
        return _Outcome(status, body, False)

    with inflight.claim(client, key):
        try:
            early = look_early() if claims.enabled else None
            outcome = early or await writes.run_async(transaction, claim=(client, key))
        except StoreBusyError as error:
            raise UnavailableError(str(error), headers={"Retry-After": "1"}) from None
        except ClaimedElsewhereError:
            raise _in_flight() from None
    assert isinstance(outcome, _Outcome)
    headers = {"Idempotent-Replayed": "true" if outcome.replayed else "false"}
    return JSONResponse(
        outcome.body,
        status_code=outcome.status,
        headers=headers,
        media_type=PROBLEM_JSON if outcome.status >= 400 else "application/json",
    )
