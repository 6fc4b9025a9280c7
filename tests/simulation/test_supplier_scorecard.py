"""A run's purchases and its supplier scorecard: failures matched to the buys they take
back, and observed success rates that agree with the scenario's broker market."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from scipy.stats import binomtest

from allocation.reports import SCORECARD_COLUMNS
from simulation.purchases import purchases
from simulation.records import Recorder
from simulation.scenario.load import load_scenario
from simulation.use_cases import simulate

BROKERS = Path(__file__).resolve().parents[2] / "scenarios" / "broker-failures.yaml"


def test_a_failure_takes_back_the_earliest_like_buy_and_no_other() -> None:
    rec = Recorder(0)
    for time, event, quantity in (
        (1.0, "allocated", 1),
        (2.0, "allocated", 1),
        (3.0, "allocated", 2),  # other units: not taken back by a one-unit failure
        (97.0, "purchase_failed", 1),
    ):
        rec.emit(
            time,
            event,
            order_id="O1",
            part_number="P",
            source_kind="broker",
            origin="B-1",
            quantity=quantity,
        )
    rec.emit(4.0, "allocated", order_id="O2", part_number="P", source_kind="stock",
             origin="D-1", quantity=1)  # fmt: skip
    bought = purchases(rec.to_frame())
    assert bought[["time", "quantity", "failed"]].values.tolist() == [
        [1.0, 1, True],
        [2.0, 1, False],
        [3.0, 2, False],
    ]
    assert bought["declared_success"].isna().all()  # no offers given


def test_the_broker_markets_failures_show_in_the_scorecard() -> None:
    # brokers-failures.yaml: 45% of broker buys fail all quarter, while the offers declare
    # 88-92%: the observed rate must agree with 55%, and lie below what was declared.
    scenario = load_scenario(BROKERS, {"horizon_days": 56, "drain_days": 30})
    result = simulate(scenario, replications=2)
    bought = result.purchases()
    brokers = bought[bought["source"] == "broker"]
    assert len(brokers) >= 50
    arrived = int((~brokers["failed"]).sum())
    pooled = binomtest(arrived, len(brokers)).proportion_ci(0.999, method="exact")
    assert pooled.low < 0.55 < pooled.high
    assert brokers["declared_success"].between(0.88, 0.92).all()
    assert brokers["declared_success"].mean() > pooled.high
    card = result.supplier_scorecard(0.95).set_index(["supplier_id", "source"])
    busiest = brokers["supplier_id"].value_counts().index[0]
    assert card.loc[(busiest, "broker"), "verdict"] == "less reliable than declared"
    assert int(card.xs("broker", level="source")["buys"].sum()) == len(brokers)
    expedites = card.xs("expedite", level="source")
    assert (expedites["failed"] == 0).all()
    assert set(expedites["verdict"]) <= {"as declared"}
    assert isinstance(result.supplier_scorecard(), pd.DataFrame)


def test_simulate_out_writes_the_scorecard_beside_the_records(tmp_path: Path) -> None:
    from simulation.entrypoints.cli import main

    out = tmp_path / "run"
    code = main(
        [
            "simulate",
            str(BROKERS),
            "--set",
            "horizon_days=42",
            "--set",
            "drain_days=10",
            "-r",
            "1",
            "--out",
            str(out),
        ]
    )
    assert code == 0
    card = pd.read_csv(out / "suppliers.csv")
    assert list(card.columns) == list(SCORECARD_COLUMNS)
    assert (out / "suppliers.parquet").exists()
    assert card["buys"].sum() == len(
        pd.read_parquet(out / "records.parquet").query(
            "event == 'allocated' and source_kind in ('broker', 'expedite')"
        )
    )
