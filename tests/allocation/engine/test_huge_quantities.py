"""A plan's size grows with order lines and arcs, never with units.

Quantities up to 1,000,000,000 are valid input; planning them must take the memory and the
steps of planning one unit (numpy's allocations are traced by :mod:`tracemalloc`).
"""

from __future__ import annotations

import tracemalloc

from allocation import allocate
from tests.allocation.engine.builders import PM, STD, order, snapshot

BILLION = 1_000_000_000


def _peak_bytes_of_planning(quantity: int, on_hand: int) -> tuple[int, object]:
    world = snapshot(
        [
            order("O1", PM, quantity=quantity, age=3),
            order("O2", PM, quantity=quantity, age=2),
            order("O3", STD, quantity=quantity, age=1),
        ],
        stock=[("A", "D1", on_hand)],
        inbound=[("A", "D1", on_hand, 5.0)],
    )
    tracemalloc.start()
    try:
        plan = allocate(world)
        lines, unfilled = plan.to_pandas(), plan.unfilled
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak, (lines, unfilled)


def test_a_billion_units_plan_in_the_memory_of_one_unit() -> None:
    small, _ = _peak_bytes_of_planning(1, 1)
    huge, (lines, unfilled) = _peak_bytes_of_planning(BILLION, BILLION)
    assert huge < small + 4_000_000, (small, huge)
    by_order = lines.groupby("order_id")["quantity"].sum().to_dict()
    # The older parts-priority order takes the shelf, the next one the receipt.
    assert by_order == {"O1": BILLION, "O2": BILLION}
    assert unfilled.set_index("order_id")["quantity"].to_dict() == {"O3": BILLION}


def test_units_short_by_a_billion_are_reported_whole() -> None:
    _, (lines, unfilled) = _peak_bytes_of_planning(BILLION, 5)
    assert lines["quantity"].sum() == 10
    assert unfilled["quantity"].sum() == 3 * BILLION - 10
