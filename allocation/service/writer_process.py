"""A server's writes in a process of their own, so they do not share a GIL with HTTP.

A server process that plans and answers HTTP on one interpreter can use one core at most:
the event loop (parsing, validating, answering) and the writer thread (planning, the
ledger, SQL) take turns on the GIL. With the writes in a child process, the two run on two
cores, and a request's parsing no longer waits for a batch's planning, nor a batch for a
burst of requests.

The server (:class:`ProcessWriter`) starts ``python -m allocation.service.writer_process``
with one end of a socket pair and sends it the database URL and the server's claim owner;
then each keyed write travels as a pickled :class:`~.idempotency.KeyedRequest` (its use
case a :mod:`~.jobs` value), and its :class:`~.idempotency.Outcome` or the exception that
refused it comes back. The child runs the writes exactly as the server's own writer thread
would (:func:`~.idempotency.keyed_transaction` on a :class:`~.writes.WriteQueue`): group
commit, claims, retries.

The child lives as long as its server: it exits when the socket closes (the server stopped,
or was killed: no write of a dead server goes on). If the child dies, the writes waiting for
it get a 503 (their effects committed, or not: a retry with the same key tells), and the
next write starts a new child.
"""

from __future__ import annotations

import asyncio
import functools
import gc
import itertools
import logging
import os
import pickle
import signal
import socket
import subprocess
import sys
import threading
from contextlib import suppress
from multiprocessing.connection import Connection as Pipe
from typing import Any

from sqlalchemy import Engine

from allocation.adapters.store.database import StoreBusyError, make_engine, run_read
from allocation.errors import InputError
from allocation.service.claims import ClaimedElsewhereError, Claims, Owner
from allocation.service.idempotency import KeyedBatch, KeyedRequest, Outcome, keyed_transaction
from allocation.service.problems import ServiceError, UnavailableError
from allocation.service.world import WorldCache
from allocation.service.writes import WriteQueue

__all__ = ["ProcessWriter", "WriterGoneError"]

_log = logging.getLogger("parts_priority.service.writer")

_EXPECTED = (ServiceError, InputError, StoreBusyError, ClaimedElsewhereError)
"""Refusals a write answers with: not worth a traceback in the log."""


class WriterGoneError(UnavailableError):
    """The writer process stopped while a write waited for it (503: retry with the key)."""


def _gone(detail: str) -> WriterGoneError:
    return WriterGoneError(
        f"the writer process stopped ({detail}); retry with the same Idempotency-Key",
        headers={"Retry-After": "1"},
    )


class _Link:
    """One child process and the writes waiting for its answers."""

    def __init__(self, url: str, owner: Owner, freeze: bool) -> None:
        ours, theirs = socket.socketpair()
        with theirs:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "allocation.service.writer_process", str(theirs.fileno())],
                pass_fds=[theirs.fileno()],
                stdin=subprocess.DEVNULL,
            )
        # The socket is kept to shut it down: closing a descriptor another thread reads
        # from (the answer reader) neither wakes that thread nor tells the child.
        self.socket = ours
        self.pipe = Pipe(os.dup(ours.fileno()))
        self.pending: dict[int, tuple[asyncio.AbstractEventLoop, asyncio.Future[Any]]] = {}
        self.alive = True
        self.pipe.send((url, owner, freeze))
        self.reader = threading.Thread(
            target=self._read, name="parts-priority-writer-answers", daemon=True
        )
        self.reader.start()

    def _read(self) -> None:
        try:
            while True:
                ident, outcome, error = pickle.loads(self.pipe.recv_bytes())
                with _LOCK:
                    waiting = self.pending.pop(ident, None)
                if waiting is not None:
                    loop, future = waiting
                    with suppress(RuntimeError):  # the event loop is gone: nobody waits
                        loop.call_soon_threadsafe(_settle, future, outcome, error)
        except (EOFError, OSError):
            pass
        except Exception:  # an answer that cannot be read: the link is no longer trusted
            _log.exception("unreadable answer from the writer process")
        self.fail("its connection closed")

    def fail(self, detail: str) -> None:
        """The child is gone (or cut off): every waiting write gets a 503."""
        with _LOCK:
            self.alive = False
            waiting, self.pending = self.pending, {}
        code = self.process.poll()
        if code is not None:
            detail = f"exit code {code}"
        for loop, future in waiting.values():
            with suppress(RuntimeError):
                loop.call_soon_threadsafe(_settle, future, None, _gone(detail))

    def close(self, timeout: float) -> None:
        """Shut the socket down (the child exits on it); kill the child if it lingers."""
        with suppress(OSError):
            self.socket.shutdown(socket.SHUT_RDWR)
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.reader.join(timeout=timeout)
        with suppress(OSError):
            self.pipe.close()
        self.socket.close()


_LOCK = threading.Lock()


def _settle(future: asyncio.Future[Any], outcome: Any, error: BaseException | None) -> None:
    if future.done():  # the waiting request was cancelled
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(outcome)


class ProcessWriter:
    """A server's keyed writes, run by a child process (started with the server, or again
    by the first write after one stopped)."""

    def __init__(self, url: str, owner: Owner, freeze: bool = True) -> None:
        self.url = url
        self.owner = owner
        self.freeze = freeze
        self._link: _Link | None = None
        self._ids = itertools.count()

    async def submit(self, request: KeyedRequest) -> Outcome:
        """Send the write to the child and wait for its outcome (or its refusal)."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Any] = loop.create_future()
        ident = next(self._ids)
        message = pickle.dumps((ident, request), protocol=pickle.HIGHEST_PROTOCOL)
        while True:
            # Registered while the link is alive, a write is answered or failed with it.
            link = self._current()
            with _LOCK:
                if link.alive:
                    link.pending[ident] = (loop, future)
                    break
        try:
            link.pipe.send_bytes(message)
        except OSError as error:
            link.fail(f"sending failed: {error}")
        outcome = await future
        assert isinstance(outcome, Outcome)
        return outcome

    def start(self) -> None:
        """Start the child now (the server is starting), not with the first write."""
        self._current()

    def _current(self) -> _Link:
        with _LOCK:
            link = self._link
            if link is not None and link.alive:
                return link
        if link is not None:
            link.close(timeout=5.0)
        link = _Link(self.url, self.owner, self.freeze)
        with _LOCK:
            self._link = link
        return link

    def close(self) -> None:
        """Stop the child: it finishes nothing more (the server has stopped answering)."""
        link, self._link = self._link, None
        if link is not None:
            link.close(timeout=10.0)


# The child ------------------------------------------------------------------------------


def _portable(error: BaseException) -> BaseException:
    """The exception, if it survives pickling; else a plain one with its text."""
    try:
        pickle.loads(pickle.dumps(error))
    except Exception:
        return RuntimeError(f"{type(error).__name__}: {error}")
    return error


def serve_writes(pipe: Pipe) -> None:
    """Run the writes the server sends, until it closes the socket."""
    url, owner, freeze = pipe.recv()
    engine = make_engine(url)
    worlds = WorldCache(freeze=freeze)
    claims = Claims(engine, owner)
    writes = WriteQueue(engine, claims=claims, hooks=KeyedBatch(claims))
    # Turn the load into the engine's terms before the first write needs it (a write that
    # comes meanwhile waits for it); with nothing loaded yet, the first write tells.
    threading.Thread(target=_warm, args=(engine, worlds), daemon=True).start()
    sending = threading.Lock()

    def answer(ident: int, result: Any, error: BaseException | None) -> None:
        if error is not None and not isinstance(error, _EXPECTED):
            _log.error("write failed", exc_info=error)
        if error is not None:
            error = _portable(error)
        payload = pickle.dumps((ident, result, error), protocol=pickle.HIGHEST_PROTOCOL)
        with sending, suppress(OSError):  # the server is gone: the socket's EOF ends us
            pipe.send_bytes(payload)

    while True:
        try:
            ident, request = pickle.loads(pipe.recv_bytes())
        except (EOFError, OSError):
            # The server stopped or was killed: a write still running rolls back.
            os._exit(0)
        except Exception:  # a request that cannot be read: end, the server starts another
            _log.exception("unreadable request from the server")
            os._exit(1)
        transaction = keyed_transaction(engine, worlds, writes, request)
        writes.submit(
            transaction,
            claim=(request.client, request.key),
            callback=functools.partial(answer, ident),
        )


def _warm(engine: Engine, worlds: WorldCache) -> None:
    with suppress(Exception):
        run_read(engine, worlds.get)


def main() -> None:
    """``python -m allocation.service.writer_process FD``: the child's entry point."""
    # Ctrl-C and a stop signal reach the whole process group: the server finishes the
    # requests it is answering (their writes run here), then closes the socket, which ends us.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    logging.basicConfig(level=logging.WARNING)
    # As in the server process: many short-lived objects per write (see app_from_env).
    gc.set_threshold(50_000, 20, 100)
    serve_writes(Pipe(int(sys.argv[1])))


if __name__ == "__main__":
    main()
