"""Response-time targets: which ``need_by`` an order gets, from its row or from the policy."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pandas as pd
import pytest

from allocation import AllocationPolicy, Engine, Planner, ResponseTimes, Tier, allocate
from allocation.adapters.policy_file import response_times_from
from allocation.errors import PolicyError
from tests.allocation.engine.builders import AS_OF, PM, STD, order, snapshot


def _need_by(engine: Engine | Planner) -> dict[str, pd.Timestamp | None]:
    orders = (engine.problem() if isinstance(engine, Engine) else engine.plan().problem).orders
    return {
        str(oid): None if np.isnat(due) else pd.Timestamp(due)
        for oid, due in zip(orders.order_id, orders.need_by, strict=True)
    }


def test_the_shortest_response_time_that_applies_counts() -> None:
    times = ResponseTimes(tier={Tier.PM: 8.0}, product_type={"desktop": 12.0}, country={"CA": 2.0})
    assert times.hours(Tier.PM, "desktop", "US") == 8.0
    assert times.hours(Tier.STANDARD, "desktop", "US") == 12.0
    assert times.hours(Tier.PM, "desktop", "CA") == 2.0
    assert times.hours(Tier.PA, "notebook", "US") is None


def test_an_explicit_need_by_wins_over_the_policys_response_time() -> None:
    policy = AllocationPolicy(response_hours=ResponseTimes(tier={Tier.PM: 4.0}))
    snap = snapshot(
        [order("O1", age=10, due=30.0), order("O2", age=10), order("O3", STD, age=10)],
        stock=[("A", "D1", 3)],
    )
    due = _need_by(Engine(snap, policy))
    assert due["O1"] == pd.Timestamp(AS_OF + timedelta(hours=30))
    assert due["O2"] == pd.Timestamp(AS_OF - timedelta(hours=10) + timedelta(hours=4))
    assert due["O3"] is None  # a standard customer: no PM tier, no response time


def test_the_default_policy_gives_no_order_a_target_and_plans_look_as_before() -> None:
    snap = snapshot([order("O1"), order("O2", STD)], stock=[("A", "D1", 1)])
    plan = allocate(snap)
    assert not plan.problem.orders.has_targets()
    assert "need_by" not in plan.lines
    assert not any("late" in key for key in plan.objective())
    assert "units_late" not in plan.summary()["by_class"]["parts_priority"]


def test_an_arrival_gets_the_need_by_a_full_load_would_give_it() -> None:
    policy = AllocationPolicy(response_hours=ResponseTimes(tier={Tier.PM: 6.0}))
    planner = Planner(snapshot([order("O1", age=3)], stock=[("A", "D1", 1)]), policy)
    planner.add_order(
        {
            "order_id": "N1",
            "customer_id": PM,
            "part_number": "A",
            "quantity": 1,
            "created_at": AS_OF - timedelta(hours=1),
            "product_type": "desktop",
            "warranty_valid": True,
            "ship_to_country": "US",
        }
    )
    full = snapshot([order("O1", age=3), order("N1", age=1)], stock=[("A", "D1", 1)])
    assert _need_by(planner) == _need_by(Engine(full, policy))


@pytest.mark.parametrize(
    "raw",
    [
        {"tier": {"PM": 0}},
        {"tier": {"PM": float("nan")}},
        {"tier": {"PM": True}},
        {"tier": {"PM": "eight"}},
        {"country": {"DE": 1e9}},
        {"tier": ["PM", 4]},
        ["PM"],
    ],
)
def test_a_response_time_that_is_not_a_positive_finite_number_of_hours_is_refused(
    raw: object,
) -> None:
    with pytest.raises(PolicyError, match="response_hours"):
        response_times_from(raw, "policy.yaml")
