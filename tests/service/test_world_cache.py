"""The engine's world per process: read once per transaction, built again after a load."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, event

from allocation.adapters.store.database import run_read, run_write
from allocation.service.loading import load_into_store
from allocation.service.world import World, WorldCache
from tests.service import worlds


def _version_reads(engine: Engine) -> list[str]:
    seen: list[str] = []

    def note(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if "meta" in statement and statement.lstrip().upper().startswith("SELECT"):
            seen.append(statement)

    event.listen(engine, "before_cursor_execute", note)
    return seen


def test_the_writes_of_one_transaction_read_the_load_version_once(engine: Engine) -> None:
    cache = WorldCache()
    run_read(engine, cache.get)  # built: from now on only the version is read
    reads = _version_reads(engine)

    def three_writes(connection: Any) -> list[World]:
        return [cache.get(connection) for _ in range(3)]

    first = run_write(engine, three_writes)
    assert len(reads) == 1
    assert first[0] is first[1] is first[2]
    again = run_write(engine, three_writes)
    assert len(reads) == 2  # a new transaction asks again
    assert again[0] is first[0]  # nothing was loaded in between: the same world


def test_a_load_between_two_transactions_gives_the_next_one_a_new_world(engine: Engine) -> None:
    cache = WorldCache()
    before = run_read(engine, cache.get)
    load_into_store(engine, worlds.snapshot({"P-A": 5, "P-B": 0}))
    after = run_read(engine, cache.get)
    assert after is not before
    assert after.version != before.version


def test_two_caches_in_one_transaction_each_keep_their_own_world(engine: Engine) -> None:
    one, other = WorldCache(), WorldCache()

    def both(connection: Any) -> tuple[World, World]:
        return one.get(connection), other.get(connection)

    a, b = run_write(engine, both)
    assert a is not b
    assert a.version == b.version
