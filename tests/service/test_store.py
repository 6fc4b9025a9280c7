"""The store on SQLite and PostgreSQL: migrations, and the reconciliation that proves it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import Engine, insert, select, text

from allocation.adapters.store import make_engine, migrate, schema
from allocation.adapters.store.database import is_sqlite, lock_groups, run_read, run_write
from allocation.adapters.store.ledger import Holding, Stamp, record
from allocation.adapters.store.migrate import current_revision, head_revision
from allocation.adapters.store.reconcile import check_store
from allocation.adapters.store.statements import pair, pick
from allocation.errors import InputError
from tests.service import worlds
from tests.service.conftest import make_client
from tests.service.helpers import write

AT = datetime(2026, 1, 1)


def test_a_database_at_the_first_revision_migrates_with_its_promises(db_url: str) -> None:
    engine = make_engine(db_url)
    migrate(engine, "0001")
    with engine.begin() as connection:
        for statement in (
            "INSERT INTO part_groups (group_key, version) VALUES ('P-A', 0)",
            "INSERT INTO parts (part_number, unit_cost, group_key) VALUES ('P-A', 1.0, 'P-A')",
            "INSERT INTO depots (depot_id, country) VALUES ('D-US', 'US')",
            "INSERT INTO stock (part_number, depot_id, on_hand) VALUES ('P-A', 'D-US', 3)",
            "INSERT INTO customers VALUES ('C-1', 'One', 'US', 10, 0, true)",
            "INSERT INTO orders (order_id, customer_id, part_number, group_key, quantity, "
            "created_at, product_type, warranty_valid, country, priority_class, tier, reasons, "
            "status) VALUES ('O-1', 'C-1', 'P-A', 'P-A', 2, '2026-01-01', 'desktop', true, 'US', "
            "'standard', 'standard', '[]', 'open')",
            "INSERT INTO ledger (group_key, order_id, event, part_number, source, origin, "
            "supply_key, quantity, cost, recorded_at) VALUES ('P-A', 'O-1', 'allocate', 'P-A', "
            "'stock', 'D-US', 'stock|D-US', 2, 0, '2026-01-01')",
        ):
            connection.execute(text(statement))
    assert migrate(engine) == head_revision() == current_revision(engine)
    held = run_read(engine, lambda c: c.execute(text("SELECT quantity FROM holdings")).all())
    assert [tuple(r) for r in held] == [(2,)]
    assert run_read(engine, check_store) == []
    engine.dispose()


def _overpromise(engine: Engine) -> None:
    def work(connection: object) -> None:
        from sqlalchemy.engine import Connection

        assert isinstance(connection, Connection)
        connection.execute(
            insert(schema.orders).values(
                order_id="O-X",
                customer_id="C-STD",
                part_number="P-B",
                group_key="P-B",
                quantity=5,
                created_at=AT,
                product_type="desktop",
                warranty_valid=True,
                country="US",
                priority_class="standard",
                tier="standard",
                reasons="[]",
                status="open",
                backorder_quantity=3,
            )
        )
        h = Holding("O-X", "P-B", "stock", "D-US", "stock|D-US", 2, None, 0.0)
        record(connection, Stamp("P-B", 99, AT), [("allocate", h)])

    run_write(engine, work)


def test_the_reconciliation_finds_a_unit_promised_twice(engine: Engine) -> None:
    assert run_read(engine, check_store) == []
    _overpromise(engine)  # P-B has one unit on hand
    problems = run_read(engine, check_store)
    assert problems == ["group P-B after write 99: P-B stock|D-US has 1, promised 2"]


def test_the_reconciliation_finds_a_backorder_that_disagrees_with_the_holdings(
    client: Any, engine: Engine
) -> None:
    write(client, "POST", "/orders", worlds.order("O-1", "C-STD", "P-A", 2))
    assert run_read(engine, check_store) == []
    with engine.begin() as connection:
        connection.execute(text("UPDATE orders SET backorder_quantity = 1 WHERE order_id = 'O-1'"))
    assert run_read(engine, check_store) == ["order O-1 waits for 1 of 2 but holds 2"]


def test_the_planner_reads_again_only_old_groups_whose_receipts_depend_on_the_moment(
    engine: Engine,
) -> None:
    client = make_client(engine)
    write(client, "POST", "/orders", worlds.order("O-1", "C-STD", "P-A", 1))
    receipt = {"part_number": "P-B", "depot_id": "D-US", "quantity": 1}
    receipt["eta"] = "2099-01-01T00:00:00"
    assert write(client, "POST", "/inbound", {"lines": [receipt]}).status_code == 201
    runtime = client.app.state.runtime
    plans = run_read(engine, runtime.worlds.get).plans
    plans.max_age_s = 0.0
    before = plans.rebuilt_groups
    write(client, "POST", "/orders", worlds.order("O-2", "C-STD", "P-A", 1))
    assert plans.rebuilt_groups == before  # stock only: the moment does not matter
    write(client, "POST", "/orders", worlds.order("O-3", "C-STD", "P-B", 1))
    assert plans.rebuilt_groups == before + 1
    assert run_read(engine, check_store) == []


def _versions(engine: Engine) -> dict[str, int]:
    rows = run_read(engine, lambda c: c.execute(text("SELECT group_key, version FROM part_groups")))
    return {str(k): int(v) for k, v in rows}


@pytest.mark.parametrize("returning", [True, False], ids=["one-statement", "two-statements"])
def test_locking_groups_numbers_each_write_of_a_group_one_after_another(
    engine: Engine, returning: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    # SQLite before 3.35 has no UPDATE ... RETURNING; PostgreSQL always takes two statements.
    monkeypatch.setattr(engine.dialect, "update_returning", returning and is_sqlite(engine))
    before = _versions(engine)
    groups = sorted(before)
    first = run_write(engine, lambda c: lock_groups(c, groups, AT))
    second = run_write(engine, lambda c: lock_groups(c, [groups[0]], AT))
    assert {k: s.txn for k, s in first.items()} == {k: v + 1 for k, v in before.items()}
    assert second == {groups[0]: Stamp(groups[0], before[groups[0]] + 2, AT)}
    with pytest.raises(InputError, match="unknown part group 'NOPE'"):
        run_write(engine, lambda c: lock_groups(c, [groups[0], "NOPE"], AT))
    assert _versions(engine) == {
        **before,
        groups[0]: before[groups[0]] + 2,
        groups[1]: before[groups[1]] + 1,
    }


def test_a_statement_pair_answers_alike_for_one_value_and_for_a_list(engine: Engine) -> None:
    groups = schema.part_groups
    statements = pair(
        lambda match: select(groups.c.group_key).where(match).order_by(groups.c.group_key),
        groups.c.group_key,
        "keys",
    )
    keys = sorted(_versions(engine))

    def rows(statement: Any, params: dict[str, Any]) -> list[str]:
        return [str(k) for (k,) in run_read(engine, lambda c: c.execute(statement, params))]

    one, one_params = pick(statements, "keys", keys[:1])
    assert one is statements[1]
    assert one_params == {"keys": keys[0]}
    assert rows(one, one_params) == rows(statements[0], {"keys": keys[:1]}) == keys[:1]
    many, many_params = pick(statements, "keys", keys)
    assert many is statements[0]
    assert rows(many, many_params) == keys
    assert rows(*pick(statements, "keys", [])) == []
