"""End to end: fair-share caps from a policy file through ``parts-priority allocate``."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from allocation.entrypoints.cli import main

EXAMPLE = Path(__file__).resolve().parents[3] / "scenarios" / "example"


def test_a_cap_in_the_policy_file_holds_every_customer_to_it(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text(
        "allocation:\n  fair_share:\n    caps:\n"
        "      - {by: customer, part: '*', units: 1, period: week}\n",
        encoding="utf-8",
    )
    code = main(["allocate", "--snapshot", str(EXAMPLE), "--json", "--policy", str(policy)])
    out = capsys.readouterr().out
    assert code == 0, out
    document = json.loads(out)
    orders = pd.read_csv(EXAMPLE / "orders.csv").set_index("order_id")
    lines = pd.DataFrame(document["lines"])
    lines["customer_id"] = orders.loc[lines["order_id"], "customer_id"].to_numpy()
    taken = lines.groupby(["customer_id", "requested_part_number"])["quantity"].sum()
    assert taken.max() <= 1
    capped = [row for row in document["unfilled"] if row["code"] == "capped_by_fair_share"]
    assert capped, document["unfilled"]
    assert all(row["reason"].startswith("capped: customer ") for row in capped)
    assert all(row["reason"].endswith(" this week") for row in capped)


def test_a_bad_cap_exits_2_naming_the_key(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text(
        "allocation:\n  fair_share:\n    caps:\n      - {by: customer, part: '*', share: 2}\n",
        encoding="utf-8",
    )
    code = main(["allocate", "--snapshot", str(EXAMPLE), "--policy", str(policy)])
    assert code == 2
    assert "allocation.fair_share.caps[0].share" in capsys.readouterr().err
