"""Group commit: writes of one batch share a transaction, and a refused write fails alone."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import Column, Engine, Integer, MetaData, Table, event, select
from sqlalchemy.engine import Connection

from allocation.service.writes import WriteQueue

_SCRATCH = Table("write_queue_scratch", MetaData(), Column("n", Integer, primary_key=True))


class RefusalError(Exception):
    """What a write raises to refuse (as a 4xx would)."""


@pytest.fixture
def scratch(engine: Engine) -> Iterator[Engine]:
    _SCRATCH.create(engine)
    yield engine
    _SCRATCH.drop(engine)


def _insert(n: int, refuse: bool = False) -> Callable[[Connection], int]:
    def job(connection: Connection) -> int:
        connection.execute(_SCRATCH.insert().values(n=n))
        if refuse:
            raise RefusalError(f"write {n} refused")
        return n

    return job


def _savepoints(engine: Engine) -> list[str]:
    seen: list[str] = []

    def note(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.upper().startswith("SAVEPOINT"):
            seen.append(statement)

    event.listen(engine, "before_cursor_execute", note)
    return seen


def _one_batch(queue: WriteQueue, jobs: list[Callable[[Connection], int]]) -> list[Any]:
    """Run ``jobs`` as one batch: they queue up while a first write holds the writer."""
    gate, started = threading.Event(), threading.Event()

    def hold(connection: Connection) -> int:
        started.set()
        assert gate.wait(10)
        return -1

    answers: list[Any] = [None] * len(jobs)

    def send(i: int, job: Callable[[Connection], int]) -> None:
        try:
            answers[i] = queue.run(job)
        except Exception as error:
            answers[i] = error

    holder = threading.Thread(target=queue.run, args=(hold,))
    holder.start()
    assert started.wait(10)
    senders = [threading.Thread(target=send, args=(i, job)) for i, job in enumerate(jobs)]
    for i, sender in enumerate(senders):
        sender.start()
        deadline = time.monotonic() + 10
        while len(queue._waiting) < i + 1:  # queued in this order, behind the held write
            assert time.monotonic() < deadline, "a write never reached the queue"
            time.sleep(0.001)
    gate.set()
    for thread in [holder, *senders]:
        thread.join(10)
    return answers


def _stored(engine: Engine) -> list[int]:
    with engine.connect() as connection:
        return [n for (n,) in connection.execute(select(_SCRATCH.c.n).order_by(_SCRATCH.c.n))]


def test_a_batch_that_refuses_nothing_commits_every_write_without_savepoints(
    scratch: Engine,
) -> None:
    savepoints = _savepoints(scratch)
    answers = _one_batch(WriteQueue(scratch), [_insert(1), _insert(2), _insert(3)])
    assert answers == [1, 2, 3]
    assert _stored(scratch) == [1, 2, 3]
    assert savepoints == []


def test_a_refused_write_fails_alone_and_the_rest_of_its_batch_commits(scratch: Engine) -> None:
    answers = _one_batch(WriteQueue(scratch), [_insert(1), _insert(2, refuse=True), _insert(3)])
    assert (answers[0], answers[2]) == (1, 3)
    assert isinstance(answers[1], RefusalError)
    assert str(answers[1]) == "write 2 refused"
    assert _stored(scratch) == [1, 3]


def test_a_write_refused_on_its_own_leaves_nothing_behind(scratch: Engine) -> None:
    queue = WriteQueue(scratch)
    with pytest.raises(RefusalError, match="write 7 refused"):
        queue.run(_insert(7, refuse=True))
    assert _stored(scratch) == []
    assert queue.run(_insert(8)) == 8
    assert _stored(scratch) == [8]


def test_a_coroutine_awaits_its_write_and_its_refusal_without_a_thread_of_its_own(
    scratch: Engine,
) -> None:
    queue = WriteQueue(scratch)
    threads_before = threading.active_count()

    async def post_all() -> list[Any]:
        jobs = [_insert(n, refuse=n == 2) for n in range(1, 6)]
        return await asyncio.gather(*(queue.run_async(job) for job in jobs), return_exceptions=True)

    answers = asyncio.run(post_all())
    assert [a for i, a in enumerate(answers) if i != 1] == [1, 3, 4, 5]
    assert isinstance(answers[1], RefusalError)
    assert _stored(scratch) == [1, 3, 4, 5]
    # Only the writer thread was started for five waiting writes.
    assert threading.active_count() <= threads_before + 1


def test_a_cancelled_waiter_does_not_undo_its_write_nor_break_the_writer(scratch: Engine) -> None:
    queue = WriteQueue(scratch)
    gate = threading.Event()

    def slow(connection: Connection) -> int:
        assert gate.wait(10)
        return _insert(1)(connection)

    async def give_up() -> None:
        waiting = asyncio.ensure_future(queue.run_async(slow))
        await asyncio.sleep(0.01)
        waiting.cancel()
        gate.set()
        with pytest.raises(asyncio.CancelledError):
            await waiting

    asyncio.run(give_up())
    assert queue.run(_insert(2)) == 2
    assert _stored(scratch) == [1, 2]
