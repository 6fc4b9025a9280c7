"""A stateful test: random sequences of writes and restarts against a plain reference model.

Steps: add stock, create an order (Priority Management or standard, in a covered or an
excluded country), read the allocation of a part, retry an earlier request with its key,
cancel, ship, and restart the server. After every step: conservation of units, one active
allocation per order line, Priority Management precedence, and no parts priority in an
excluded country. The world has one depot, so the optimal fill is known in closed form:
every part's units go to its open orders, parts priority first.
"""

from __future__ import annotations

import uuid
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    invariant,
    multiple,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import Engine, func, select

from allocation.adapters.store import make_engine, migrate, schema
from allocation.adapters.store.database import run_read
from tests.service import worlds
from tests.service.cluster import wait_balanced
from tests.service.conftest import AUTH, make_client
from tests.service.helpers import ledger_problems
from tests.service.stores import store_url

PARTS = ("P-A", "P-B")
START = {"P-A": 2, "P-B": 1}
CUSTOMERS = {"C-PM": "parts_priority", "C-STD": "standard", "C-PM-UY": "standard"}


@dataclass
class Model:
    """What the service should hold: units on hand, and each order's class and status."""

    on_hand: dict[str, int] = field(default_factory=lambda: dict(START))
    orders: dict[str, tuple[str, str, int, str]] = field(default_factory=dict)

    def open_orders(self, part: str) -> dict[str, tuple[str, int]]:
        """Open orders of a part: id → (class, quantity)."""
        return {
            o: (CUSTOMERS[c], q)
            for o, (c, p, q, status) in self.orders.items()
            if p == part and status == "open"
        }


@dataclass(frozen=True)
class Sent:
    """A request that was answered, kept to be retried."""

    key: str
    method: str
    path: str
    body: Any
    status: int
    answer: Any


def machine(kind: str, folder: Path, servers: int = 1) -> type[RuleBasedStateMachine]:
    """The state machine over a fresh store of a kind for every example.

    With ``servers`` > 1 (PostgreSQL) as many apps share the store and the part groups'
    partitions, and the requests go to each in turn: most writes are forwarded to the
    owner of their part group, and a restart is one server's, its partitions passing to
    the others and back.
    """

    class Service(RuleBasedStateMachine):
        sent = Bundle("sent")

        def __init__(self) -> None:
            super().__init__()
            self._store = store_url(kind, folder)
            self.url = self._store.__enter__()
            self.engine = make_engine(self.url)
            migrate(self.engine)
            from allocation.service.loading import load_into_store

            load_into_store(self.engine, worlds.snapshot(START))
            self.servers: list[ExitStack] = []
            self.clients: list[TestClient] = []
            if servers == 1:
                self.clients.append(make_client(self.engine))
            else:
                for _ in range(servers):
                    self._start_server()
                wait_balanced(self.engine, servers)
            self.turn = 0
            self.model = Model()
            self.count = 0

        def _start_server(self) -> None:
            stack = ExitStack()
            self.clients.append(stack.enter_context(make_client(self.engine, partitioned=True)))
            self.servers.append(stack)

        @property
        def client(self) -> TestClient:
            """The server whose turn it is."""
            self.turn += 1
            return self.clients[self.turn % len(self.clients)]

        def teardown(self) -> None:
            for stack in self.servers:
                stack.close()
            self.engine.dispose()
            self._store.__exit__(None, None, None)

        def _send(self, method: str, path: str, body: Any = None) -> Sent:
            key = uuid.uuid4().hex
            answer = self.client.request(
                method, path, json=body, headers={**AUTH, "Idempotency-Key": key}
            )
            assert answer.status_code < 500, answer.text
            return Sent(key, method, path, body, answer.status_code, answer.json())

        @rule(target=sent, part=st.sampled_from(PARTS), quantity=st.integers(1, 3))
        def add_stock(self, part: str, quantity: int) -> Sent:
            line = {"part_number": part, "depot_id": "D-US", "quantity": quantity}
            done = self._send("POST", "/stock/receipts", {"lines": [line]})
            assert done.status == 200
            self.model.on_hand[part] += quantity
            return done

        @rule(
            target=sent,
            customer=st.sampled_from(sorted(CUSTOMERS)),
            part=st.sampled_from(PARTS),
            quantity=st.integers(1, 3),
        )
        def create_order(self, customer: str, part: str, quantity: int) -> Sent:
            self.count += 1
            order_id = f"O-{self.count}"
            body = worlds.order(order_id, customer, part, quantity)
            done = self._send("POST", "/orders", body)
            assert done.status == 201, done.answer
            assert done.answer["priority_class"] == CUSTOMERS[customer]
            self.model.orders[order_id] = (customer, part, quantity, "open")
            return done

        @rule(part=st.sampled_from(PARTS))
        def allocate(self, part: str) -> None:
            """Read the part's allocation: it fills the open orders as the model says."""
            answer = self.client.get(f"/parts/{part}/allocations", headers=AUTH).json()
            held = {o["order_id"]: o["allocated_quantity"] for o in answer["orders"]}
            assert set(held) == set(self.model.open_orders(part))
            stock = {s["supply"]: s for s in answer["supply"]}["stock|D-US"]
            assert stock["units"] == self.model.on_hand[part]
            assert stock["promised"] == sum(held.values())

        @rule(earlier=sent)
        def retry(self, earlier: Sent) -> None:
            again = self.client.request(
                earlier.method,
                earlier.path,
                json=earlier.body,
                headers={**AUTH, "Idempotency-Key": earlier.key},
            )
            assert (again.status_code, again.json()) == (earlier.status, earlier.answer)
            assert again.headers["idempotent-replayed"] == "true"

        def _open(self) -> list[str]:
            return sorted(o for o, v in self.model.orders.items() if v[3] == "open")

        @precondition(lambda self: bool(self._open()))
        @rule(target=sent, data=st.data())
        def cancel(self, data: st.DataObject) -> Sent:
            order_id = data.draw(st.sampled_from(self._open()))
            done = self._send("POST", f"/orders/{order_id}/cancel")
            assert (done.status, done.answer["status"]) == (200, "cancelled")
            customer, part, quantity, _ = self.model.orders[order_id]
            self.model.orders[order_id] = (customer, part, quantity, "cancelled")
            return done

        @precondition(lambda self: bool(self._open()))
        @rule(target=sent, data=st.data())
        def ship(self, data: st.DataObject) -> Any:
            order_id = data.draw(st.sampled_from(self._open()))
            before = self.client.get(f"/orders/{order_id}", headers=AUTH).json()
            done = self._send("POST", f"/orders/{order_id}/ship")
            customer, part, quantity, _ = self.model.orders[order_id]
            if before["allocated_quantity"] == 0:
                assert done.status == 409
                return multiple()
            assert (done.status, done.answer["status"]) == (200, "shipped")
            assert done.answer["allocated_quantity"] == before["allocated_quantity"]
            self.model.on_hand[part] -= before["allocated_quantity"]
            self.model.orders[order_id] = (customer, part, quantity, "shipped")
            return done

        @rule()
        def restart(self) -> None:
            """A new server process: a new app, new connections, nothing cached."""
            if servers > 1:  # one of them: its partitions pass to the others, and back
                self.servers.pop(0).close()
                self.clients.pop(0)
                self._start_server()
                return
            self.engine.dispose()
            self.engine = make_engine(self.url)
            self.clients = [make_client(self.engine)]

        @invariant()
        def units_are_conserved_and_promised_once(self) -> None:
            s = schema.stock
            rows = run_read(
                self.engine,
                lambda c: c.execute(
                    select(s.c.part_number, func.sum(s.c.on_hand)).group_by(s.c.part_number)
                ).all(),
            )
            assert {str(p): int(q) for p, q in rows} == self.model.on_hand
            assert ledger_problems(self.engine) == []

        @invariant()
        def each_order_line_holds_one_allocation_and_parts_priority_comes_first(
            self,
        ) -> None:
            held = _held(self.engine)
            for order_id, (_, _, _, status) in self.model.orders.items():
                if status != "open":
                    assert order_id not in held
            for part in PARTS:
                open_orders = self.model.open_orders(part)
                mine = {o: held.get(o, 0) for o in open_orders}
                assert all(mine[o] <= q for o, (_, q) in open_orders.items())
                demand = {
                    k: sum(q for c, q in open_orders.values() if c == k)
                    for k in ("parts_priority", "standard")
                }
                given = {
                    k: sum(mine[o] for o, (c, _) in open_orders.items() if c == k)
                    for k in ("parts_priority", "standard")
                }
                # One depot: parts priority gets all it can, standard what is left.
                units = self.model.on_hand[part]
                assert given["parts_priority"] == min(units, demand["parts_priority"])
                left = units - given["parts_priority"]
                assert given["standard"] == min(left, demand["standard"])

        @invariant()
        def no_parts_priority_in_an_excluded_country(self) -> None:
            o = schema.orders
            rows = run_read(
                self.engine,
                lambda c: c.execute(
                    select(o.c.priority_class).where(o.c.customer_id == "C-PM-UY")
                ).all(),
            )
            assert {r[0] for r in rows} <= {"standard"}

    return Service


def _held(engine: Engine) -> dict[str, int]:
    """Units each order holds, from the store's balances (one row per order and supply)."""
    h = schema.holdings
    rows = run_read(
        engine,
        lambda c: c.execute(
            select(h.c.order_id, func.sum(h.c.quantity), func.count()).group_by(h.c.order_id)
        ).all(),
    )
    return {str(o): int(q) for o, q, _ in rows}


def _run(kind: str, folder: Path, examples: int, steps: int, servers: int = 1) -> None:
    run_state_machine_as_test(
        machine(kind, folder, servers),
        settings=settings(
            max_examples=examples,
            stateful_step_count=steps,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        ),
    )


STORES = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.mark.parametrize("kind", STORES)
def test_random_runs_keep_every_invariant(kind: str, tmp_path: Path) -> None:
    _run(kind, tmp_path, examples=5, steps=20)


@pytest.mark.slow
@pytest.mark.parametrize("kind", STORES)
def test_long_random_runs_keep_every_invariant(kind: str, tmp_path: Path) -> None:
    _run(kind, tmp_path, examples=60, steps=40)


@pytest.mark.slow
@pytest.mark.postgres
@pytest.mark.parametrize("servers", [2, 3])
def test_random_runs_over_several_servers_keep_every_invariant(
    servers: int, tmp_path: Path
) -> None:
    _run("postgres", tmp_path, examples=15, steps=30, servers=servers)
