"""The supplier scorecard: counts, exact intervals and verdicts against declared
probabilities."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from scipy.stats import binomtest

from allocation.reports import SCORECARD_COLUMNS, supplier_scorecard


def buys(supplier: str, failed: int, arrived: int, declared: float, source: str = "broker"):
    return pd.DataFrame(
        {
            "supplier_id": supplier,
            "source": source,
            "failed": [True] * failed + [False] * arrived,
            "declared_success": declared,
        }
    )


def test_a_supplier_far_below_its_offers_is_less_reliable_than_declared() -> None:
    card = supplier_scorecard(buys("B-1", failed=45, arrived=55, declared=0.9))
    row = card.iloc[0]
    assert (row["buys"], row["failed"], row["success_rate"]) == (100, 45, 0.55)
    assert row["verdict"] == "less reliable than declared"
    exact = binomtest(55, 100).proportion_ci(0.95, method="exact")
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((exact.low, exact.high))


def test_a_few_failures_do_not_condemn_a_supplier_and_better_than_declared_is_said() -> None:
    card = supplier_scorecard(
        pd.concat(
            [
                buys("B-FEW", failed=2, arrived=8, declared=0.9),
                buys("B-GOOD", failed=1, arrived=199, declared=0.8),
            ]
        )
    )
    verdicts = dict(zip(card["supplier_id"], card["verdict"], strict=True))
    assert verdicts == {"B-FEW": "as declared", "B-GOOD": "more reliable than declared"}
    assert list(card["supplier_id"]) == ["B-FEW", "B-GOOD"]  # least reliable first


def test_the_confidence_level_widens_the_interval() -> None:
    narrow = supplier_scorecard(buys("B-1", 30, 70, 0.8), confidence=0.8).iloc[0]
    wide = supplier_scorecard(buys("B-1", 30, 70, 0.8), confidence=0.999).iloc[0]
    assert wide["ci_low"] < narrow["ci_low"] < 0.7 < narrow["ci_high"] < wide["ci_high"]


def test_each_source_kind_of_a_supplier_is_scored_apart_and_unknown_offers_say_so() -> None:
    card = supplier_scorecard(
        pd.concat(
            [
                buys("S-1", 0, 10, 1.0, source="expedite"),
                buys("S-1", 5, 5, math.nan, source="broker"),
            ]
        )
    )
    assert list(card.columns) == list(SCORECARD_COLUMNS)
    by_source = card.set_index("source")
    assert by_source.loc["broker", "verdict"] == "no declared probability"
    assert math.isnan(by_source.loc["broker", "declared_success"])
    assert by_source.loc["expedite", "buys"] == 10


def test_no_buys_give_an_empty_card_and_bad_arguments_are_named() -> None:
    empty = supplier_scorecard(buys("B", 0, 0, 0.9))
    assert empty.empty
    assert list(empty.columns) == list(SCORECARD_COLUMNS)
    with pytest.raises(ValueError, match="declared_success"):
        supplier_scorecard(pd.DataFrame({"supplier_id": [], "source": [], "failed": []}))
    with pytest.raises(ValueError, match="confidence"):
        supplier_scorecard(buys("B", 1, 1, 0.9), confidence=1.5)
