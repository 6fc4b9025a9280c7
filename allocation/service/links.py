"""Keyed writes over a connection to a writer, and the writer's side of such a connection.

A server hands a keyed write to a writer that runs it in another process: its own writer
process (a socket pair, :mod:`allocation.service.writer_process`), or the writer that owns
the write's partition, in another server (TCP, :mod:`allocation.service.forwarding`). Both
speak the same protocol over a :class:`multiprocessing.connection.Connection`: the server
sends ``(ident, request)`` pickled, a :class:`~.idempotency.KeyedRequest` whose use case is
a :mod:`~.jobs` value; the writer answers ``(ident, outcome, error)`` once the write is
decided (committed or refused). A writer may also send ``(HELLO, address, None)``: the
address on which it takes forwarded writes.

A connection that closes fails every write still waiting on it with a 503
(:class:`WriterGoneError`): its effects committed, or not, and a retry with the same key
tells which.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import pickle
import threading
from collections.abc import Callable
from contextlib import suppress
from multiprocessing.connection import Connection as Pipe
from typing import Any

from sqlalchemy import Engine

from allocation.adapters.store.database import StoreBusyError
from allocation.errors import InputError
from allocation.service.claims import ClaimedElsewhereError
from allocation.service.idempotency import KeyedRequest, Outcome, keyed_transaction
from allocation.service.problems import ServiceError, UnavailableError
from allocation.service.world import WorldCache
from allocation.service.writes import WriteQueue

__all__ = ["HELLO", "Link", "NotSentError", "WriterGoneError", "gone", "say_hello", "serve_link"]

_log = logging.getLogger("parts_priority.service.writer")

HELLO = -1
"""The ident of a writer's message that gives its address for forwarded writes."""

_EXPECTED = (ServiceError, InputError, StoreBusyError, ClaimedElsewhereError)
"""Refusals a write answers with: not worth a traceback in the log."""


class WriterGoneError(UnavailableError):
    """The writer stopped while a write waited for it (503: retry with the key)."""


class NotSentError(WriterGoneError):
    """The writer was gone before the write was sent: it may run elsewhere at once."""


def gone(what: str, detail: str) -> WriterGoneError:
    """The 503 of a write whose writer (``what``) went away."""
    return WriterGoneError(
        f"{what} stopped ({detail}); retry with the same Idempotency-Key",
        headers={"Retry-After": "1"},
    )


def _settle(future: asyncio.Future[Any], outcome: Any, error: BaseException | None) -> None:
    if future.done():  # the waiting request was cancelled
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(outcome)


class Link:
    """One connection to a writer and the writes waiting for its answers.

    ``what`` names the writer in a 503 (``the writer process``); ``on_close`` runs once the
    connection is gone (after the waiting writes were failed).
    """

    def __init__(self, pipe: Pipe, what: str, on_close: Callable[[], None] | None = None) -> None:
        self.pipe = pipe
        self.what = what
        self.address: str | None = None
        self.pending: dict[int, tuple[asyncio.AbstractEventLoop, asyncio.Future[Any]]] = {}
        self.alive = True
        self._lock = threading.Lock()
        self._sending = threading.Lock()
        self._on_close = on_close
        self.reader = threading.Thread(
            target=self._read, name="parts-priority-writer-answers", daemon=True
        )
        self.reader.start()

    async def submit(self, ident: int, request: KeyedRequest) -> Outcome:
        """Send the write and wait for its outcome (or its refusal)."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Any] = loop.create_future()
        message = pickle.dumps((ident, request), protocol=pickle.HIGHEST_PROTOCOL)
        with self._lock:
            if not self.alive:
                raise NotSentError(f"{self.what} stopped (its connection closed)")
            self.pending[ident] = (loop, future)
        try:
            with self._sending:
                self.pipe.send_bytes(message)
        except OSError as error:
            self.fail(f"sending failed: {error}")
        outcome = await future
        assert isinstance(outcome, Outcome)
        return outcome

    def _read(self) -> None:
        try:
            while True:
                ident, outcome, error = pickle.loads(self.pipe.recv_bytes())
                if ident == HELLO:
                    self.address = str(outcome)
                    continue
                with self._lock:
                    waiting = self.pending.pop(ident, None)
                if waiting is not None:
                    loop, future = waiting
                    with suppress(RuntimeError):  # the event loop is gone: nobody waits
                        loop.call_soon_threadsafe(_settle, future, outcome, error)
        except (EOFError, OSError):
            pass
        except Exception:  # an answer that cannot be read: the link is no longer trusted
            _log.exception("unreadable answer from %s", self.what)
        self.fail("its connection closed")

    def fail(self, detail: str) -> None:
        """The writer is gone (or cut off): every waiting write gets a 503."""
        with self._lock:
            was_alive, self.alive = self.alive, False
            waiting, self.pending = self.pending, {}
        detail = self.describe(detail)
        for loop, future in waiting.values():
            with suppress(RuntimeError):
                loop.call_soon_threadsafe(_settle, future, None, gone(self.what, detail))
        if was_alive and self._on_close is not None:
            self._on_close()

    def describe(self, detail: str) -> str:
        """What a 503 says of why the writer is gone (a subclass may know better)."""
        return detail

    def close(self) -> None:
        """Close the connection (the reader then fails what still waits)."""
        with suppress(OSError):
            self.pipe.close()


def _portable(error: BaseException) -> BaseException:
    """The exception, if it survives pickling; else a plain one with its text."""
    try:
        pickle.loads(pickle.dumps(error))
    except Exception:
        return RuntimeError(f"{type(error).__name__}: {error}")
    return error


def serve_link(pipe: Pipe, engine: Engine, worlds: WorldCache, writes: WriteQueue) -> None:
    """Run the writes that come over ``pipe`` on ``writes``, answering each once decided,
    until the connection closes (returns) or sends what cannot be read (raises)."""
    sending = threading.Lock()

    def answer(ident: int, result: Any, error: BaseException | None) -> None:
        if error is not None and not isinstance(error, _EXPECTED):
            _log.error("write failed", exc_info=error)
        if error is not None:
            error = _portable(error)
        payload = pickle.dumps((ident, result, error), protocol=pickle.HIGHEST_PROTOCOL)
        with sending, suppress(OSError):  # the sender is gone: its EOF ends the loop
            pipe.send_bytes(payload)

    while True:
        try:
            ident, request = pickle.loads(pipe.recv_bytes())
        except (EOFError, OSError):
            return
        transaction = keyed_transaction(engine, worlds, writes, request)
        writes.submit(
            transaction,
            claim=(request.client, request.key),
            callback=functools.partial(answer, ident),
        )


def say_hello(pipe: Pipe, address: str) -> None:
    """Tell the server on ``pipe`` where this writer takes forwarded writes."""
    pipe.send_bytes(pickle.dumps((HELLO, address, None), protocol=pickle.HIGHEST_PROTOCOL))
