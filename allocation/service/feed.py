"""The feed of allocation changes, read a page at a time, and long polls that wait for it.

Events are rows of the store's append-only ``events`` table, written by each write in its own
transaction (:mod:`allocation.adapters.store.events`); a read returns those after a cursor.
A long poll reads, and while nothing is there and its wait lasts, sleeps on the event loop
(no thread is held) until this process's next write has answered (:class:`Wakeup`) or
:data:`POLL_S` has passed (writes of other server processes), then reads again.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Awaitable, Callable

from sqlalchemy.engine import Connection

from allocation.adapters.store import events
from allocation.service.models import Event, EventPage
from allocation.service.problems import FieldError, UnprocessableError

__all__ = ["MAX_WAIT_S", "POLL_S", "Wakeup", "event_page", "long_poll"]

MAX_WAIT_S = 30.0
"""The longest a long poll may wait."""
POLL_S = 0.2
"""How often a waiting long poll reads again when no write of its own process woke it."""


class Wakeup:
    """Wakes this process's long polls when one of its writes has answered.

    A poll notes :meth:`generation` before it reads and waits only if no write answered
    since, so a write between the read and the wait is not missed. Thread-safe: each waiter
    is woken on its own event loop.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._generation = 0
        self._waiting: list[tuple[asyncio.AbstractEventLoop, asyncio.Future[None]]] = []

    def generation(self) -> int:
        """How many times :meth:`notify` was called."""
        return self._generation

    def waiting(self) -> int:
        """How many polls wait now."""
        with self._lock:
            return len(self._waiting)

    def notify(self) -> None:
        """A write answered: wake every waiting poll."""
        with self._lock:
            self._generation += 1
            waiting, self._waiting = self._waiting, []
        for loop, future in waiting:
            with contextlib.suppress(RuntimeError):  # that loop is closed: nobody waits
                loop.call_soon_threadsafe(_wake, future)

    async def wait(self, seen: int, timeout: float) -> None:
        """Until a write answers after generation ``seen``, or ``timeout`` seconds."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[None] = loop.create_future()
        waiter = (loop, future)
        with self._lock:
            if self._generation != seen:
                return
            self._waiting.append(waiter)
        try:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(future, timeout=timeout)
        finally:
            with self._lock, contextlib.suppress(ValueError):
                self._waiting.remove(waiter)


def _wake(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


def event_page(connection: Connection, after: int, limit: int) -> EventPage:
    """Up to ``limit`` events after the cursor ``after``; a 422 for a cursor past the last
    event (no event was ever numbered so: it cannot come from this feed)."""
    found = events.feed(connection, after, limit)
    if not found:
        last = events.last_id(connection)
        if after > last:
            raise UnprocessableError(
                f"cursor {after} is past the last event ({last})",
                [FieldError("query.after", f"past the last event ({last})")],
            )
        return EventPage(events=[], next=after)
    answers = [
        Event(
            cursor=e.event_id,
            kind=e.kind,
            order_id=e.order_id,
            part_number=e.part_number,
            quantity=e.quantity,
            source=e.source,
            origin=e.origin,
            at=e.at,
        )
        for e in found
    ]
    return EventPage(events=answers, next=found[-1].event_id)


async def long_poll(
    read: Callable[[], Awaitable[EventPage]], wakeup: Wakeup, wait: float
) -> EventPage:
    """``read()`` until it finds events or ``wait`` seconds have passed."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait
    while True:
        seen = wakeup.generation()
        page = await read()
        left = deadline - loop.time()
        if page.events or left <= 0:
            return page
        await wakeup.wait(seen, min(POLL_S, left))
