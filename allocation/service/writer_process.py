"""A server's writes in a process of their own, so they do not share a GIL with HTTP.

A server process that plans and answers HTTP on one interpreter can use one core at most:
the event loop (parsing, validating, answering) and the writer thread (planning, the
ledger, SQL) take turns on the GIL. With the writes in a child process, the two run on two
cores, and a request's parsing no longer waits for a batch's planning, nor a batch for a
burst of requests.

The server (:class:`ProcessWriter`) starts ``python -m allocation.service.writer_process``
with one end of a socket pair and sends it the database URL and the server's claim owner;
then each keyed write travels as :mod:`allocation.service.links` says, and the child runs it
exactly as the server's own writer thread would (:func:`~.idempotency.keyed_transaction` on
a :class:`~.writes.WriteQueue`): group commit, claims, retries.

On PostgreSQL the child is also one of the writers that share the part groups' partitions
(:mod:`allocation.service.forwarding`): it keeps its leases (:class:`~.ownership.LeaseKeeper`)
and takes the writes other servers forward to it on a port of its own, whose address it
tells its server first; the server sends the writes of partitions another writer owns
there.

The child lives as long as its server: it exits when the socket closes (the server stopped,
or was killed: no write of a dead server goes on; its session ends and its partitions pass
to the others). If the child dies, the writes waiting for it get a 503 (their effects
committed, or not: a retry with the same key tells), and the next write starts a new child.
"""

from __future__ import annotations

import gc
import itertools
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
from contextlib import suppress
from multiprocessing.connection import Connection as Pipe

from sqlalchemy import Engine

from allocation.adapters.store.database import is_sqlite, make_engine, run_read
from allocation.service.claims import Claims, Owner
from allocation.service.forwarding import Forwarder, Partaker
from allocation.service.idempotency import KeyedBatch, KeyedRequest, Outcome
from allocation.service.links import Link, NotSentError, WriterGoneError, say_hello, serve_link
from allocation.service.world import WorldCache
from allocation.service.writes import WriteQueue

__all__ = ["ProcessWriter", "WriterGoneError"]

_log = logging.getLogger("parts_priority.service.writer")


class _Link(Link):
    """One child process and the writes waiting for its answers."""

    def __init__(self, url: str, owner: Owner, freeze: bool, host: str | None) -> None:
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
        pipe = Pipe(os.dup(ours.fileno()))
        pipe.send((url, owner, freeze, host))
        super().__init__(pipe, "the writer process")

    def describe(self, detail: str) -> str:
        code = self.process.poll()
        return f"exit code {code}" if code is not None else detail

    def shut(self, timeout: float) -> None:
        """Shut the socket down (the child exits on it); kill the child if it lingers."""
        with suppress(OSError):
            self.socket.shutdown(socket.SHUT_RDWR)
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.reader.join(timeout=timeout)
        self.close()
        self.socket.close()


_LOCK = threading.Lock()


class ProcessWriter:
    """A server's keyed writes, run by a child process (started with the server, or again
    by the first write after one stopped).

    ``forwarder``: on PostgreSQL, sends the writes of partitions another writer owns to it
    (None: every write runs in the child). ``host``: where the child takes forwarded writes.
    """

    def __init__(
        self,
        url: str,
        owner: Owner,
        freeze: bool = True,
        forwarder: Forwarder | None = None,
        host: str | None = None,
    ) -> None:
        self.url = url
        self.owner = owner
        self.freeze = freeze
        self.forwarder = forwarder
        self.host = host
        self._link: _Link | None = None
        self._ids = itertools.count()

    async def submit(self, request: KeyedRequest) -> Outcome:
        """Send the write to its partition's owner, or to the child; wait for its outcome."""
        ident = next(self._ids)
        if self.forwarder is not None:
            forwarded = await self.forwarder.forward(ident, request, self._current().address)
            if forwarded is not None:
                return forwarded
        while True:
            try:
                return await self._current().submit(ident, request)
            except NotSentError:
                continue  # the child died just now: the next one runs it

    def start(self) -> None:
        """Start the child now (the server is starting), not with the first write."""
        self._current()
        if self.forwarder is not None:
            self.forwarder.start()

    def _current(self) -> _Link:
        with _LOCK:
            link = self._link
            if link is not None and link.alive:
                return link
        if link is not None:
            link.shut(timeout=5.0)
        link = _Link(self.url, self.owner, self.freeze, self.host)
        with _LOCK:
            self._link = link
        return link

    def close(self) -> None:
        """Stop the child: it finishes nothing more (the server has stopped answering)."""
        if self.forwarder is not None:
            self.forwarder.close()
        link, self._link = self._link, None
        if link is not None:
            link.shut(timeout=10.0)


# The child ------------------------------------------------------------------------------


def serve_writes(pipe: Pipe) -> None:
    """Run the writes the server sends (and, on PostgreSQL, those other servers forward),
    until the server closes the socket."""
    url, owner, freeze, host = pipe.recv()
    engine = make_engine(url)
    worlds = WorldCache(freeze=freeze)
    claims = Claims(engine, owner)
    writes = WriteQueue(engine, claims=claims, hooks=KeyedBatch(claims))
    # Turn the load into the engine's terms before the first write needs it (a write that
    # comes meanwhile waits for it); with nothing loaded yet, the first write tells.
    threading.Thread(target=_warm, args=(engine, worlds), daemon=True).start()
    partaker = None
    if host is not None and not is_sqlite(engine):
        try:
            partaker = Partaker(url, engine, worlds, writes, owner.token, host)
            partaker.start()
        except Exception:  # no share of the partitions: this writer still runs its own
            _log.exception("the writer takes no part in the scale-out")
        else:
            say_hello(pipe, partaker.address)
    try:
        serve_link(pipe, engine, worlds, writes)
    except Exception:  # a request that cannot be read: end, the server starts another
        _log.exception("unreadable request from the server")
        os._exit(1)
    # The server stopped or was killed: a write still running rolls back. The partitions
    # are given up with a notification, so that the other writers take them at once (were
    # this process killed, its session's end would free them just the same, a balance
    # later).
    if partaker is not None:
        with suppress(Exception):
            partaker.close()
    os._exit(0)


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
