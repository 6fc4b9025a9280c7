"""Partitions of the part groups among writers on PostgreSQL: leases by advisory locks,
fair shares, takeover of a dead writer's partitions, and writes sent to their owner."""

from __future__ import annotations

import time
from collections.abc import Iterator
from multiprocessing.connection import AuthenticationError, Client

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from allocation.adapters.store import leases, make_engine, migrate
from allocation.service.forwarding import Forwarder, Partaker, parts_of
from allocation.service.jobs import CloseOrder, PostOrders, ReceiveStock
from allocation.service.loading import load_into_store
from allocation.service.models import OrderIn, ReceiptLine
from allocation.service.ownership import LeaseKeeper
from allocation.service.world import WorldCache
from allocation.service.writes import WriteQueue
from tests.service import worlds
from tests.service.cluster import in_process_servers, owners, partitioned_writer
from tests.service.helpers import key, ledger_problems, write
from tests.service.stores import postgres_url

PARTS = {f"Q-{i}": 2 for i in range(12)}


def test_a_part_group_always_falls_in_the_same_partition() -> None:
    assert {leases.partition_of("P-A") for _ in range(3)} == {leases.partition_of("P-A")}
    spread = {leases.partition_of(f"P-{i:05d}") for i in range(5_000)}
    assert spread == set(range(leases.PARTITIONS))


def test_writes_that_name_parts_are_routed_by_them_and_others_run_where_they_arrive() -> None:
    order = OrderIn.model_validate(worlds.order("O-1", part="P-A"))
    assert parts_of(PostOrders((order,), "c", batch=False)) == ["P-A"]
    line = ReceiptLine(part_number="P-B", depot_id="D-US", quantity=1)
    assert parts_of(ReceiveStock((line,))) == ["P-B"]
    assert parts_of(CloseOrder("O-1", "cancel")) is None


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A migrated PostgreSQL store holding a dozen parts, one group each."""
    with postgres_url() as url:
        engine = make_engine(url)
        migrate(engine)
        load_into_store(engine, worlds.snapshot(PARTS))
        engine.dispose()
        yield url


@pytest.fixture
def keepers(pg_url: str) -> Iterator[list[LeaseKeeper]]:
    made = [LeaseKeeper(pg_url, f"writer-{i}", f"127.0.0.1:{9000 + i}") for i in range(3)]
    yield made
    for keeper in made:
        keeper.stop()


def _owners(url: str) -> dict[int, str]:
    engine = make_engine(url)
    try:
        return owners(engine)
    finally:
        engine.dispose()


def _balance(keepers: list[LeaseKeeper], rounds: int = 3) -> None:
    for _ in range(rounds):
        for keeper in keepers:
            keeper.step()


def test_one_writer_owns_every_partition(pg_url: str, keepers: list[LeaseKeeper]) -> None:
    keepers[0].step()
    assert keepers[0].owned() == frozenset(range(leases.PARTITIONS))
    assert set(_owners(pg_url).values()) == {"127.0.0.1:9000"}


def test_writers_share_the_partitions_evenly_and_never_both_own_one(
    pg_url: str, keepers: list[LeaseKeeper]
) -> None:
    keepers[0].step()
    _balance(keepers[:2])
    first, second = keepers[0].owned(), keepers[1].owned()
    assert len(first) == len(second) == leases.PARTITIONS // 2
    assert not first & second
    _balance(keepers)
    shares = [k.owned() for k in keepers]
    assert all(20 <= len(s) <= 22 for s in shares)  # ceil(64 / 3) at most
    assert frozenset().union(*shares) == frozenset(range(leases.PARTITIONS))
    owners = _owners(pg_url)
    assert len(owners) == leases.PARTITIONS
    for i, share in enumerate(shares):
        assert {owners[p] for p in share} == {f"127.0.0.1:{9000 + i}"}


def test_a_dead_writers_partitions_are_taken_over_at_the_next_balance(
    pg_url: str, keepers: list[LeaseKeeper]
) -> None:
    _balance(keepers[:2])
    engine = make_engine(pg_url)
    try:
        # The first writer's session ends, as when its process is killed.
        with engine.connect() as connection:
            dead = connection.execute(
                text("SELECT backend_pid FROM writer_leases WHERE owner = 'writer-0' LIMIT 1")
            ).scalar_one()
            connection.execute(text("SELECT pg_terminate_backend(:p)"), {"p": dead})
    finally:
        engine.dispose()
    # The server ends the session a moment later; balances a tenth of a second apart (a
    # keeper's are a second apart) take every partition over within seconds.
    deadline = time.monotonic() + 3.0
    while keepers[1].owned() != frozenset(range(leases.PARTITIONS)):
        assert time.monotonic() < deadline, "not taken over within 3 s"
        time.sleep(0.1)
        keepers[1].step()
    assert set(_owners(pg_url).values()) == {"127.0.0.1:9001"}


def test_stores_in_one_database_never_share_a_lease(pg_url: str) -> None:
    with postgres_url() as other:
        migrate(make_engine(other))
        mine, theirs = LeaseKeeper(pg_url, "a", "h:1"), LeaseKeeper(other, "b", "h:2")
        try:
            mine.step()
            theirs.step()
            assert len(mine.owned()) == len(theirs.owned()) == leases.PARTITIONS
        finally:
            mine.stop()
            theirs.stop()


def test_a_write_is_routed_to_the_owner_of_its_partition_only(
    pg_url: str, keepers: list[LeaseKeeper]
) -> None:
    _balance(keepers[:2])
    forwarder = Forwarder(make_engine(pg_url))
    forwarder.refresh()
    by_partition = {leases.partition_of(p): p for p in PARTS}
    part = by_partition[min(keepers[1].owned() & set(by_partition))]
    order = OrderIn.model_validate(worlds.order("O-1", part=part))
    assert forwarder.owner_of(PostOrders((order,), "c", batch=False)) == "127.0.0.1:9001"
    other = next(p for p in PARTS if leases.partition_of(p) in keepers[0].owned())
    spread = [other, part]
    lines = tuple(ReceiptLine(part_number=p, depot_id="D-US", quantity=1) for p in spread)
    assert forwarder.owner_of(ReceiveStock(lines)) is None
    forwarder.close()


def test_a_write_received_by_one_server_runs_at_the_owner_and_replays_anywhere(
    pg_url: str,
) -> None:
    engine = make_engine(pg_url)
    try:
        with in_process_servers(engine, 2) as (first, second):
            owned = {p for p, a in owners(engine).items() if a == _address(second)}
            part = next(p for p in PARTS if leases.partition_of(p) in owned)
            sent = key()
            answer = write(first, "POST", "/orders", worlds.order("O-1", part=part), sent)
            assert answer.status_code == 201, answer.text
            assert partitioned_writer(first).forwarder.forwarded == 1
            again = write(second, "POST", "/orders", worlds.order("O-1", part=part), sent)
            assert again.status_code == 201
            assert again.headers["idempotent-replayed"] == "true"
            assert again.json() == answer.json()
            assert partitioned_writer(second).forwarder.forwarded == 0
        assert ledger_problems(engine) == []
    finally:
        engine.dispose()


def _address(client: TestClient) -> str:
    partaker = partitioned_writer(client).partaker
    assert partaker is not None
    return partaker.address


def test_a_peer_without_the_stores_secret_is_dropped_before_it_sends_a_write(
    pg_url: str,
) -> None:
    engine = make_engine(pg_url)
    worlds = WorldCache()
    partaker = Partaker(pg_url, engine, worlds, WriteQueue(engine), "writer-x", "127.0.0.1")
    try:
        partaker.start()
        host, port = partaker.address.rsplit(":", 1)
        with pytest.raises(AuthenticationError):
            Client((host, int(port)), authkey=b"not the secret")
    finally:
        partaker.close()
        engine.dispose()


def _spins(seconds: float) -> int:
    count, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        count += 1
    return count


def test_a_keeper_waiting_for_news_does_not_stall_its_writers_thread(pg_url: str) -> None:
    """The keeper lives in the writer process: waiting for a notification must not hold
    the interpreter (psycopg's own wait with a timeout did, and writes ran 10x slower)."""
    alone = _spins(0.5)
    keeper = LeaseKeeper(pg_url, "writer-x", "127.0.0.1:9000")
    keeper.start()
    try:
        time.sleep(0.2)
        beside = _spins(0.5)
    finally:
        keeper.stop()
    assert beside > alone / 5, (alone, beside)
