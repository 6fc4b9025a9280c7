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

A batch of writes (:mod:`allocation.service.writes`) looks up all of its keys at once
(:class:`KeyedBatch`): on PostgreSQL one statement takes every key's advisory lock and a
second reads every stored answer, and the batch's answers are stored by one statement before
it commits, where a write alone would run three statements of its own. A key that comes
twice in one batch (two servers forwarding the same retry) runs once: the second is in
flight.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from fastapi.responses import Response
from sqlalchemy import Engine, bindparam, insert, select, text
from sqlalchemy.engine import Connection

from allocation.adapters.store import schema
from allocation.adapters.store.database import StoreBusyError, is_sqlite
from allocation.adapters.store.statements import Raw, driver_moment, run_raw, run_raw_many
from allocation.errors import InputError
from allocation.service.claims import ClaimedElsewhereError, Claims, Stored
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

__all__ = [
    "InFlight",
    "KeyedBatch",
    "KeyedRequest",
    "LocalWriter",
    "Outcome",
    "Work",
    "Writer",
    "keyed_transaction",
    "keyed_write",
]

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
class Outcome:
    """A keyed write's answer: status, the JSON body as stored, and whether it is a replay.

    The body travels as the text stored with the key: a replay sends it as read, and a
    writer process hands back a string, not a document to encode again.
    """

    status: int
    text: str
    replayed: bool


@dataclass(frozen=True)
class KeyedRequest:
    """One keyed write as the writer needs it: plain data, so another process can run it.

    ``digest`` is what "the same request" means (method, path and body); ``path`` names the
    request in a problem document; ``work`` is the use case (a :mod:`~.jobs` value).
    """

    client: str
    key: str
    digest: str
    path: str
    work: Work


def _replay(request: KeyedRequest, request_hash: str, status_code: int, body: str) -> Outcome:
    """The stored answer, or a 422 if the key came with another request."""
    if request_hash != request.digest:
        raise UnprocessableError(
            "this Idempotency-Key was used for a different request",
            [FieldError(_KEY_FIELD, "reused with a different body or route")],
        )
    return Outcome(int(status_code), str(body), True)


Key = tuple[str, str]
_BATCH = "parts_priority_keyed_batch"
"""``connection.info`` key: the :class:`_Batch` of the transaction running."""

_TRY_LOCKS = Raw.of(
    "",
    postgres="SELECT k, pg_try_advisory_xact_lock(k) FROM unnest(%s::bigint[]) AS t(k)",
)
_FIND_MANY = Raw.of(
    "",
    postgres=(
        "SELECT client_id, key, request_hash, status_code, body FROM idempotency "
        "WHERE key = ANY(%s) AND client_id = ANY(%s)"
    ),
)
_FIND_ONE = Raw.of(
    "SELECT client_id, key, request_hash, status_code, body FROM idempotency "
    "WHERE client_id = ? AND key = ?"
)
_STORE_MANY = Raw.of(
    "INSERT INTO idempotency (client_id, key, request_hash, status_code, body, created_at) "
    "VALUES (?, ?, ?, ?, ?, ?)"
)


@dataclass
class _Batch:
    """What one attempt of a batch's transaction knows of its keys, and must still store."""

    transaction: object
    found: dict[Key, Stored]
    held: set[Key]
    used: set[Key] = field(default_factory=set)
    answers: list[tuple[Any, ...]] = field(default_factory=list)
    released: list[Key] = field(default_factory=list)


def _current(connection: Connection) -> _Batch | None:
    batch = connection.info.get(_BATCH)
    if isinstance(batch, _Batch) and batch.transaction is connection.get_transaction():
        return batch
    return None


class KeyedBatch:
    """The keyed layer's part of a batch (:class:`~.writes.BatchHooks`): every key looked up
    before the first write, every answer stored after the last."""

    def __init__(self, claims: Claims) -> None:
        self.claims = claims

    def open(self, connection: Connection, keys: list[Key]) -> None:
        """Lock the keys (PostgreSQL: a transaction's advisory lock each, never waiting) and
        read their stored answers."""
        unique = list(dict.fromkeys(keys))
        held: set[Key] = set()
        found: dict[Key, Stored] = {}
        if unique and connection.dialect.name != "sqlite":
            ids = [_lock_id(c, k) for c, k in unique]
            got = {int(i): bool(g) for i, g in run_raw(connection, _TRY_LOCKS, (ids,))}
            held = {key for key, i in zip(unique, ids, strict=True) if not got.get(i, False)}
            free = [key for key in unique if key not in held]
            if free:
                rows = run_raw(
                    connection,
                    _FIND_MANY,
                    ([k for _, k in free], sorted({c for c, _ in free})),
                ).fetchall()
                found = {(c, k): Stored(h, int(st), b) for c, k, h, st, b in rows}
        else:
            for key in unique:
                row = run_raw(connection, _FIND_ONE, key).fetchone()
                if row is not None:
                    found[key] = Stored(row[2], int(row[3]), row[4])
        connection.info[_BATCH] = _Batch(connection.get_transaction(), found, held)

    def close(self, connection: Connection) -> None:
        """Store the batch's answers and release its claims (SQLite), in one go each."""
        batch = _current(connection)
        connection.info.pop(_BATCH, None)
        if batch is None:
            return
        run_raw_many(connection, _STORE_MANY, batch.answers)
        if self.claims.enabled and batch.released:
            self.claims.release(connection, batch.released)


def keyed_transaction(
    engine: Engine, worlds: WorldCache, writes: WriteQueue, request: KeyedRequest
) -> Callable[[Connection], Outcome]:
    """The write of a keyed request, for ``writes`` to run in a transaction of a batch:
    replay a stored answer, or run the work and store its answer (a refusal included).

    In a batch opened by :class:`KeyedBatch` the key was looked up already and the answer
    is stored with the batch's; otherwise this write looks up and stores its own.
    """
    claims = writes.claims
    client, key, path, work = request.client, request.key, request.path, request.work
    sqlite = is_sqlite(engine)

    def store(connection: Connection, status: int, body: Any, now: datetime) -> Outcome:
        # allow_nan=False: a body that is not JSON fails the write, before anything commits.
        stored = json.dumps(body, separators=(",", ":"), allow_nan=False)
        batch = _current(connection)
        if batch is not None:
            moment = driver_moment(connection, now)
            batch.answers.append((client, key, request.digest, status, stored, moment))
            if claims.enabled:
                batch.released.append((client, key))
            return Outcome(status, stored, False)
        connection.execute(
            _STORE,
            {
                "client_id": client,
                "key": key,
                "request_hash": request.digest,
                "status_code": status,
                "body": stored,
                "created_at": now,
            },
        )
        if claims.enabled:
            claims.release(connection, [(client, key)])
        return Outcome(status, stored, False)

    def look(connection: Connection) -> Stored | None:
        """The stored answer of the key, once this transaction holds the key."""
        batch = _current(connection)
        if batch is not None:
            if (client, key) in batch.held or (client, key) in batch.used:
                raise _in_flight()
            batch.used.add((client, key))
            found = batch.found.get((client, key))
            if found is not None and claims.enabled:
                batch.released.append((client, key))
            return found
        if not sqlite:
            got = connection.execute(
                text("SELECT pg_try_advisory_xact_lock(:id)"), {"id": _lock_id(client, key)}
            ).scalar_one()
            if not got:
                raise _in_flight()
        row = connection.execute(_STORED, {"client": client, "key": key}).first()
        if row is None:
            return None
        if claims.enabled:
            claims.release(connection, [(client, key)])
        return Stored(str(row.request_hash), int(row.status_code), str(row.body))

    def touch_changed(connection: Connection, world: World) -> None:
        """A change of master data gave the transaction a new world: the batch's commit
        or rollback must reach its planner too."""
        now_seen = worlds.get(connection)
        if now_seen is not world:
            writes.plans.touch(now_seen.plans)

    def transaction(connection: Connection) -> Outcome:
        stored = look(connection)
        if stored is not None:
            return _replay(request, stored.request_hash, stored.status_code, stored.body)
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
            touch_changed(connection, world)
            return store(connection, status, body, now)
        savepoint = connection.begin_nested()
        try:
            status, body = work(connection, world, now)
            touch_changed(connection, world)
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
        return store(connection, status, body, now)

    return transaction


class Writer(Protocol):
    """Where a process's keyed writes run: its own writer thread, or a writer process."""

    async def submit(self, request: KeyedRequest) -> Outcome:
        """Run the request's write; its outcome, or the exception that refused it."""

    def start(self) -> None:
        """Get ready (the server is starting)."""

    def close(self) -> None:
        """Stop (the server is shutting down)."""


class LocalWriter:
    """Keyed writes on this process's writer thread (:class:`~.writes.WriteQueue`)."""

    def __init__(self, engine: Engine, worlds: WorldCache, writes: WriteQueue) -> None:
        self.engine = engine
        self.worlds = worlds
        self.writes = writes
        if writes.hooks is None:  # the queue runs keyed writes only: batch their keys
            writes.hooks = KeyedBatch(writes.claims)

    async def submit(self, request: KeyedRequest) -> Outcome:
        transaction = keyed_transaction(self.engine, self.worlds, self.writes, request)
        outcome = await self.writes.run_async(transaction, claim=(request.client, request.key))
        assert isinstance(outcome, Outcome)
        return outcome

    def start(self) -> None:
        """Nothing to start: the writer thread starts with the first write."""

    def close(self) -> None:
        """Nothing to stop: the writer thread ends by itself when idle."""


async def keyed_write(
    claims: Claims,
    inflight: InFlight,
    writer: Writer,
    client: str,
    key: str | None,
    request: tuple[str, str, Any],
    work: Work,
) -> Response:
    """Run a write once per (client, key); see the module for the rules.

    ``request`` is (method, path, body as JSON-ready data): what "the same request" means.
    A coroutine: the route waits for the writer without a worker thread of its own (the
    early look on SQLite is one indexed read that never waits for the write lock).
    """
    key = _check_key(key)
    method, path, payload = request
    keyed = KeyedRequest(client, key, _digest(method, path, payload), path, work)

    def look_early() -> Outcome | None:
        """On SQLite, before the write queues: the stored answer (or a 422), or a 409 if
        another server runs the key."""
        stored, claim = claims.look(client, key)
        if stored is not None:
            return _replay(keyed, stored.request_hash, stored.status_code, stored.body)
        if claim is not None and claims.held_elsewhere(claim, utc_now()):
            raise _in_flight()
        return None

    with inflight.claim(client, key):
        try:
            early = look_early() if claims.enabled else None
            outcome = early or await writer.submit(keyed)
        except StoreBusyError as error:
            raise UnavailableError(str(error), headers={"Retry-After": "1"}) from None
        except ClaimedElsewhereError:
            raise _in_flight() from None
    headers = {"Idempotent-Replayed": "true" if outcome.replayed else "false"}
    return Response(
        outcome.text.encode(),
        status_code=outcome.status,
        headers=headers,
        media_type=PROBLEM_JSON if outcome.status >= 400 else "application/json",
    )
