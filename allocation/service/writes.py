"""Group commit: a process's writes run one after another on one writer thread, several to a
transaction.

A write's commit waits for the disk (``synchronous=FULL`` on SQLite, the WAL flush on
PostgreSQL), and writes of one process are serialised anyway (SQLite has one writer; the
per-process planner is changed by one write at a time). So the writer thread takes every
write waiting, up to ``max_batch``, first come first served, runs them in one transaction,
and commits once: one flush for all of them. A write that fails on its own (a refusal, or
an unexpected error) fails alone: a batch runs first without savepoints (one costs about as
much as a small write's statements), and only a batch in which a write failed runs again
with a savepoint per write, that write's rolled back. A failure of the transaction (a
deadlock, a serialization failure, a lost connection) is retried for the whole batch by
:func:`~allocation.adapters.store.database.run_write`, each write run again from the start.
No answer leaves before the transaction that holds its effects has committed.

On SQLite a batch whose writes carry idempotency keys starts with a short transaction that
claims those keys (:mod:`allocation.service.claims`), so that other server processes on the
same file see them in flight; a key another live server holds fails its write with
:class:`~allocation.service.claims.ClaimedElsewhereError`. Claims of writes that failed are
released afterwards.

The thread starts with the first write and ends after a second without any.
"""

from __future__ import annotations

import asyncio
import threading
from collections import deque
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy import Engine, exc
from sqlalchemy.engine import Connection

from allocation.adapters.store.database import ReadTooEarlyError, run_write
from allocation.service.claims import ClaimedElsewhereError, Claims
from allocation.service.clock import utc_now

__all__ = ["GUARDED", "BatchHooks", "WriteQueue"]

Job = Callable[[Connection], Any]


class BatchHooks(Protocol):
    """What runs at the edges of every attempt of a batch's transaction, outside the writes'
    savepoints: the keyed layer looks up all of a batch's keys in one statement first, and
    stores all of its answers in one statement last (:mod:`allocation.service.idempotency`).
    """

    def open(self, connection: Connection, keys: list[tuple[str, str]]) -> None:
        """Before the first write: the (client, key) of every keyed write of the batch."""

    def close(self, connection: Connection) -> None:
        """After the last write, before the commit."""


class Plans:
    """What a batch tells the per-process planners (see :class:`~.plans.PlanCache`)."""

    def __init__(self) -> None:
        self.used: list[Any] = []

    def touch(self, cache: Any) -> None:
        """A write of the batch uses this planner cache."""
        if not any(c is cache for c in self.used):
            self.used = [*self.used[-3:], cache]

    def abort(self) -> None:
        """Forget what the batch did to every planner it touched."""
        for cache in self.used:
            cache.abort()

    def commit(self) -> None:
        """The batch committed: the planners' groups are current."""
        for cache in self.used:
            cache.commit()


@dataclass
class _Waiting:
    job: Job
    claim: tuple[str, str] | None = None
    done: threading.Event = field(default_factory=threading.Event)
    result: Any = None
    error: BaseException | None = None
    future: asyncio.Future[Any] | None = None
    callback: Callable[[Any, BaseException | None], None] | None = None

    def finish(self) -> None:
        """The write's answer is decided: wake whoever waits for it."""
        self.done.set()
        if self.callback is not None:
            self.callback(self.result, self.error)
        future = self.future
        if future is not None:
            # The event loop may be gone (the server stopping): nobody waits any more.
            with suppress(RuntimeError):
                future.get_loop().call_soon_threadsafe(_settle, future, self)


def _settle(future: asyncio.Future[Any], item: _Waiting) -> None:
    if future.done():  # the waiting request was cancelled
        return
    if item.error is not None:
        future.set_exception(item.error)
    else:
        future.set_result(item.result)


class WriteQueue:
    """One writer thread per process, committing waiting writes together."""

    def __init__(
        self,
        engine: Engine,
        max_batch: int = 16,
        claims: Claims | None = None,
        hooks: BatchHooks | None = None,
    ) -> None:
        self.engine = engine
        self.max_batch = max_batch
        self.claims = claims if claims is not None else Claims(engine)
        self.plans = Plans()
        self.hooks = hooks
        self._waiting: deque[_Waiting] = deque()
        self._wake = threading.Condition()
        self._thread: threading.Thread | None = None

    def run(self, job: Job, claim: tuple[str, str] | None = None) -> Any:
        """Run ``job(connection)`` in a write transaction; its result, or its exception.

        ``claim``: the (client, idempotency key) the job answers, claimed before it runs
        (SQLite); the job deletes the claim in its transaction when it stores the answer.
        """
        item = _Waiting(job, claim)
        self._enqueue(item)
        item.done.wait()
        if item.error is not None:
            raise item.error
        return item.result

    async def run_async(self, job: Job, claim: tuple[str, str] | None = None) -> Any:
        """:meth:`run` for a coroutine: the event loop goes on serving while the write waits.

        A route that awaits this needs no worker thread of its own to wait on: the writer
        thread hands the answer to the event loop.
        """
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._enqueue(_Waiting(job, claim, future=future))
        return await future

    def submit(
        self,
        job: Job,
        claim: tuple[str, str] | None,
        callback: Callable[[Any, BaseException | None], None],
    ) -> None:
        """Queue ``job``; the writer thread calls ``callback(result, error)`` once it is
        decided (a writer process answers its server this way)."""
        self._enqueue(_Waiting(job, claim, callback=callback))

    def _enqueue(self, item: _Waiting) -> None:
        with self._wake:
            self._waiting.append(item)
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._serve, name="parts-priority-writer", daemon=True
                )
                self._thread.start()
            self._wake.notify()

    def _serve(self) -> None:
        while True:
            with self._wake:
                if not self._waiting:
                    self._wake.wait(timeout=1.0)
                if not self._waiting:
                    self._thread = None
                    return
                batch = [
                    self._waiting.popleft() for _ in range(min(self.max_batch, len(self._waiting)))
                ]
            try:
                self._run(batch)
            except BaseException as failure:  # never leave a waiting request hanging
                for item in batch:
                    if not item.done.is_set():
                        item.error = failure
                        item.finish()

    def _claim(self, batch: list[_Waiting]) -> list[_Waiting]:
        """Claim the batch's keys (SQLite); the writes that may run."""
        keys = [item.claim for item in batch if item.claim is not None]
        if not keys or not self.claims.enabled:
            return batch
        try:
            refused = run_write(
                self.engine, lambda c: self.claims.take(c, keys, utc_now()), durable=False
            )
        except BaseException as failure:
            for item in batch:
                item.error = failure
                item.finish()
            return []
        for item in batch:
            if item.claim in refused:
                item.error = ClaimedElsewhereError(item.claim[1])
                item.finish()
        return [item for item in batch if not item.done.is_set()]

    def _release(self, batch: list[_Waiting]) -> None:
        """Release the claims of writes that failed (best effort: an abandoned claim of a
        live server expires after :data:`~allocation.service.claims.MAX_AGE`)."""
        keys = [item.claim for item in batch if item.claim is not None and item.error is not None]
        if not keys or not self.claims.enabled:
            return
        with suppress(Exception):  # the claim expires; the answers are already decided
            run_write(self.engine, lambda c: self.claims.release(c, keys), durable=False)

    def _run(self, batch: list[_Waiting]) -> None:
        batch = self._claim(batch)
        if not batch:
            return
        try:
            self._work(batch)
        finally:
            self._release(batch)

    def _work(self, batch: list[_Waiting]) -> None:
        def transaction(
            connection: Connection, guarded: bool
        ) -> list[tuple[Any, BaseException | None]]:
            self.plans.abort()  # what an earlier attempt of this batch did
            connection.info[GUARDED] = guarded
            if self.hooks is not None:
                keys = [item.claim for item in batch if item.claim is not None]
                self.hooks.open(connection, keys)
            results: list[tuple[Any, BaseException | None]] = []
            for item in batch:
                savepoint = connection.begin_nested() if guarded else None
                try:
                    results.append((item.job(connection), None))
                    if savepoint is not None:
                        savepoint.commit()
                except (
                    exc.OperationalError,
                    exc.IntegrityError,
                    exc.InterfaceError,
                    ReadTooEarlyError,
                ):
                    raise  # the transaction is lost: the whole batch again
                except Exception as error:
                    if savepoint is None:
                        raise _RefusedError(error) from error
                    savepoint.rollback()
                    self.plans.abort()
                    results.append((None, error))
            if self.hooks is not None:
                self.hooks.close(connection)
            return results

        try:
            try:
                # Most batches refuse nothing: no savepoint per write. A write that refuses
                # loses the transaction, and the batch runs again with a savepoint per
                # write (a keyed write then stores its refusal as its answer).
                outcomes = run_write(self.engine, lambda c: transaction(c, guarded=False))
            except _RefusedError:
                self.plans.abort()
                outcomes = run_write(self.engine, lambda c: transaction(c, guarded=True))
        except BaseException as failure:
            self.plans.abort()
            for item in batch:
                item.error = failure
                item.finish()
            return
        self.plans.commit()
        for item, (result, refusal) in zip(batch, outcomes, strict=True):
            item.result, item.error = result, refusal
            item.finish()


GUARDED = "parts_priority_guarded"
"""``connection.info`` key: whether this run of a batch gives each write a savepoint. A
write that would keep part of its work after refusing (a keyed write stores its refusal)
must refuse by raising when it is False: the batch then runs again with savepoints."""


class _RefusedError(Exception):
    """A write of an unguarded batch refused (a 4xx, or its own unexpected failure)."""

    def __init__(self, error: Exception) -> None:
        super().__init__(str(error))
        self.error = error
