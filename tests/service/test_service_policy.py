"""The service's policy, on SQLite and on PostgreSQL: ``load --policy`` stores it, every
server on the database plans with it as ``allocate --policy`` plans the same snapshot (a
restarted one too), ``GET /policy`` shows it, and a policy the service cannot honour, or a
bad file, is refused with exit code 2 and nothing stored."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from sqlalchemy import func, select

from allocation.adapters.store import make_engine, schema
from allocation.adapters.store.database import run_read
from allocation.entrypoints.cli import main
from allocation.service.policy import policy_from_file
from allocation.service.server import ServeOptions, startup_line
from allocation.service.settings import ServiceSettings
from tests.service import worlds
from tests.service.conftest import AUTH, TOKEN, make_client
from tests.service.helpers import ledger_problems, write
from tests.service.worlds import order

# A customer takes at most one unit of P-A a week, and Priority Management orders are due
# within 8 hours: O-1 (PM, 2 units) gets one of the three units on hand, not two.
POLICY = """\
allocation:
  response_hours:
    tier: {PM: 8}
  fair_share:
    caps:
      - {by: customer, part: P-A, units: 1, period: week}
"""


def _snapshot_folder(folder: Path) -> Path:
    """The tiny world with three units of P-A and two open orders of it, as CSV files."""
    tables = worlds.tables({"P-A": 3, "P-B": 1})
    now = datetime.utcnow().replace(microsecond=0)
    tables["orders"] = pd.DataFrame(
        {
            "order_id": ["O-1", "S-1"],
            "customer_id": ["C-PM", "C-STD"],
            "part_number": ["P-A", "P-A"],
            "quantity": [2, 1],
            "created_at": [(now - timedelta(hours=h)).isoformat() for h in (1, 2)],
            "product_type": ["desktop", "desktop"],
            "warranty_valid": [True, True],
            "ship_to_country": [None, None],
            "need_by": [None, None],
        }
    )
    folder.mkdir()
    for name, frame in tables.items():
        frame.to_csv(folder / f"{name}.csv", index=False)
    return folder


def _policy_file(folder: Path, text: str = POLICY, name: str = "caps.yaml") -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def _held(lines: list[dict[str, Any]]) -> dict[str, int]:
    held: dict[str, int] = {}
    for line in lines:
        held[line["order_id"]] = held.get(line["order_id"], 0) + line["quantity"]
    return held


def _served(client: Any) -> dict[str, int]:
    """Units each open order holds, as the service answers."""
    page = client.get("/plan", headers=AUTH).json()
    return {o["order_id"]: o["allocated_quantity"] for o in page["orders"] if o["allocations"]}


def test_a_loaded_policy_plans_the_service_as_allocate_plans_the_snapshot_and_survives_a_restart(
    db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    snapshot, policy = _snapshot_folder(tmp_path / "snap"), _policy_file(tmp_path)
    assert main(["allocate", "--snapshot", str(snapshot), "--policy", str(policy), "--json"]) == 0
    expected = _held(json.loads(capsys.readouterr().out)["lines"])
    assert expected == {"O-1": 1, "S-1": 1}  # the cap holds O-1 to one unit

    assert main(["load", "--snapshot", str(snapshot), "--db", db_url, "--policy", str(policy)]) == 0
    stored = policy_from_file(policy)
    assert f"policy: caps.yaml (sha256 {stored.sha256[:12]}" in capsys.readouterr().out

    engine = make_engine(db_url)
    try:
        client = make_client(engine)
        assert _served(client) == expected
        answer = client.get("/policy", headers=AUTH).json()
        assert (answer["name"], answer["sha256"]) == ("caps.yaml", stored.sha256)
        assert answer["document"]["allocation"]["fair_share"]["caps"][0]["units"] == 1

        # A restarted server reads the stored policy: C-PM has taken its unit this week,
        # so a new order of it waits though a unit is on hand, and is due within 8 hours.
        restarted = make_client(engine)
        posted = write(restarted, "POST", "/orders", order("O-2", "C-PM", "P-A")).json()
        assert posted["allocated_quantity"] == 0
        assert posted["backorder"]["quantity"] == 1
        due = datetime.fromisoformat(posted["need_by"]) - datetime.fromisoformat(
            posted["created_at"]
        )
        assert due == timedelta(hours=8)
        assert ledger_problems(engine) == []
    finally:
        engine.dispose()


def test_a_load_without_a_policy_keeps_the_stored_one(
    db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    snapshot, policy = _snapshot_folder(tmp_path / "snap"), _policy_file(tmp_path)
    assert main(["load", "--snapshot", str(snapshot), "--db", db_url, "--policy", str(policy)]) == 0
    # A new policy is a new load: refused without --replace, like any second load.
    again = ["load", "--snapshot", str(snapshot), "--db", db_url]
    assert main([*again, "--policy", str(policy)]) == 2
    assert "--replace" in capsys.readouterr().err
    assert main([*again, "--replace"]) == 0
    assert "policy: caps.yaml" in capsys.readouterr().out
    engine = make_engine(db_url)
    try:
        client = make_client(engine)
        assert client.get("/policy", headers=AUTH).json()["name"] == "caps.yaml"
        assert _served(client) == {"O-1": 1, "S-1": 1}
    finally:
        engine.dispose()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("allocation:\n  fair_shares: {}\n", "allocation.fair_shares is not an option"),
        ("allocation:\n  churn_penalty: 5\n", "the incremental planner does not price churn"),
        ("allocation: [1, 2]\n", "section 'allocation' must be a mapping"),
    ],
    ids=["unknown-key", "churn-penalty", "not-a-mapping"],
)
def test_a_policy_the_service_cannot_use_exits_2_and_stores_nothing(
    db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, message: str
) -> None:
    snapshot, policy = _snapshot_folder(tmp_path / "snap"), _policy_file(tmp_path, text)
    assert main(["load", "--snapshot", str(snapshot), "--db", db_url, "--policy", str(policy)]) == 2
    err = capsys.readouterr().err
    assert message in " ".join(err.split())
    engine = make_engine(db_url)
    try:
        counts = run_read(
            engine,
            lambda c: (
                [
                    c.execute(select(func.count()).select_from(t)).scalar_one()
                    for t in (schema.service_policy, schema.orders)
                ]
                if _migrated(c)
                else [0, 0]
            ),
        )
        assert counts == [0, 0]
    finally:
        engine.dispose()


def _migrated(connection: Any) -> bool:
    from sqlalchemy import inspect

    return bool(inspect(connection).has_table("service_policy"))


def test_get_policy_needs_the_token_and_says_default_when_none_was_loaded(
    client: Any,
) -> None:
    assert client.get("/policy").status_code == 401
    answer = client.get("/policy", headers=AUTH).json()
    assert (answer["name"], answer["document"], answer["loaded_at"]) == ("default", {}, None)


def test_the_startup_line_names_the_policy_and_its_digest(tmp_path: Path) -> None:
    policy = policy_from_file(_policy_file(tmp_path))
    settings = ServiceSettings(tokens=(TOKEN,))
    line = startup_line(settings, ServeOptions(), policy.describe())
    assert f"policy: caps.yaml (sha256 {policy.sha256[:12]}…)" in line


def test_a_protection_table_the_file_names_is_stored_in_the_document(tmp_path: Path) -> None:
    (tmp_path / "levels.csv").write_text("depot_id,part_number,level\nD-US,P-A,1\n")
    text = "allocation:\n  protection:\n    levels: levels.csv\n"
    policy = policy_from_file(_policy_file(tmp_path, text))
    assert policy.document["allocation"]["protection"]["levels"] == [
        {"depot_id": "D-US", "part_number": "P-A", "level": 1}
    ]
    assert policy.allocation.protection.level("D-US", "P-A") == 1
