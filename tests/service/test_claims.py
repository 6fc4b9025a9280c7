"""A retry sent to another server process while the first request with its key is still
running is a 409 on SQLite too; once the first has answered, it is a replay; and a key whose
first server was killed mid-request runs afresh."""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
import sqlite3
import subprocess
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, insert, select

from allocation.adapters.store import make_engine, migrate, schema
from allocation.adapters.store.database import run_read, run_write
from allocation.service.claims import MAX_AGE, Claims
from allocation.service.clock import utc_now
from allocation.service.loading import load_into_store
from allocation.service.settings import client_id_of
from tests.service import worlds
from tests.service.conftest import TOKEN, make_client
from tests.service.helpers import ledger_problems, write
from tests.service.holder import hold_order


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A loaded SQLite file (P-A: 2 units, P-B: 1 unit)."""
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    engine = make_engine(url)
    migrate(engine)
    load_into_store(engine, worlds.snapshot({"P-A": 2, "P-B": 1}))
    engine.dispose()
    return url


class Holder:
    """Another server process holding one keyed order in flight."""

    def __init__(self, url: str, body: dict[str, Any], key: str) -> None:
        context = multiprocessing.get_context("spawn")
        self.started, self.release = context.Event(), context.Event()
        self.answers: Any = context.Queue()
        self.process = context.Process(
            target=hold_order, args=(url, body, key, self.started, self.release, self.answers)
        )
        self.process.start()
        assert self.started.wait(timeout=120), "the other server never started the write"

    def finish(self) -> tuple[int, Any]:
        self.release.set()
        answer = self.answers.get(timeout=120)
        self.process.join(timeout=60)
        return answer  # type: ignore[no-any-return]

    def kill(self) -> None:
        assert self.process.pid is not None
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.join(timeout=60)


def _orders(engine: Engine, order_id: str) -> int:
    query = select(func.count()).where(schema.orders.c.order_id == order_id)
    return int(run_read(engine, lambda c: c.execute(query).scalar_one()))


def test_a_retry_sent_to_another_process_while_the_first_runs_is_a_409_then_a_replay(
    sqlite_url: str,
) -> None:
    body, key = worlds.order("HELD-1", "C-PM", "P-A", 1), uuid.uuid4().hex
    holder = Holder(sqlite_url, body, key)
    engine = make_engine(sqlite_url)
    try:
        client = make_client(engine)
        retry = write(client, "POST", "/orders", body, idempotency_key=key)
        assert retry.status_code == 409, retry.text
        assert retry.headers["Retry-After"] == "1"
        assert retry.json()["errors"][0]["field"] == "header.Idempotency-Key"
        first = holder.finish()
        assert first[0] == 201
        again = write(client, "POST", "/orders", body, idempotency_key=key)
        assert again.status_code == 201
        assert again.headers["Idempotent-Replayed"] == "true"
        assert again.json() == first[1]
        assert _orders(engine, "HELD-1") == 1
        assert run_read(engine, lambda c: c.execute(select(schema.idempotency_claims)).all()) == []
        assert ledger_problems(engine) == []
    finally:
        holder.release.set()
        engine.dispose()


def test_a_key_whose_server_was_killed_mid_request_runs_afresh_when_resent(
    sqlite_url: str,
) -> None:
    body, key = worlds.order("HELD-2", "C-STD", "P-B", 1), uuid.uuid4().hex
    holder = Holder(sqlite_url, body, key)
    holder.kill()
    engine = make_engine(sqlite_url)
    try:
        claims = run_read(engine, lambda c: c.execute(select(schema.idempotency_claims)).all())
        assert [c.key for c in claims] == [key]  # left behind by the killed server
        client = make_client(engine)
        answer = write(client, "POST", "/orders", body, idempotency_key=key)
        assert answer.status_code == 201, answer.text
        assert answer.headers["Idempotent-Replayed"] == "false"
        assert answer.json()["allocated_quantity"] == 1
        assert _orders(engine, "HELD-2") == 1
        assert ledger_problems(engine) == []
    finally:
        engine.dispose()


def _claim(engine: Engine, key: str, pid: int, age: timedelta) -> None:
    row = {
        "client_id": client_id_of(TOKEN),
        "key": key,
        "owner": "another-server",
        "host": os.uname().nodename,
        "pid": pid,
        "pid_started": None,
        "claimed_at": utc_now() - age,
    }
    run_write(engine, lambda c: c.execute(insert(schema.idempotency_claims).values(row)))


@pytest.mark.parametrize(
    ("alive", "age", "status"),
    [
        pytest.param(True, timedelta(0), 409, id="live-server"),
        pytest.param(False, timedelta(0), 201, id="dead-server"),
        pytest.param(True, MAX_AGE + timedelta(seconds=1), 201, id="too-old"),
    ],
)
def test_a_claim_blocks_its_key_only_while_its_server_lives(
    sqlite_url: str, alive: bool, age: timedelta, status: int
) -> None:
    gone = subprocess.Popen(["true"])
    gone.wait()
    engine = make_engine(sqlite_url)
    try:
        client = make_client(engine)
        key = uuid.uuid4().hex
        _claim(engine, key, os.getpid() if alive else gone.pid, age)
        answer = write(client, "POST", "/orders", worlds.order("CLAIMED", "C-STD", "P-A", 1), key)
        assert answer.status_code == status, answer.text
    finally:
        engine.dispose()


def test_the_early_look_sees_answer_and_claim_while_another_writer_holds_the_lock(
    sqlite_url: str,
) -> None:
    engine = make_engine(sqlite_url)
    try:
        client = make_client(engine)
        answered, claimed, unknown = uuid.uuid4().hex, uuid.uuid4().hex, uuid.uuid4().hex
        body = worlds.order("LOOKED", "C-STD", "P-A", 1)
        first = write(client, "POST", "/orders", body, answered)
        assert first.status_code == 201
        _claim(engine, claimed, os.getpid(), timedelta(0))
        claims = Claims(engine)
        me = client_id_of(TOKEN)
        with engine.connect() as writer, writer.execution_options(write=True).begin():
            writer.execute(insert(schema.meta).values(key="held", value="the write lock"))
            stored, claim = claims.look(me, answered)
            assert claim is None
            assert stored is not None
            assert stored.status_code == 201
            assert json.loads(stored.body) == first.json()
            stored, claim = claims.look(me, claimed)
            assert stored is None
            assert claim is not None
            assert claim.pid == os.getpid()
            assert claims.look(me, unknown) == (None, None)
            assert claims.look("another-client", answered) == (None, None)
            writer.rollback()
    finally:
        engine.dispose()


def test_a_database_that_cannot_be_read_before_the_write_is_a_503_not_a_500(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = make_engine(sqlite_url)
    try:
        client = make_client(engine)

        def locked(*args: Any) -> Any:
            raise sqlite3.OperationalError("database is locked")

        monkeypatch.setattr(engine, "raw_connection", locked)
        answer = write(client, "POST", "/orders", worlds.order("LOCKED", "C-STD", "P-A", 1))
        assert answer.status_code == 503, answer.text
        assert answer.headers["Retry-After"] == "1"
        assert answer.headers["content-type"].startswith("application/problem+json")
    finally:
        engine.dispose()
