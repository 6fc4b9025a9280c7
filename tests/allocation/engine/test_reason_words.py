"""Every unfilled order has one stable code and one sentence, worked out the same for one
order or for all of them at once."""

from __future__ import annotations

import re

import numpy as np
import pytest

from allocation import (
    AllocationPolicy,
    Planner,
    ProtectionLevels,
    allocate,
    generate_world,
    load_snapshot,
)
from allocation.engine import CODES
from allocation.engine.explain import unfilled_reasons
from tests.allocation.engine.builders import PM, STD, order, snapshot

# What each code's sentence reads like: a reason maps to exactly one code.
_WORDS = {
    "whole_order_unavailable": r"^partial fills are off: only \d+ of \d+ units were available$",
    "no_route": r"^no route from any depot to \S+$",
    "held_back_by_protection": r"^held back for parts-priority orders by the protection level",
    "no_stock_anywhere": r"^no stock, receipt or supply option of \S+ can reach \S+$",
    "source_not_allowed_for_class": r"^policy: \S+ orders may not use .+, the only sources",
    "held_by_higher_class": r"^the units it could use went to .+ orders, which rank first",
    "held_by_same_class": r"^the units it could use went to orders of the same class",
}


def _world(seed: int):  # type: ignore[no-untyped-def]
    return load_snapshot(generate_world(600, 40, 6, seed, coverable_share=0.4))


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_reasons_for_all_orders_at_once_are_those_worked_out_one_by_one(seed: int) -> None:
    plan = allocate(_world(seed))
    missing = plan.problem.orders.quantity - plan.filled
    rows = np.flatnonzero(missing > 0)
    together = unfilled_reasons(plan.problem, plan.flow, rows, plan.reasons)
    for i, row in enumerate(rows.tolist()):
        alone = unfilled_reasons(plan.problem, plan.flow, np.array([row]), plan.reasons)
        assert (alone.code[0], alone.reason[0]) == (together.code[i], together.reason[i])
    assert "source_not_allowed_for_class" in set(together.code)


@pytest.mark.parametrize(
    "policy",
    [
        AllocationPolicy(),
        AllocationPolicy(partial_fills=False),
        AllocationPolicy(rank_tiers_within_standard=True),
        AllocationPolicy(protection=ProtectionLevels(default=1)),
    ],
    ids=["default", "whole-orders", "tier-ranks", "protected"],
)
def test_every_unfilled_order_has_one_known_code_whose_words_it_reads(
    policy: AllocationPolicy,
) -> None:
    unfilled = allocate(_world(4), policy).unfilled
    assert len(unfilled) > 0
    assert set(unfilled["code"]) <= set(CODES)
    for code, reason in zip(unfilled["code"], unfilled["reason"], strict=True):
        matching = [c for c, words in _WORDS.items() if re.search(words, reason)]
        assert matching == [code], (code, reason)


def test_the_words_follow_the_supply_they_were_worked_out_for() -> None:
    # A standard order in Germany; no unit of A anywhere, then one in the US depot, which a
    # standard order may not take across the border.
    world = snapshot(
        [order("S", STD, country="DE")],
        stock=[("A", "D2", 0)],
        depots=[("D1", "US"), ("D2", "DE")],
        lanes=[("D1", "DE", 24, 7), ("D2", "US", 24, 7)],
    )
    planner = Planner(world)
    before = planner.group_plan("A").unfilled
    assert before[["code", "reason"]].values.tolist() == [
        ["no_stock_anywhere", "no stock, receipt or supply option of A can reach DE"]
    ]
    planner.add_stock("A", "D1", 1)
    after = planner.group_plan("A").unfilled
    assert after[["code", "reason"]].values.tolist() == [
        [
            "source_not_allowed_for_class",
            "policy: standard orders may not use transfer, the only sources of this part",
        ]
    ]


def test_a_parts_priority_order_ahead_puts_the_standard_one_behind_it() -> None:
    world = snapshot([order("P", PM, age=1), order("S", STD, age=9)], stock=[("A", "D1", 1)])
    unfilled = allocate(world).unfilled
    assert unfilled[["order_id", "code"]].values.tolist() == [["S", "held_by_higher_class"]]
