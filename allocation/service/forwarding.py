"""Scale-out on PostgreSQL: each write runs at the writer that owns its part groups.

Why route writes, not move ownership. A write's cost is mostly its planner's: a writer
plans a part group from memory only while no other writer has written it since (its
version in ``part_groups``); otherwise it reads the group's open orders and supply again —
for a busy group, a thousand orders. Behind a load balancer (or uvicorn's ``--workers``,
which share one port) any server gets any write. If ownership moved to where writes
arrive, a busy group would change hands at nearly every write, and every move costs that
read: no better than no ownership at all. So ownership stays put (:mod:`.ownership`), and a
server sends each write to the owner of its part groups' partition, which runs it with its
other writes in one group commit and answers through the server that received it.

- :class:`Partaker`, in every writer: keeps its leases and takes forwarded writes on a TCP
  port (``multiprocessing.connection``; a peer must prove it knows the store's secret,
  ``writer_cluster.secret``, before a byte of a request is read);
- :class:`Forwarder`, in every server: learns every partition's owner from the database
  (twice a second: the leases whose session holds the partition's lock) and the parts'
  groups (again when the master data's version moves), and forwards.

Rules: a write whose part groups all lie in one partition goes to its owner. Every other
write — groups in several partitions (a stock batch over many parts), a change of master
data (every group), a write that names an order rather than a part (cancel, ship, a failed
purchase), an unknown part (a 422 anyway) — runs at the writer of the server that received
it, under the same row locks in sorted order as ever; the owners' planners see those groups'
versions moved and read them again. So does a write whose owner is unknown, unreachable or
gone: until the map catches up, the receiving writer runs it. None of this is needed for
correctness — the row locks, group versions and idempotency keys are (:mod:`.writes`,
:mod:`.idempotency`) — so no write waits for a hand-over: a write sent to an owner that
dies before answering gets a 503, and its retry with the same key replays or runs it.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import struct
import threading
import time
from collections.abc import Iterable
from contextlib import suppress
from multiprocessing.connection import (  # type: ignore[attr-defined]
    AuthenticationError,
    Connection,
    answer_challenge,
    deliver_challenge,
)
from typing import Any

from sqlalchemy import Engine, text

from allocation.adapters.store import leases
from allocation.adapters.store.database import run_read
from allocation.adapters.store.master import master_version
from allocation.service.idempotency import KeyedRequest, LocalWriter, Outcome
from allocation.service.jobs import (
    AdjustStock,
    PostOrders,
    ReceiveStock,
    ScheduleInbound,
    SetSupplyOptions,
)
from allocation.service.links import Link, NotSentError, serve_link
from allocation.service.metrics import process_metrics
from allocation.service.ownership import LeaseKeeper
from allocation.service.world import WorldCache
from allocation.service.writes import WriteQueue

__all__ = ["Forwarder", "Partaker", "PartitionedWriter", "parts_of"]

_log = logging.getLogger("parts_priority.service.forwarding")

HANDSHAKE_S = 5.0
"""A peer must finish the handshake within this many seconds, or is dropped."""


def parts_of(work: object) -> list[str] | None:
    """The parts a write names, when they alone decide its part groups; None otherwise."""
    if isinstance(work, PostOrders):
        return [o.part_number for o in work.orders]
    if isinstance(work, ReceiveStock | AdjustStock | ScheduleInbound):
        return [line.part_number for line in work.lines]
    if isinstance(work, SetSupplyOptions):
        return [o.part_number for o in work.options]
    return None


def _deadline(sock: socket.socket, seconds: float) -> None:
    """Bound each blocking read and write on the socket's descriptor (0: no bound)."""
    whole = int(seconds)
    value = struct.pack("ll", whole, int((seconds - whole) * 1e6))
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, value)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO, value)


class Partaker:
    """A writer's part in the scale-out: its leases, and a port for forwarded writes."""

    def __init__(
        self,
        url: str,
        engine: Engine,
        worlds: WorldCache,
        writes: WriteQueue,
        owner: str,
        host: str,
        tick_s: float = 1.0,
    ) -> None:
        self._engine, self._worlds, self._writes = engine, worlds, writes
        self._key = run_read(engine, leases.cluster).secret.encode()
        self._server = socket.create_server((host, 0))
        port = self._server.getsockname()[1]
        self.address = f"{host}:{port}"
        self.keeper = LeaseKeeper(url, owner, self.address, tick_s)
        self._closed = False

    def start(self) -> None:
        """Take forwarded writes, and leases."""
        threading.Thread(target=self._accept, name="parts-priority-forwarded", daemon=True).start()
        self.keeper.start()

    def close(self) -> None:
        """Give the leases up and stop taking forwarded writes."""
        self._closed = True
        self.keeper.stop()
        with suppress(OSError):
            self._server.shutdown(socket.SHUT_RDWR)  # wakes the thread blocked in accept
        with suppress(OSError):
            self._server.close()

    def _accept(self) -> None:
        while not self._closed:
            try:
                sock, _ = self._server.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(sock,), daemon=True).start()

    def _serve(self, sock: socket.socket) -> None:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        _deadline(sock, HANDSHAKE_S)
        pipe = Connection(sock.detach())
        try:
            deliver_challenge(pipe, self._key)
            answer_challenge(pipe, self._key)
        except (AuthenticationError, OSError, EOFError) as error:
            _log.warning("a forwarded-writes connection failed its handshake: %s", error)
            pipe.close()
            return
        with socket.socket(fileno=pipe.fileno()) as view:  # the same descriptor, not a copy
            _deadline(view, 0)
            view.detach()
        try:
            serve_link(pipe, self._engine, self._worlds, self._writes)
        except Exception:
            _log.exception("unreadable forwarded write; connection closed")
        finally:
            pipe.close()


class Forwarder:
    """Where each write goes: its partition's owner, or (None) the local writer."""

    def __init__(self, engine: Engine, refresh_s: float = 0.5) -> None:
        self._engine = engine
        self.refresh_s = refresh_s
        self._owners: dict[int, str] = {}
        self._group_of: dict[str, str] = {}
        self._version: str | None = None
        self._key: bytes | None = None
        self._space: int | None = None
        self._links: dict[str, Link] = {}
        self._down: dict[str, float] = {}
        self._lock = threading.Lock()
        self._connecting = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.forwarded = 0

    def start(self) -> None:
        """Learn the owners now and then twice a second."""
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(
                target=self._run, name="parts-priority-owners", daemon=True
            )
            self._thread.start()

    def close(self) -> None:
        """Stop learning, and close every connection to an owner."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        with self._lock:
            links, self._links = list(self._links.values()), {}
        for link in links:
            link.close()

    def owner_of(self, work: object) -> str | None:
        """The address of the writer that owns all of a write's part groups, if one does."""
        parts = parts_of(work)
        if not parts:
            return None
        with self._lock:
            groups = {self._group_of.get(p) for p in parts}
            if None in groups:
                return None
            partitions = {leases.partition_of(g) for g in groups if g is not None}
            if len(partitions) != 1:
                return None
            address = self._owners.get(partitions.pop())
            if address is None or self._down.get(address, 0.0) > time.monotonic():
                return None
            return address

    async def forward(self, ident: int, request: KeyedRequest, local: str | None) -> Outcome | None:
        """Run the write at its owner and return the outcome; None: run it locally."""
        routed = process_metrics().routed
        address = self.owner_of(request.work)
        link = None
        if address is not None and address != local:
            link = self._link(address) or await asyncio.to_thread(self._connect, address)
        if link is not None:
            try:
                outcome = await link.submit(ident, request)
            except NotSentError:
                pass
            else:
                self.forwarded += 1
                routed.labels("owner").inc()
                return outcome
        routed.labels("here").inc()
        return None

    def refresh(self) -> None:
        """Read the owners (and the parts' groups, if the master data moved on) now."""
        self._owners_now(run_read(self._engine, self._read))

    def _read(self, connection: Any) -> tuple[str | None, dict[int, str], dict[str, str] | None]:
        if self._space is None:
            found = leases.cluster(connection)
            self._space, self._key = found.lock_space, found.secret.encode()
        version = master_version(connection)
        group_of = None
        if version != self._version:
            rows = connection.execute(text("SELECT part_number, group_key FROM parts"))
            group_of = {str(p): str(g) for p, g in rows}
        return version, leases.owners(connection, self._space), group_of

    def _owners_now(self, read: tuple[str | None, dict[int, str], dict[str, str] | None]) -> None:
        version, owners, group_of = read
        with self._lock:
            self._owners = owners
            if group_of is not None:
                self._group_of, self._version = group_of, version

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.refresh()
            except Exception as error:  # the database is away: run everything locally
                _log.debug("owners not read: %s", error)
                with self._lock:
                    self._owners = {}
            self._stop.wait(self.refresh_s)

    def _link(self, address: str) -> Link | None:
        with self._lock:
            link = self._links.get(address)
        return link if link is not None and link.alive else None

    def _connect(self, address: str) -> Link | None:
        """A connection to the owner at ``address``, handshake done; None if it cannot be
        reached (its writes run locally for a second, then it is tried again)."""
        with self._connecting:
            link = self._link(address)
            if link is not None:
                return link
            host, _, port = address.rpartition(":")
            try:
                assert self._key is not None
                sock = socket.create_connection((host, int(port)), timeout=HANDSHAKE_S)
                sock.settimeout(None)
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                _deadline(sock, HANDSHAKE_S)
                pipe = Connection(sock.detach())
                try:
                    answer_challenge(pipe, self._key)
                    deliver_challenge(pipe, self._key)
                except BaseException:
                    pipe.close()
                    raise
                with socket.socket(fileno=pipe.fileno()) as view:
                    _deadline(view, 0)
                    view.detach()
            except (OSError, EOFError, AuthenticationError, AssertionError, ValueError) as error:
                _log.warning("the owner at %s cannot be reached (%s)", address, error)
                self._mark_down([address])
                return None
            link = Link(pipe, f"the writer at {address}", on_close=lambda: self._gone(address))
            with self._lock:
                self._links[address] = link
            return link

    def _gone(self, address: str) -> None:
        """A connection to an owner closed: its partitions run locally until the next read
        of the owners says who holds them."""
        with self._lock:
            if address in self._links and not self._links[address].alive:
                del self._links[address]
            self._owners = {p: a for p, a in self._owners.items() if a != address}

    def _mark_down(self, addresses: Iterable[str]) -> None:
        with self._lock:
            for address in addresses:
                self._down[address] = time.monotonic() + 1.0


class PartitionedWriter:
    """A server's writer thread taking part in the scale-out (``--writer thread`` on
    PostgreSQL, and in-process apps that ask for it): its own writes and forwarded ones run
    on ``local``'s queue; each write goes to its owner first."""

    def __init__(self, local: LocalWriter, url: str, owner: str, host: str) -> None:
        self.local = local
        self.url, self.owner, self.host = url, owner, host
        self.forwarder = Forwarder(local.engine)
        self.partaker: Partaker | None = None
        self._ids = 0

    async def submit(self, request: KeyedRequest) -> Outcome:
        """Send the write to its owner, or run it here."""
        self._ids += 1
        here = self.partaker.address if self.partaker is not None else None
        forwarded = await self.forwarder.forward(self._ids, request, here)
        if forwarded is not None:
            return forwarded
        return await self.local.submit(request)

    def start(self) -> None:
        """Take leases and forwarded writes; learn the owners."""
        local = self.local
        try:
            partaker = Partaker(
                self.url, local.engine, local.worlds, local.writes, self.owner, self.host
            )
            partaker.start()
        except Exception:  # no share of the partitions: this writer still runs its own
            _log.exception("the writer takes no part in the scale-out")
        else:
            self.partaker = partaker
        self.forwarder.start()

    def close(self) -> None:
        """Hand the partitions over and stop forwarding."""
        self.forwarder.close()
        if self.partaker is not None:
            self.partaker.close()
            self.partaker = None
