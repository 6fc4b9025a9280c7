"""Broker risk priced: a broker unit valued at its expected ETA, the fallback included.

Every world has depot D1 in the US; a PM order there is ``parts_priority``. The broker
``BRK`` reaches the US in 4 h, so a buy with a 20 h lead time has an ETA of 24 h.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from allocation.adapters.policy_file import allocation_policy_from, load_policy_sections
from allocation.adapters.snapshot import Snapshot, load_snapshot
from allocation.allocate import allocate
from allocation.domain.policy import AllocationPolicy
from allocation.engine.objective import broker_expected_eta, broker_expected_eta_one
from allocation.errors import PolicyError
from tests.allocation.engine.builders import AS_OF, order, world


def _broker_world(success: float, receipt_hours: float | None = 40.0) -> Snapshot:
    """One PM order; a broker at 24 h that succeeds with ``success``; a receipt at home."""
    tables = world(
        [order("P")],
        options=[("A", "broker", "BRK", 1, 20, 30)],
        inbound=[("A", "D1", 1, receipt_hours)] if receipt_hours is not None else [],
        lanes=[("BRK", "US", 4, 5)],
    ).tables()
    tables["supply_options"]["success_probability"] = success
    return load_snapshot(tables, as_of=AS_OF)


def _priced(**changes: object) -> AllocationPolicy:
    return AllocationPolicy(broker_risk="priced", **changes)  # type: ignore[arg-type]


def test_a_broker_buy_is_worth_its_expected_eta_worked_by_hand() -> None:
    # 24 h if it succeeds (p = 0.5). Bought again until it succeeds, each failure known
    # at its ETA: 24 + 24·(0.5/0.5) = 48 h. Known after 4 h: 24 + 4 = 28 h. Known after
    # 96 h, then a unit from elsewhere 100 h later: 0.5·24 + 0.5·(96 + 100) = 110 h.
    eta, p = np.array([24.0]), np.array([0.5])
    assert broker_expected_eta(eta, p, None, None).tolist() == [48.0]
    assert broker_expected_eta(eta, p, 4.0, None).tolist() == [28.0]
    assert broker_expected_eta(eta, p, 96.0, 100.0).tolist() == [110.0]
    assert broker_expected_eta_one(24.0, 0.5, 96.0, 100.0) == 110.0


def test_a_sure_buy_is_worth_its_own_eta_however_failures_are_priced() -> None:
    eta, sure = np.array([24.0, 7.3]), np.array([1.0, 1.0])
    for detected, fallback in ((None, None), (96.0, None), (None, 5.0), (96.0, 100.0)):
        assert broker_expected_eta(eta, sure, detected, fallback).tolist() == [24.0, 7.3]


def test_a_buy_that_never_succeeds_is_never_reached_when_bought_again_and_again() -> None:
    assert broker_expected_eta(np.array([24.0]), np.array([0.0]), None, None)[0] == np.inf
    assert broker_expected_eta_one(24.0, 0.0, 96.0, None) == float("inf")


def test_threshold_risk_takes_the_faster_broker_over_a_later_receipt() -> None:
    line = allocate(_broker_world(0.5)).lines.iloc[0]
    assert (line["source"], line["eta_hours"]) == ("broker", 24.0)


def test_priced_risk_takes_the_receipt_when_the_brokers_expected_eta_is_later() -> None:
    # The broker's expected ETA is 48 h (bought again on failure): the receipt at 40 h wins.
    plan = allocate(_broker_world(0.5), policy=_priced())
    assert plan.lines["source"].tolist() == ["inbound"]


def test_priced_risk_keeps_the_broker_when_a_failure_is_known_early() -> None:
    # Known after 4 h: 28 h expected, still before the receipt's 40 h. The plan's line
    # carries the expected ETA, the one the objective weighed.
    line = allocate(_broker_world(0.5), policy=_priced(broker_failure_detected_hours=4.0))
    assert (line.lines.iloc[0]["source"], line.lines.iloc[0]["eta_hours"]) == ("broker", 28.0)


def test_a_reliable_broker_beats_the_receipt_under_priced_risk() -> None:
    # p = 0.9: 24 + 24·0.1/0.9 = 26.7 h.
    plan = allocate(_broker_world(0.9), policy=_priced())
    assert plan.lines["source"].tolist() == ["broker"]


def test_units_come_first_so_a_risky_broker_still_serves_an_order_with_nothing_else() -> None:
    # The threshold leaves the order with nothing; priced risk buys the only unit there is.
    alone = _broker_world(0.3, receipt_hours=None)
    assert allocate(alone, policy=AllocationPolicy(min_success_probability=0.6)).lines.empty
    line = allocate(alone, policy=_priced(broker_fallback_hours=100.0)).lines.iloc[0]
    assert line["source"] == "broker"
    assert line["eta_hours"] == pytest.approx(0.3 * 24 + 0.7 * (24 + 100))


def test_priced_risk_leaves_expedite_and_owned_supply_as_they_were() -> None:
    tables = world(
        [order("P"), order("Q")],
        options=[("A", "expedite", "FAB", 1, 20, 30)],
        stock=[("A", "D1", 1)],
        lanes=[("FAB", "US", 4, 5)],
    ).tables()
    snap = load_snapshot(tables, as_of=AS_OF)
    threshold = allocate(snap).lines
    priced = allocate(snap, policy=_priced(broker_fallback_hours=1000.0)).lines
    pd.testing.assert_frame_equal(threshold, priced)


def test_the_policy_file_reads_broker_risk_and_names_a_bad_value(tmp_path: Path) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text(
        "allocation:\n  broker_risk: priced\n  broker_failure_detected_hours: 96\n"
        "  broker_fallback_hours: 120\n",
        encoding="utf-8",
    )
    policy = allocation_policy_from(load_policy_sections(path)["allocation"])
    assert (policy.broker_risk, policy.broker_failure_detected_hours) == ("priced", 96)
    assert policy.broker_fallback_hours == 120
    with pytest.raises(PolicyError, match="broker_risk must be one of threshold, priced"):
        allocation_policy_from({"broker_risk": "expected"})
    with pytest.raises(PolicyError, match="broker_fallback_hours must be a number"):
        allocation_policy_from({"broker_fallback_hours": "soon"})
    with pytest.raises(PolicyError, match="non-negative number of hours, got -1"):
        allocation_policy_from({"broker_failure_detected_hours": -1})
