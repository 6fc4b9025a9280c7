"""A what-if case: edits chain, record themselves, never touch the case they started from."""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest

from allocation import AllocationPolicy, ProtectionLevels, WhatIf
from allocation.errors import PolicyError, UnknownIdError
from tests.allocation.engine.builders import PM, STD, order, snapshot

TWO_DEPOTS = {
    "depots": [("D1", "US"), ("D2", "DE")],
    "lanes": [("D1", "DE", 24, 7), ("D2", "US", 30, 9)],
}


def _base() -> WhatIf:
    return WhatIf(
        snapshot(
            [order("P1", PM, age=1), order("S1", STD, age=9)],
            stock=[("A", "D1", 1), ("A", "D2", 1)],
            **TWO_DEPOTS,
        )
    )


def test_each_step_returns_a_new_case_and_says_what_it_changed() -> None:
    base = _base()
    case = (
        base.take_depot_offline("D2")
        .scale_demand(2, parts=["A"])
        .add_broker_capacity(
            "A", 4, lead_time_hours=24, unit_cost=80, supplier_id="BRK", delivers_to="D1"
        )
        .set_tier(STD, "PA+")
        .move_customer(STD, "Canada")
        .with_policy(preemption=False)
    )
    assert case.edits == (
        "depot D2 offline",
        "demand × 2 (parts A)",
        "+4 A from broker BRK (24 h, 80.00 each)",
        "STD tier PA+",
        "STD moved to CA",
        "policy: preemption=False",
    )
    assert base.edits == ()
    assert len(base.snapshot.orders) == 2
    assert base.policy == AllocationPolicy()
    assert case.policy.preemption is False
    with pytest.raises(dataclasses.FrozenInstanceError):
        case.policy = AllocationPolicy()  # type: ignore[misc]
    assert "depot D2 offline" in repr(case)
    assert "depot D2 offline" in case._repr_html_()


def test_a_case_allocates_its_own_snapshot_under_its_own_policy() -> None:
    base = WhatIf(
        snapshot([order("P1", PM, age=1), order("S1", STD, age=9)], stock=[("A", "D1", 2)])
    )
    assert base.allocate().objective()["standard_units"] == 1
    protected = base.with_protection(ProtectionLevels({("D1", "A"): 2}))
    objective = protected.allocate().objective()
    assert objective["parts_priority_units"] == 1
    assert objective["standard_units"] == 0
    assert protected.allocate(strategy="fifo").strategy == "fifo"
    assert base.allocate().objective()["standard_units"] == 1


def test_protection_can_come_from_a_table_with_a_default() -> None:
    table = pd.DataFrame({"depot_id": ["D1"], "part_number": ["A"], "level": [2]})
    case = _base().with_protection(table, default=1)
    assert case.policy.protection == ProtectionLevels({("D1", "A"): 2}, default=1)
    assert case.edits == ("protection: 1 level(s), default 1",)


def test_taking_a_depot_offline_drops_its_protection_levels_too() -> None:
    case = _base().with_protection(ProtectionLevels({("D2", "A"): 1, ("D1", "A"): 1}))
    offline = case.take_depot_offline("D2")
    assert offline.policy.protection == ProtectionLevels({("D1", "A"): 1})
    offline.allocate()  # no level names the missing depot


def test_a_policy_change_with_an_unknown_option_or_a_bad_value_is_refused() -> None:
    with pytest.raises(PolicyError, match=r"allocation\.premption is not an option"):
        _base().with_policy(premption=False)
    with pytest.raises(PolicyError, match="eta_resolution_hours"):
        _base().with_policy(eta_resolution_hours=0)


def test_a_bad_edit_leaves_no_half_made_case() -> None:
    base = _base()
    with pytest.raises(UnknownIdError):
        base.take_depot_offline("D9")
    assert base.edits == ()
