"""The words of a backorder's reason are the same whether worked out afresh or remembered
for orders of the same kind against the same supply."""

from __future__ import annotations

import numpy as np
import pytest

from allocation import Planner, allocate, generate_world, load_snapshot
from allocation.engine import plan as plan_module
from tests.allocation.engine.builders import STD, order, snapshot


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_remembered_reasons_are_the_reasons_worked_out_afresh(seed: int) -> None:
    snapshot = load_snapshot(generate_world(600, 40, 6, seed, coverable_share=0.4))
    plan = allocate(snapshot)
    remembered = plan_module._WordsBySupply()
    rows = np.arange(len(plan.problem.orders), dtype=np.int64)
    fresh = plan_module._source_words(plan.problem, rows)
    saved, plan_module._SOURCE_WORDS = plan_module._SOURCE_WORDS, remembered
    try:
        first = plan_module._no_allowed_sources(plan.problem, rows)
        again = plan_module._no_allowed_sources(plan.problem, rows)
    finally:
        plan_module._SOURCE_WORDS = saved
    assert first == fresh
    assert again == fresh
    assert any("may not use" in words for words in fresh.values())


def test_words_remembered_for_one_supply_are_not_used_for_another() -> None:
    # A standard order in Germany; no unit of A anywhere, then one in the US depot, which a
    # standard order may not take across the border.
    world = snapshot(
        [order("S", STD, country="DE")],
        stock=[("A", "D2", 0)],
        depots=[("D1", "US"), ("D2", "DE")],
        lanes=[("D1", "DE", 24, 7), ("D2", "US", 24, 7)],
    )
    planner = Planner(world)
    row = np.array([0], dtype=np.int64)
    before = planner.group_plan("A").problem
    assert plan_module._no_allowed_sources(before, row) == {
        0: "no stock, receipt or supply option of A can reach DE"
    }
    planner.add_stock("A", "D1", 1)
    after = planner.group_plan("A").problem
    assert plan_module._no_allowed_sources(after, row) == {
        0: "policy: standard orders may not use transfer, the only sources of this part"
    }
